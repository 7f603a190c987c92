import { describe, expect, it } from 'vitest';
import { progressOf, stepStatuses } from '../../src/incidents/checklist.js';
import type { ChecklistView, StepStatus } from '../../src/incidents/ports.js';
import { stepsOf } from '../../src/runbook/playbook-steps.js';
import type { CommandStep, Playbook, PlaybookStep } from '../../src/runbook/playbooks.js';
import { MAX_STEPS_PER_PHASE } from '../../src/runbook/playbooks.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { RUNBOOK_TEXT_MAX } from '../../src/runbook/text-limits.js';
import { renderApproval, renderApprovalDm } from '../../src/templates/approval.js';
import {
  BY_HAND_LINE,
  CHECKLIST_PAGE_SIZE,
  renderChecklist,
  renderPlaybookNote,
  skipModal,
} from '../../src/templates/checklist.js';
import { ACTION } from '../../src/templates/ids.js';
import type { Message } from '../../src/templates/incident-card.js';
import { confirmRunModal, renderRun } from '../../src/templates/playbook.js';
import { escapingProblems, limitProblems, mrkdwnTexts } from '../support/block-kit-limits.js';

const WHO = 'U0TICKER';
const AT = new Date('2026-11-30T10:04:00Z');
const HOSTILE = '<!channel> & <@UEVIL> `rm -rf` *bold* 🚒 '.repeat(30);

const text = (t: string): PlaybookStep => ({ type: 'text', text: t });
const command = (t: string): PlaybookStep => ({
  type: 'command',
  text: t,
  run: ['atom-cli', 'nodes', 'restart', '{node_id}'],
  params: { node_id: { kind: 'node_id' } },
  destructive: true,
  approval: true,
  timeoutMs: 60_000,
  warning: HOSTILE,
  cwd: 'backend-saas',
});
const http = (t: string): PlaybookStep => ({
  type: 'http',
  text: t,
  path: '/api/health',
  expectStatus: 200,
  timeoutMs: 10_000,
});

/** The longest playbook the runbook file allows: every phase full, every kind of step, hostile text everywhere. */
function longest(): Playbook {
  const phase = (name: string) =>
    Array.from({ length: MAX_STEPS_PER_PHASE }, (_, i) =>
      [text, command, http][i % 3]!(`${name} ${i + 1}: ${HOSTILE}`),
    );
  return {
    id: 'longest',
    title: HOSTILE,
    kind: 'procedure',
    match: [],
    symptoms: Array.from({ length: 40 }, () => HOSTILE),
    detection: phase('detect'),
    mitigation: phase('mitigate'),
    resolution: phase('resolve'),
    prevention: Array.from({ length: 40 }, () => HOSTILE),
    outsideIncident: { channel: null },
  };
}

/** Every state a step of its kind can be in, spread over the steps. */
function statusesFor(playbook: Playbook): Record<string, StepStatus> {
  const ticked: StepStatus[] = [
    { state: 'open', by: null, at: null, reason: null, byRun: false },
    { state: 'done', by: WHO, at: AT, reason: null, byRun: false },
    { state: 'skipped', by: WHO, at: AT, reason: HOSTILE.slice(0, 300), byRun: false },
  ];
  const ran: StepStatus[] = [
    ...ticked.filter((s) => s.state !== 'done'),
    { state: 'running', by: WHO, at: AT, reason: null, byRun: true },
    { state: 'failed', by: WHO, at: AT, reason: null, byRun: true },
    { state: 'done', by: WHO, at: AT, reason: null, byRun: true },
  ];
  return Object.fromEntries(
    stepsOf(playbook).map((s, i) => {
      const states = s.step.type === 'text' ? ticked : ran;
      return [s.key, states[Math.floor(i / 3) % states.length]!];
    }),
  );
}

const view = (playbook: Playbook, over: Partial<ChecklistView> = {}): ChecklistView => ({
  playbook,
  runId: 42,
  origin: { kind: 'run', by: WHO },
  statuses: statusesFor(playbook),
  detached: null,
  page: null,
  focus: null,
  ...over,
});

