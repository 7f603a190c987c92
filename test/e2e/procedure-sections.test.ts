import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import type { BotHarness } from '../support/bot-harness.js';
import { blocksOf, elementsOf, json, stepButton } from '../support/checklist-helpers.js';
import { eventually } from '../support/incident-flow.js';
import { GENERAL, type ProcedureBot, REPORTER, startProcedureBot } from '../support/procedure-bot.js';
import { stateValue } from '../support/slack-request.js';

interface Confirm {
  title: { text: string };
  text: { text: string };
  confirm: { text: string };
}

/**
 * A procedure's checklist names its sections as the runbook does (a deployment's Prerequisites checklist, Deployment,
 * Post-deployment verification), not as incident phases; and a step that changes production, run while steps of a
 * required section before it are neither done nor skipped, is confirmed naming them and recorded so.
 */
describe('procedure sections and their prerequisites, through the real bot', () => {
  let env: ProcedureBot;
  let bot: BotHarness;

  beforeAll(async () => {
    // Restore from Backup's "Identify backup timestamp" made required here, for a step with parameters (its restart).
    env = await startProcedureBot({
      edit: (data) => {
        const playbooks = data.playbooks as Record<string, Record<string, unknown>>;
        playbooks['restore-from-backup']!.sections = { detection: { name: 'Identify the backup', required: true } };
        return data;
      },
    });
    bot = env.bot;
  });
  afterAll(async () => {
    await env?.stop();
  });

  const headings = (ts: string) =>
    blocksOf(bot, GENERAL, ts)
      .filter((b) => b.type === 'section' && /^\*[^*]+\*$/.test(b.text?.text ?? ''))
      .map((b) => b.text!.text);
  const confirmOf = (ts: string, key: string) =>
    (
      elementsOf(bot, GENERAL, ts, ACTION.runStep).find((x) => JSON.parse(x.element.value!).s === key)!
        .element as unknown as { confirm: Confirm }
    ).confirm;
  const click = (ts: string, actionId: string, key: string) =>
    bot.click({
      channelId: GENERAL,
      messageTs: ts,
      actionId,
      value: stepButton(bot, GENERAL, ts, actionId, key)!,
      userId: REPORTER,
    });
  const skip = async (ts: string, key: string, reason: string) => {
    const before = bot.fake.callsTo('views.open').length;
    await click(ts, ACTION.stepSkip, key);
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    await bot.submit({
      callbackId: VIEW.skipReason,
      privateMetadata: (form.args.view as { private_metadata: string }).private_metadata,
      userId: REPORTER,
      values: { [BLOCK.skipReason]: { [INPUT.reason]: stateValue.plainText(reason) } },
    });
  };

  it('shows a deployment as Prerequisites checklist, Deployment and Post-deployment verification', async () => {
    const { ts } = await env.start('deploy-web-platform');
    expect(headings(ts)).toEqual(['*Prerequisites checklist*', '*Deployment*', '*Post-deployment verification*']);
    const text = json(bot.fake.callsTo('chat.postMessage').find((m) => (m.response as { ts: string }).ts === ts));
    expect(text).not.toMatch(/\*(Detection|Mitigation|Resolution)\*/);
    expect(text).toContain('next: *Prerequisites checklist 1.* All tests passing locally');
  });

  it('a deploy with prerequisites not done names them in its confirmation, and the run records them', async () => {
    const { ts, runId } = await env.start('deploy-web-platform');
    let confirm = confirmOf(ts, 'mitigation.0');
    expect(confirm.title.text).toBe('Run it anyway?');
    expect(confirm.confirm.text).toBe('Run anyway');
    expect(confirm.text.text).toMatch(
      /^Not done yet in Prerequisites checklist: 1\. All tests passing locally .*; 2\. No critical security/,
    );
    expect(confirm.text.text).toMatch(/; and \d more\nThis runs `atom-cli deploy` anyway\./);
    expect(confirm.text.text.length).toBeLessThanOrEqual(300);

    // Done and skipped (with a reason) both count as dealt with.
    await click(ts, ACTION.stepDone, 'detection.0');
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === ts && /1 of 16 done/.test(String(u.args.text)));
    await skip(ts, 'detection.1', 'audit ran in CI this morning');
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === ts && /1 of 16 done, 1 skipped/.test(String(u.args.text)),
    );
    confirm = confirmOf(ts, 'mitigation.0');
    expect(confirm.text.text).toMatch(/^Not done yet in Prerequisites checklist: 3\. Database migrations tested/);
    expect(confirm.text.text).not.toMatch(/\b[12]\. /);

    bot.fake.reset();
    await env.clickRun({ channelId: GENERAL, ts }, 'mitigation.0');
    const ran = await env.ended({ channelId: GENERAL, ts }, 'atom-cli deploy', 20_000);
    expect(ran).toContain(
      ':warning: Run with 6 required steps not done — Prerequisites checklist: 3. Database migrations tested locally (alembic upgrade head); 4. Environment variables documented;',
    );
    const { rows } = await bot.db.query<{ details: { notDone?: Record<string, unknown>[] } }>(
      "SELECT details FROM playbook_run_events WHERE run_id = $1 AND kind = 'step_run' AND details->>'step' = 'mitigation.0'",
      [runId],
    );
    const notDone = rows[0]!.details.notDone!;
    expect(notDone.map((s) => s.key)).toEqual([
      'detection.2',
      'detection.3',
      'detection.4',
      'detection.5',
      'detection.6',
      'detection.7',
    ]);
    expect(notDone[0]).toEqual({
      key: 'detection.2',
      section: 'Prerequisites checklist',
      number: 3,
      text: expect.stringMatching(/^Database migrations tested locally/),
    });
    // One shape: the run's record of what its message showed keeps them as its event does.
    const shown = await bot.db.query<{ end_shown: { notDone?: unknown } }>(
      "SELECT end_shown FROM step_runs WHERE run_id = $1 AND step_key = 'mitigation.0'",
      [runId],
    );
    expect(shown.rows[0]!.end_shown.notDone).toEqual(notDone);
  });

  it('with every prerequisite dealt with, the deploy is confirmed as before and runs with nothing recorded against it', async () => {
    const { ts, runId } = await env.start('deploy-api-service');
    for (let i = 0; i < 8; i++) {
      await click(ts, ACTION.stepDone, `detection.${i}`);
      await bot.fake.waitFor(
        'chat.update',
        (u) => u.args.ts === ts && new RegExp(`${i + 1} of 16 done`).test(String(u.args.text)),
      );
    }
    const confirm = confirmOf(ts, 'mitigation.0');
    expect(confirm.title.text).toBe('Run in production?');
    expect(confirm.text.text).toMatch(/^This runs `atom-cli deploy --config infrastructure.config`\./);
    bot.fake.reset();
    await env.clickRun({ channelId: GENERAL, ts }, 'mitigation.0');
    const ran = await env.ended({ channelId: GENERAL, ts }, 'atom-cli deploy', 20_000);
    expect(ran).not.toContain('not done');
    const details = await eventually(async () => {
      const { rows } = await bot.db.query<{ details: Record<string, unknown> }>(
        "SELECT details FROM playbook_run_events WHERE run_id = $1 AND kind = 'step_run' AND details->>'step' = 'mitigation.0'",
        [runId],
      );
      return rows[0]?.details;
    }, 'the deploy to be recorded');
    expect(details).not.toHaveProperty('notDone');
  });

  it('a step with parameters names them in its confirmation form', async () => {
    const { ts } = await env.start('restore-from-backup');
    const restart = env.keyOf('restore-from-backup', (s) => s.type === 'command' && s.run.includes('restart'));
    const answer = await env.submitParams({ channelId: GENERAL, ts }, restart, { node_id: 'web-1' });
    const view = answer.json.view as { title: { text: string }; submit: { text: string } };
    expect(view.title.text).toBe('Run it anyway?');
    expect(view.submit.text).toBe('Run anyway');
    expect(JSON.stringify(view)).toContain(
      ':warning: Not done yet in Identify the backup: 1. Identify backup timestamp: Neon Console &gt; Backups',
    );
    bot.fake.reset();
    await env.confirm(answer);
    const ran = await env.ended({ channelId: GENERAL, ts }, 'atom-cli nodes restart web-1');
    expect(ran).toContain(':warning: Run with 1 required step not done — Identify the backup: 1. Identify backup');
  });

  it('an incident playbook requires nothing: its restart, with detection unticked, is confirmed as before', async () => {
    const at = await env.declare('sev2 database connection failures on web', 'database-connection-failures');
    const answer = await env.submitParams(at, 'mitigation.2', { node_id: 'web-1' });
    const view = answer.json.view as { title: { text: string }; submit: { text: string } };
    expect(view.title.text).toBe('Run in production?');
    expect(view.submit.text).toBe('Run it');
    expect(JSON.stringify(view)).not.toContain('Not done yet');
  });
});
