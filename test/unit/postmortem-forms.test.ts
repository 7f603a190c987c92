import { describe, expect, it } from 'vitest';
import type { ActionItem } from '../../src/incidents/action-items.js';
import { PostmortemService } from '../../src/incidents/postmortem.service.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, parseRunbook } from '../../src/runbook/runbook.js';
import { declareModal } from '../../src/templates/declare-modal.js';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { NO_RUNBOOK_UPDATE, postmortemModal } from '../../src/templates/postmortem-modal.js';
import { parseDeclareForm } from '../../src/views/parse-declare.js';
import { parsePostmortemForm } from '../../src/views/parse-postmortem.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { COMMANDER, makeResolvedIncident, minutes } from '../support/incident-fixture.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const SEV = parseRunbook(testRunbookData()).severities;
const text = (v: string) => ({ [INPUT.text]: stateValue.plainText(v) });

const item: ActionItem = {
  id: 1,
  incidentId: 7,
  teamId: 'T0001',
  text: 'Add pool monitoring',
  ownerId: 'U0OWNER',
  dueAt: minutes(600),
  source: 'person',
  state: 'open',
  createdBy: COMMANDER,
  createdAt: minutes(70),
  closedBy: null,
  closedAt: null,
  remindedAt: null,
};

const form = (values: Record<string, Record<string, unknown>>) => parsePostmortemForm(values as never, NOW);
const good = {
  [BLOCK.pmRootCause]: text('Connection leak in the worker pool'),
  [BLOCK.pmFactors]: text('No alert on pool usage'),
  [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect('Escalation procedures') },
  [BLOCK.pmRunbookNote]: text('add the database team'),
  [BLOCK.pmItems]: text('- Add pool monitoring <@U0OWNER> 2026-12-01\n\n2. Rotate the key @bob 3d\n'),
  [BLOCK.pmChecklist]: { [INPUT.checks]: stateValue.checkboxes([{ value: 'Share with support' }]) },
};

describe('the post-mortem form', () => {
  const modal = postmortemModal(
    {
      incident: makeResolvedIncident(),
      stored: {
        rootCause: 'Leak',
        factors: '',
        wentWell: 'Fast rollback',
        wentBadly: '',
        runbookSection: null,
        runbookNote: '',
        checked: ['Share with support'],
        updatedBy: COMMANDER,
        updatedAt: minutes(80),
      },
      items: [item],
      sections: ['Escalation procedures', 'Playbook: Database Connection Failures'],
      manualChecks: ['Share with support'],
    },
    '{"incidentId":7,"channelId":"CINC42"}',
  );

  it('is within Slack limits, prefilled with what was written, and lists the items so far', () => {
    expect(modal.callback_id).toBe(VIEW.postmortem);
    expect(limitProblems(modal, 'modal')).toEqual([]);
    const body = JSON.stringify(modal);
    expect(body).toContain('"initial_value":"Leak"');
    expect(body).toContain('"initial_value":"Fast rollback"');
    expect(body).toContain('Add pool monitoring');
    expect(body).toContain('Playbook: Database Connection Failures');
    expect(body).toContain(
      `"initial_option":{"text":{"type":"plain_text","text":"No update needed"},"value":"${NO_RUNBOOK_UPDATE}"}`,
    );
    expect(body).toContain('"initial_options":[{"text":{"type":"plain_text","text":"Share with support"}');
    expect(modal.submit?.text).toBe('Write new version');
    expect(body).toContain('The items above stay.');
  });

  it('a first post-mortem with no action items yet does not speak of items above', () => {
    const first = postmortemModal(
      {
        incident: makeResolvedIncident(),
        stored: null,
        items: [],
        sections: ['Escalation procedures'],
        manualChecks: [],
      },
      '{"incidentId":7,"channelId":"CINC42"}',
    );
    expect(JSON.stringify(first)).toContain('One per line');
    expect(JSON.stringify(first)).not.toContain('above');
  });

  it('reads the answers and the new items, one per line, list markers and blank lines ignored', () => {
    const r = form(good);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.answers).toEqual({
      rootCause: 'Connection leak in the worker pool',
      factors: 'No alert on pool usage',
      wentWell: '',
      wentBadly: '',
      runbookSection: 'Escalation procedures',
      runbookNote: 'add the database team',
      checked: ['Share with support'],
    });
    expect(r.value.items).toEqual([
      { text: 'Add pool monitoring', owner: { id: 'U0OWNER' }, dueAt: new Date('2026-12-01T09:00:00Z') },
      { text: 'Rotate the key', owner: { name: 'bob' }, dueAt: new Date('2026-12-01T09:00:00Z') },
    ]);
    const none = form({ ...good, [BLOCK.pmRunbook]: { [INPUT.select]: stateValue.staticSelect(NO_RUNBOOK_UPDATE) } });
    expect(none.ok && none.value.answers.runbookSection).toBeNull();
  });

  it('shows what is missing or wrong next to its field', () => {
    const r = form({
      [BLOCK.pmRootCause]: text('  \u200b '),
      [BLOCK.pmItems]: text('Fine item\nRotate the key 2020-01-01'),
    });
    expect(r).toEqual({
      ok: false,
      errors: {
        [BLOCK.pmRootCause]: expect.stringMatching(/root cause/),
        [BLOCK.pmRunbook]: expect.stringMatching(/runbook needs an update/),
        [BLOCK.pmItems]: expect.stringMatching(/^Line 2: The due date 2020-01-01 is in the past; give one to come/),
      },
    });
    expect(form({})).toMatchObject({ ok: false });
  });

  it('reads a 12-hour due time as /incident action does, and says what is wrong with one that is none', () => {
    const r = form({ ...good, [BLOCK.pmItems]: text('Fix the cache @bob by friday 5 pm') });
    expect(r.ok && r.value.items).toEqual([
      { text: 'Fix the cache', owner: { name: 'bob' }, dueAt: new Date('2026-12-04T17:00:00Z') },
    ]);
    expect(form({ ...good, [BLOCK.pmItems]: text('Fix the cache @bob by friday 13pm') })).toEqual({
      ok: false,
      errors: { [BLOCK.pmItems]: expect.stringMatching(/^Line 1: `13pm` is not a time: .*Nothing was added\.$/) },
    });
  });
});