const problems = (m: Message) => [
  ...limitProblems(m, 'message'),
  ...mrkdwnTexts(m).flatMap(({ path, text: t }) => escapingProblems(t, [WHO]).map((p) => `${path}: ${p}`)),
  ...escapingProblems(m.text, [WHO]).map((p) => `text: ${p}`),
];

/** The step keys a message has buttons for (Run/Check, Done, Skip, Undo), from the buttons' values. */
function keysWithButtons(m: Message): Set<string> {
  const keys = new Set<string>();
  for (const match of JSON.stringify(m.blocks).matchAll(/\\"s\\":\\"([a-z]+\.\d+)\\"/g)) keys.add(match[1]!);
  return keys;
}

describe('the checklist message within Slack’s limits', () => {
  it('the longest playbook the file allows, buttons on every step, is shown a page at a time, each page within every limit', () => {
    const pb = longest();
    const steps = stepsOf(pb);
    const pages = Math.ceil(steps.length / CHECKLIST_PAGE_SIZE);
    expect(pages).toBe(15);
    const seen = new Set<string>();
    for (let page = 0; page < pages; page++) {
      const m = renderChecklist(view(pb, { page }));
      expect(problems(m), `page ${page}`).toEqual([]);
      expect(m.blocks.length).toBeLessThanOrEqual(50);
      const keys = keysWithButtons(m);
      const shown = steps.slice(page * CHECKLIST_PAGE_SIZE, (page + 1) * CHECKLIST_PAGE_SIZE).map((s) => s.key);
      for (const k of shown) expect(keys.has(k), `${k} on page ${page}`).toBe(true);
      for (const k of shown) seen.add(k);
      // The page select offers every page, this one chosen.
      expect(JSON.stringify(m.blocks)).toContain(`"action_id":"${ACTION.checklistPage}"`);
      expect(JSON.stringify(m.blocks)).toContain(
        `"initial_option":{"text":{"type":"plain_text","text":"Steps ${page * 20 + 1}–`,
      );
    }
    expect(seen.size).toBe(steps.length);
  });

  it('without a page asked for, shows the page with the step just acted on, else the one with the next step', () => {
    const pb = longest();
    const open = (): Record<string, StepStatus> =>
      Object.fromEntries(
        stepsOf(pb).map((s, i) => [
          s.key,
          i < 45
            ? { state: 'done', by: WHO, at: AT, reason: null, byRun: false }
            : { state: 'open', by: null, at: null, reason: null, byRun: false },
        ]),
      );
    const next = renderChecklist(view(pb, { statuses: open() }));
    expect(JSON.stringify(next.blocks)).toContain('steps 41–60 of 300 shown');
    const focused = renderChecklist(view(pb, { statuses: open(), focus: 'resolution.99' }));
    expect(JSON.stringify(focused.blocks)).toContain('steps 281–300 of 300 shown');
  });

  it('every playbook of the bundled runbook fits one message with its buttons, in every state', async () => {
    const rb = await loadRunbook();
    for (const pb of rb.playbooks) {
      expect(stepsOf(pb).length, pb.id).toBeLessThanOrEqual(CHECKLIST_PAGE_SIZE);
      for (const origin of [
        { kind: 'suggested' },
        { kind: 'suggested', alertRule: 'HighErrorRate' },
        { kind: 'attached', by: WHO },
      ] as const) {
        const m = renderChecklist(view(pb, { runId: null, origin }));
        expect(problems(m), pb.id).toEqual([]);
        expect(JSON.stringify(m.blocks)).not.toContain(ACTION.checklistPage);
      }
    }
  });

  it('a notification\'s text escapes what mrkdwn would eat, not drops it: the runbook\'s "> 10%", a shell redirect', async () => {
    const rb = await loadRunbook();
    const pb = rb.playbooks.find((p) => p.title.includes('> 10%'))!;
    expect(pb, 'the bundled runbook names High Error Rates (> 10%)').toBeDefined();
    const m = renderChecklist(view(pb, { runId: null, origin: { kind: 'suggested' } }));
    expect(m.text).toMatch(/^Playbook: High Error Rates \(&gt; 10%\) — \d+ of \d+ done/);
    const target = ['sh', '-c', 'atom-cli logs > /tmp/out && echo <done>'];
    const run = renderRun({
      runId: 1,
      playbookTitle: pb.title,
      stepText: 'logs',
      target,
      kind: 'command',
      requestedBy: WHO,
      state: 'succeeded',
      tail: '',
      exitCode: 0,
      durationMs: 10,
      bytes: 0,
      truncated: false,
    });
    expect(run.text).toContain('atom-cli logs &gt; /tmp/out &amp;&amp; echo &lt;done&gt;');
    const approval = renderApproval({
      approvalId: 1,
      playbookTitle: pb.title,
      stepText: 'logs',
      target,
      requestedBy: WHO,
      approvers: [],
      state: 'pending',
      decidedBy: null,
      reason: null,
    });
    expect(approval.text).toBe('Approval requested: sh -c atom-cli logs &gt; /tmp/out &amp;&amp; echo &lt;done&gt;');
    for (const t of [m.text, run.text, approval.text]) expect(escapingProblems(t, [WHO])).toEqual([]);
  });

  it("a step's line says what its last run found of the lines it looks for, as the run's message does", async () => {
    const rb = await loadRunbook();
    const pb = rb.playbooks.find((p) => p.id === 'high-error-rates')!;
    const key = stepsOf(pb).find((s) => s.step.type === 'command' && s.step.lookFor)!.key;
    const ran = (state: StepStatus['state']): StepStatus => ({
      state,
      by: WHO,
      at: AT,
      reason: null,
      byRun: true,
      found: { words: '"ERROR"', matched: 34, total: 200 },
    });
    for (const state of ['done', 'failed'] as const) {
      const m = renderChecklist(view(pb, { runId: null, statuses: { [key]: ran(state) } }));
      expect(JSON.stringify(m.blocks), state).toContain(':mag: 34 of 200 lines have \\"ERROR\\"');
      expect(problems(m)).toEqual([]);
    }
    // Running: the count of the lines read so far, said to be so.
    const running = renderChecklist(view(pb, { runId: null, statuses: { [key]: ran('running') } }));
    expect(JSON.stringify(running.blocks)).toContain(':mag: 34 of 200 lines have \\"ERROR\\" so far');
    // Running again, nothing read yet: the count of the last run is not this one's, so none is said.
    const again = renderChecklist(view(pb, { runId: null, statuses: { [key]: { ...ran('running'), found: null } } }));
    expect(JSON.stringify(again.blocks)).not.toContain(':mag:');
  });

  it('a run killed by a signal the bot did not send is labelled killed, not failed: its message, checklist, approval', async () => {
    const rb = await loadRunbook();
    const pb = rb.playbooks.find((p) => p.id === 'high-error-rates')!;
    const key = stepsOf(pb).find((s) => s.step.type === 'command')!.key;
    const ran = {
      runId: 1,
      playbookTitle: pb.title,
      stepText: 'logs',
      target: ['atom-cli', 'logs'],
      kind: 'command' as const,
      requestedBy: WHO,
      tail: 'Segmentation fault',
      exitCode: null,
      durationMs: 1200,
      bytes: 18,
      truncated: false,
      detail: 'Killed by SIGSEGV (segmentation fault: it crashed), not by the bot.',
    };
    const killed = renderRun({ ...ran, state: 'failed', signal: 'SIGSEGV' });
    expect(killed.text).toBe(':x: Killed (SIGSEGV): atom-cli logs');
    expect(JSON.stringify(killed.blocks)).toContain(':x: Killed (SIGSEGV) `atom-cli logs`');
    expect(JSON.stringify(killed.blocks)).not.toContain('Failed');
    expect(problems(killed)).toEqual([]);
    // Failed without a signal, and stopped by the bot at its timeout, keep their labels.
    expect(renderRun({ ...ran, state: 'failed', exitCode: 3 }).text).toBe(':x: Failed: atom-cli logs');
    expect(renderRun({ ...ran, state: 'timed_out', signal: 'SIGTERM' }).text).toBe(
      ':alarm_clock: Timed out: atom-cli logs',
    );

    const line = (signal?: string) => {
      const run = { stepKey: key, requestedBy: WHO, approvedBy: null, at: AT, state: 'failed' as const };
      const statuses = stepStatuses(pb, [], [{ ...run, ...(signal ? { signal } : {}) }]);
      const m = renderChecklist(view(pb, { runId: null, statuses }));
      expect(problems(m)).toEqual([]);
      return JSON.stringify(m.blocks);
    };
    expect(line('SIGSEGV')).toContain('_its last run was killed by SIGSEGV, not by the bot (<@U0TICKER>');
    expect(line()).toContain('_its last run did not succeed (<@U0TICKER>');

    const approval = (outcome: { state: 'failed' | 'timed_out'; signal?: string }) =>
      JSON.stringify(
        renderApproval({
          approvalId: 1,
          playbookTitle: pb.title,
          stepText: 'logs',
          target: ['atom-cli', 'logs'],
          requestedBy: 'U0ASKER',
          approvers: [],
          state: 'approved',
          decidedBy: WHO,
          reason: null,
          outcome: { exitCode: null, link: 'https://t.slack.com/archives/C1/p1', ...outcome },
        }).blocks,
      );
    expect(approval({ state: 'failed', signal: 'SIGSEGV' })).toContain(
      ':red_circle: It ran and was killed by SIGSEGV, not by the bot: <https://t.slack.com/archives/C1/p1|see its output>.',
    );
    expect(approval({ state: 'failed' })).toContain(':red_circle: It ran and failed: <');
    expect(approval({ state: 'timed_out', signal: 'SIGTERM' })).toContain(':red_circle: It ran and timed out: <');
  });

  it("a step's line cut short: a lost run's count is so far, a stopped run's is to where it was stopped", async () => {
    const rb = await loadRunbook();
    const pb = rb.playbooks.find((p) => p.id === 'high-error-rates')!;
    const key = stepsOf(pb).find((s) => s.step.type === 'command' && s.step.lookFor)!.key;
    const found = { words: '"ERROR"', matched: 7, total: 200 };
    const line = (run: { state: 'lost' | 'stopped'; foundSoFar?: boolean }) => {
      const statuses = stepStatuses(
        pb,
        [],
        [{ stepKey: key, requestedBy: WHO, approvedBy: null, at: AT, found, ...run }],
      );
      expect(statuses[key]).toMatchObject({ state: 'failed', cutShort: true });
      const m = renderChecklist(view(pb, { runId: null, statuses }));
      expect(problems(m)).toEqual([]);
      return JSON.stringify(m.blocks);
    };
    expect(line({ state: 'lost', foundSoFar: true })).toContain(':mag: 7 of 200 lines have \\"ERROR\\" so far');
    // Kept lost, its process come back with its count to its end; stopped by the bot: its count to there.
    for (const run of [{ state: 'lost' as const }, { state: 'stopped' as const }]) {
      expect(line(run), run.state).toContain(':mag: 7 of 200 lines have \\"ERROR\\"');
      expect(line(run), run.state).not.toContain('so far');
    }
  });

  it("a lost run whose message look-up was given up says why on its step's line, Slack's answer as code (escaped)", async () => {
    const rb = await loadRunbook();
    const pb = rb.playbooks.find((p) => p.id === 'high-error-rates')!;
    const key = stepsOf(pb).find((s) => s.step.type === 'command')!.key;
    const line = (messageGivenUpWhy?: string) => {
      const run = { stepKey: key, requestedBy: WHO, approvedBy: null, at: AT, state: 'lost' as const };
      const statuses = stepStatuses(pb, [], [{ ...run, ...(messageGivenUpWhy ? { messageGivenUpWhy } : {}) }]);
      const m = renderChecklist(view(pb, { runId: null, statuses }));
      expect(problems(m)).toEqual([]);
      return mrkdwnTexts(m).find((t) => t.text.includes('did not end'))?.text ?? '';
    };
    expect(line('missing_scope')).toContain(
      "its run's message could not be found in the thread, so its output is not shown (Slack's last answer: `missing_scope`)",
    );
    expect(line()).not.toContain('could not be found');
    const hostile = line(HOSTILE);
    expect(hostile).not.toMatch(/<!channel>|<@UEVIL>/);
    expect(hostile).toContain('&lt;!channel&gt;');
    expect(hostile.length).toBeLessThan(3000);
  });

  it('a playbook with no step the bot runs says its steps are by hand (Stripe Webhook Failures); one with a Run does not', async () => {
    const rb = await loadRunbook();
    const stripe = rb.playbooks.find((p) => p.id === 'stripe-webhook-failures')!;
    // The runbook's Emergency Contacts give Stripe's status page: the first thing to check.
    expect(stepsOf(stripe).map((s) => s.step.text)[0]).toContain('https://status.stripe.com');
    expect(stepsOf(stripe).every((s) => s.step.type === 'text')).toBe(true);
    const m = renderChecklist(view(stripe, { runId: null, origin: { kind: 'suggested' }, statuses: {} }));
    expect(JSON.stringify(m.blocks)).toContain(JSON.stringify(BY_HAND_LINE).slice(1, -1));
    expect(BY_HAND_LINE).toContain('Every step here is done by hand');
    // Once every step is ticked, or detached, there is nothing left to do by hand: not said.
    const all = Object.fromEntries(
      stepsOf(stripe).map((s) => [s.key, { state: 'done', by: WHO, at: AT, reason: null, byRun: false } as StepStatus]),
    );
    expect(JSON.stringify(renderChecklist(view(stripe, { runId: null, statuses: all })).blocks)).not.toContain(
      'done by hand',
    );
    const db = rb.playbooks.find((p) => p.id === 'database-connection-failures')!;
    expect(JSON.stringify(renderChecklist(view(db, { runId: null, statuses: {} })).blocks)).not.toContain(
      'done by hand',
    );
  });

  it('says where a playbook nobody attached came from: the alert row that named it, else the title', () => {
    const pb = longest();
    const text = (origin: Extract<ChecklistView['origin'], { kind: 'suggested' }>) =>
      JSON.stringify(renderChecklist(view(pb, { runId: null, origin })).blocks);
    expect(text({ kind: 'suggested', alertRule: 'HighCpuUsage' })).toContain(
      "From the runbook's alert row *HighCpuUsage*, for this incident's alerts.",
    );
    expect(text({ kind: 'suggested', alertRule: 'HighCpuUsage' })).not.toContain('incident title');
    expect(text({ kind: 'suggested' })).toContain('Suggested from the incident title.');
    // A title that fits others as well: they are named, with how to attach each.
    const tie = text({
      kind: 'suggested',
      alsoFits: [
        { id: 'slow-response-times', title: 'Slow Response Times (> 3s p95)' },
        { id: 'memory-leaks', title: 'Memory Leaks' },
      ],
    });
    expect(tie).toContain(
      'Suggested from the incident title, which fits *Slow Response Times (&gt; 3s p95)* (`/incident playbook slow-response-times`), *Memory Leaks* (`/incident playbook memory-leaks`) as well: attach the one that is the trouble.',
    );
  });

  it('a step as long as the runbook file allows, and its warning, are shown whole: its confirmation and its approval request', () => {
    const long = (n: number) => `${'Restart the web machines one at a time. '.repeat(20).slice(0, n - 4)} END`;
    const step: CommandStep = {
      type: 'command',
      text: long(RUNBOOK_TEXT_MAX.stepText),
      run: ['atom-cli', 'nodes', 'restart', 'web-1'],
      params: {},
      destructive: true,
      approval: true,
      timeoutMs: 60_000,
      warning: long(RUNBOOK_TEXT_MAX.stepWarning),
    };
    const pb = { ...longest(), title: long(RUNBOOK_TEXT_MAX.playbookTitle) };
    const confirm = confirmRunModal(step, pb, step.run, '{}');
    const approval = renderApproval({
      approvalId: 1,
      playbookTitle: pb.title,
      stepText: step.text,
      warning: step.warning,
      target: step.run,
      requestedBy: WHO,
      approvers: [],
      state: 'pending',
      decidedBy: null,
      reason: null,
    });
    for (const shown of [JSON.stringify(confirm.blocks), JSON.stringify(approval.blocks)]) {
      expect(shown).toContain(step.text);
      expect(shown).toContain(step.warning);
    }
    expect(limitProblems(approval, 'message')).toEqual([]);
  });

  it("an approver's direct message: within limits, people's text escaped, a private incident named by its channel alone", () => {
    const request = {
      approvalId: 7,
      playbookTitle: HOSTILE,
      stepText: HOSTILE,
      warning: HOSTILE,
      target: ['atom-cli', 'nodes', 'restart', HOSTILE],
      requestedBy: WHO,
      approvers: ['U0APPROVER', 'S0LEADS'],
      state: 'pending' as const,
      decidedBy: null,
      reason: null,
      outside: Array.from({ length: 30 }, (_, i) => ({ userId: `U0OUT${i}`, dmed: i % 2 === 0 })),
    };
    const where = { kind: 'incident' as const, number: 12, title: HOSTILE, private: false, channelId: 'C0INC' };
    const dm = renderApprovalDm({
      ...request,
      where,
      link: 'https://test.slack.com/archives/C0INC/p1',
      joinFirst: 'join the channel',
    });
    expect(limitProblems(dm, 'message')).toEqual([]);
    expect(escapingProblems(dm.text, [WHO])).toEqual([]);
    const ours = (t: string) => t.replace('<https://test.slack.com/archives/C0INC/p1|see the request>', '');
    for (const t of mrkdwnTexts(dm.blocks)) expect(escapingProblems(ours(t.text), [WHO])).toEqual([]);
    expect(JSON.stringify(dm.blocks)).toContain('incident #12');
    expect(JSON.stringify(dm.blocks)).toContain('you are not in it: join the channel');
    const secret = renderApprovalDm({
      ...request,
      where: { ...where, title: 'acme breach', private: true },
      link: null,
    });
    expect(JSON.stringify(secret)).not.toContain('acme breach');
    expect(JSON.stringify(secret.blocks)).toContain('a private incident in <#C0INC>');
    const decided = renderApprovalDm({
      ...request,
      where,
      link: null,
      state: 'denied',
      decidedBy: 'U0APPROVER',
      reason: HOSTILE,
    });
    expect(JSON.stringify(decided.blocks)).not.toContain(ACTION.approveStep);
    expect(JSON.stringify(decided.blocks)).toContain('Denied by <@U0APPROVER>');
    expect(JSON.stringify(decided.blocks)).not.toContain('Approval needed');
    // The channel's request names who is outside it, the first 20, and how many more.
    const posted = JSON.stringify(renderApproval(request).blocks);
    expect(posted).toContain('Not in this channel: <@U0OUT0>, <@U0OUT2>');
    expect(posted).toContain('— could not be DMed: tell them');
    expect(posted).toContain('(and 10 more)');
    expect(limitProblems(renderApproval(request), 'message')).toEqual([]);
  });

  it('a detached playbook keeps its record and loses every button', () => {
    const pb = longest();
    const m = renderChecklist(
      view(pb, { runId: null, origin: { kind: 'attached', by: WHO }, detached: { by: WHO, at: AT } }),
    );
    expect(problems(m)).toEqual([]);
    for (const id of [ACTION.runStep, ACTION.stepDone, ACTION.stepSkip, ACTION.stepUndo])
      expect(JSON.stringify(m.blocks)).not.toContain(id);
    expect(m.text).toMatch(/\(detached\)$/);
  });

  it('the skip form and the thread notes are within limits and escape what people typed', () => {
    const modal = skipModal(HOSTILE, JSON.stringify({ p: 'x', s: 'detection.0', channelId: 'C1' }));
    expect(limitProblems(modal, 'modal')).toEqual([]);
    for (const note of [
      renderPlaybookNote({ kind: 'run_started', runId: 3, playbookTitle: HOSTILE, startedBy: WHO }),
      renderPlaybookNote({ kind: 'run_completed', runId: 3, playbookTitle: HOSTILE, done: 4, skipped: 1 }),
    ])
      expect(problems(note)).toEqual([]);
  });
});

describe('progress', () => {
  const pb: Playbook = {
    id: 'p',
    title: 'P',
    kind: 'issue',
    match: [],
    symptoms: [],
    detection: [text('Open the console'), command('Restart')],
    mitigation: [http('Check health'), text('Notify users')],
    resolution: [],
    prevention: [],
    outsideIncident: null,
  };
  /** The playbook's checklist as suggested for an incident, with these step statuses. */
  const suggested = (statuses: Parameters<typeof renderChecklist>[0]['statuses']) =>
    renderChecklist({
      playbook: pb,
      runId: null,
      origin: { kind: 'suggested' },
      statuses,
      detached: null,
      page: null,
      focus: null,
    });

  it('text steps count what people ticked; steps that run count when their last run succeeded', () => {
    const statuses = stepStatuses(
      pb,
      [{ id: 1, stepKey: 'detection.0', state: 'done', reason: null, checkedBy: WHO, checkedAt: AT }],
      [
        { stepKey: 'detection.1', state: 'failed', requestedBy: WHO, approvedBy: null, at: AT },
        { stepKey: 'mitigation.0', state: 'succeeded', requestedBy: WHO, approvedBy: null, at: AT },
      ],
    );
    expect(Object.fromEntries(Object.entries(statuses).map(([k, s]) => [k, s.state]))).toEqual({
      'detection.0': 'done',
      'detection.1': 'failed',
      'mitigation.0': 'done',
    });
    expect(progressOf(pb, statuses)).toEqual({
      total: 4,
      done: 2,
      skipped: 0,
      next: { key: 'detection.1', phase: 'detection', number: 2, text: 'Restart' },
      complete: false,
    });
    const m = suggested(statuses);
    expect(m.text).toBe('Playbook: P — 2 of 4 done');
    expect(JSON.stringify(m.blocks)).toContain('*Progress:* 2 of 4 done · next: *Detection 2.* Restart');
  });

  it('a run that needed approval names the approver beside who asked; one that did not, only who asked', () => {
    const statuses = stepStatuses(
      pb,
      [],
      [
        { stepKey: 'detection.1', state: 'succeeded', requestedBy: WHO, approvedBy: 'U0BOSS', at: AT },
        { stepKey: 'mitigation.0', state: 'succeeded', requestedBy: WHO, approvedBy: null, at: AT },
      ],
    );
    const blocks = JSON.stringify(suggested(statuses).blocks);
    expect(blocks).toContain(`_done: run by <@${WHO}>, approved by <@U0BOSS> <!date^`);
    expect(blocks).toContain(`(expects 200)\\n_done: run by <@${WHO}> <!date^`);
  });

  it('a skipped step that runs is skipped, whatever its runs; all done or skipped is complete', () => {
    const statuses = stepStatuses(
      pb,
      [
        { id: 1, stepKey: 'detection.0', state: 'done', reason: null, checkedBy: WHO, checkedAt: AT },
        { id: 2, stepKey: 'detection.1', state: 'skipped', reason: 'not needed', checkedBy: WHO, checkedAt: AT },
        { id: 3, stepKey: 'mitigation.1', state: 'done', reason: null, checkedBy: WHO, checkedAt: AT },
      ],
      [
        { stepKey: 'detection.1', state: 'failed', requestedBy: WHO, approvedBy: null, at: AT },
        { stepKey: 'mitigation.0', state: 'succeeded', requestedBy: WHO, approvedBy: null, at: AT },
      ],
    );
    expect(statuses['detection.1']?.state).toBe('skipped');
    expect(progressOf(pb, statuses)).toMatchObject({ done: 3, skipped: 1, next: null, complete: true });
  });
});