describe('the runbook sections the form offers', () => {
  it("are the file's sections and playbooks, never a checklist the bot makes (two maintenance windows' combined)", async () => {
    const runbook = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    const made = runbook.playbooks.filter((p) => p.unlisted);
    expect(made.length).toBeGreaterThan(0);
    const none = null as never;
    const sections = new PostmortemService(none, none, runbook, none, () => '').sections();
    for (const p of made) expect(sections).not.toContain(`Playbook: ${p.title}`);
    expect(sections).toContain('Playbook: Weekly Maintenance (Sundays 02:00–04:00 UTC)');
    expect(sections).toContain('Escalation procedures');
  });
});

describe('the declare form', () => {
  it('offers the runbook severities, within Slack limits', () => {
    const m = declareModal(SEV, '{"from":"home"}', 150);
    expect(m.callback_id).toBe(VIEW.declare);
    expect(limitProblems(m, 'modal')).toEqual([]);
    expect(JSON.stringify(m)).toContain('SEV-0 (Critical)');
  });

  it('reads severity, title and description as /incident reads a title', () => {
    const r = parseDeclareForm({
      [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('1') },
      [BLOCK.declareTitle]: text('  db\u202e   down '),
      [BLOCK.declareDescription]: text('Checkout fails\nsince 10:02'),
    } as never);
    expect(r).toEqual({
      ok: true,
      value: { severity: 1, title: 'db down', description: 'Checkout fails\nsince 10:02', private: false },
    });
  });

  it('shows what is missing next to its field', () => {
    expect(parseDeclareForm({} as never)).toEqual({
      ok: false,
      errors: { [BLOCK.declareSeverity]: expect.any(String), [BLOCK.declareTitle]: expect.any(String) },
    });
    const long = parseDeclareForm({
      [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('9') },
      [BLOCK.declareTitle]: text('x'.repeat(151)),
    } as never);
    expect(long).toEqual({
      ok: false,
      errors: { [BLOCK.declareSeverity]: expect.any(String), [BLOCK.declareTitle]: expect.stringMatching(/150/) },
    });
  });
});
