import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { blocksOf, elementsOf, json, stepButton, textOf } from '../support/checklist-helpers.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const REPORTER = 'U0REPORTER';
const TEAMMATE = 'U0TEAMMATE';
const OUTSIDER = 'U0OUTSIDER';
const PLAYBOOK = 'db-connection';

/** Six steps: text steps to tick, a command and an HTTP check that count as done when they succeed. */
function runbook(): Runbook {
  return parseRunbook({
    ...testRunbookData(),
    access: { responders: [REPORTER], approvers: ['U0APPROVER'] },
    playbooks: {
      [PLAYBOOK]: {
        title: 'Database Connection Failures',
        kind: 'incident',
        match: ['db down'],
        symptoms: ['500 errors on all endpoints'],
        detection: [
          'Open the Neon console and check the database',
          { text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '5s' },
        ],
        mitigation: ['Notify users on the status page', 'Create a Neon branch for recovery'],
        resolution: ['Smoke test critical paths', 'Write the post-mortem'],
        prevention: ['Pool monitoring'],
      },
      'long-check': {
        title: 'A long check',
        kind: 'incident',
        match: ['long check'],
        detection: Array.from({ length: 25 }, (_, i) => `Check item ${i + 1}`),
      },
    },
  });
}

interface Ctx {
  channelId: string;
  incidentId: number;
  playbookTs: string;
}

describe('a playbook as a checklist in an incident', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook: runbook(), timers: false, env: { ATOM_CLI } });
  });
  afterAll(async () => bot?.stop());

  async function declare(title: string): Promise<Ctx> {
    const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
    const replies = bot.fake.callsTo('response_url').length;
    await bot.command(`sev1 ${title}`);
    await bot.fake.waitForCount('response_url', replies + 1);
    const created = await bot.fake.waitForCount('conversations.create', before + 1);
    const channelId = bot.fake.channelByName(created.at(-1)!.args.name as string)!.id;
    const pb = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
    );
    // A teammate is in the channel too; the outsider is not.
    bot.fake.channels.get(channelId)!.members.add(TEAMMATE);
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    return { channelId, incidentId: Number(rows[0]!.id), playbookTs: (pb.response as { ts: string }).ts };
  }

  /** Clicks a step's Done/Skip/Undo on the playbook message, as it shows now; returns the private answer, if any. */
  async function tick(c: Ctx, actionId: string, key: string, userId: string, value?: string) {
    const v = value ?? stepButton(bot, c.channelId, c.playbookTs, actionId, key);
    expect(v, `${actionId} on ${key}`).toBeDefined();
    const replies = bot.fake.callsTo('response_url').length;
    const res = await bot.click({
      channelId: c.channelId,
      messageTs: c.playbookTs,
      actionId,
      blockId: `step:${key}`,
      value: v!,
      userId,
    });
    expect(res.status).toBe(200);
    return { replies, value: v! };
  }

  const waitForText = (c: Ctx, re: RegExp) =>
    bot.fake.waitFor('chat.update', (u) => u.args.ts === c.playbookTs && re.test(String(u.args.text)));
  const privateAnswer = async (after: number) =>
    String((await bot.fake.waitForCount('response_url', after + 1)).at(-1)!.args.text);
  const checks = async (c: Ctx) =>
    (
      await bot.db.query<{
        step_key: string;
        state: string;
        reason: string | null;
        checked_by: string;
        undone_by: string | null;
      }>('SELECT step_key, state, reason, checked_by, undone_by FROM step_checks WHERE incident_id = $1 ORDER BY id', [
        c.incidentId,
      ])
    ).rows;
  const events = async (c: Ctx, kind: string) =>
    (
      await bot.db.query<{ actor_id: string; details: Record<string, unknown> }>(
        'SELECT actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = $2 ORDER BY id',
        [c.incidentId, kind],
      )
    ).rows;

  it('each text step gets Done and Skip, a step that runs gets Run and Skip; the message shows progress and what is next', async () => {
    const c = await declare('db down checklist');
    const blocks = blocksOf(bot, c.channelId, c.playbookTs);
    expect(textOf(bot, c.channelId, c.playbookTs)).toBe('Playbook: Database Connection Failures — 0 of 6 done');
    expect(JSON.stringify(blocks)).toContain(
      '*Progress:* 0 of 6 done · next: *Detection 1.* Open the Neon console and check the database',
    );
    for (const key of ['detection.0', 'mitigation.0', 'mitigation.1', 'resolution.0', 'resolution.1']) {
      expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, key), key).toBeDefined();
      expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepSkip, key), key).toBeDefined();
    }
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'detection.1')).toBeUndefined();
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepSkip, 'detection.1')).toBeDefined();
    expect(elementsOf(bot, c.channelId, c.playbookTs, ACTION.runStep)).toHaveLength(1);
    expect(elementsOf(bot, c.channelId, c.playbookTs, ACTION.stepUndo)).toHaveLength(0);
  });

  it('Done records who and when, on the timeline and in the record; the message shows it and the next step', async () => {
    const c = await declare('db down done');
    await tick(c, ACTION.stepDone, 'detection.0', REPORTER);
    const updated = await waitForText(c, /1 of 6 done/);
    expect(json(updated)).toContain(`done by <@${REPORTER}>`);
    expect(json(updated)).toContain('next: *Detection 2.* Check the app status');
    expect(await checks(c)).toEqual([
      { step_key: 'detection.0', state: 'done', reason: null, checked_by: REPORTER, undone_by: null },
    ]);
    const done = await events(c, 'step_done');
    expect(done).toEqual([
      {
        actor_id: REPORTER,
        details: {
          playbook: PLAYBOOK,
          title: 'Database Connection Failures',
          step: 'detection.0',
          text: 'Open the Neon console and check the database',
        },
      },
    ]);
    // Done's button is gone; Undo is offered instead.
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'detection.0')).toBeUndefined();
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepUndo, 'detection.0')).toBeDefined();
    bot.fake.reset();
    await bot.command('timeline', { channel_id: c.channelId });
    expect(json(await bot.fake.waitFor('response_url'))).toContain(
      `<@${REPORTER}> marked done: *Database Connection Failures* · Detection 1 “Open the Neon console and check the database”`,
    );
  });

  it('ticking twice (a double click, or someone faster) gets a clear private answer and changes nothing', async () => {
    const c = await declare('db down twice');
    const first = await tick(c, ACTION.stepDone, 'mitigation.0', REPORTER);
    await waitForText(c, /1 of 6 done/);
    // The same button again (a double click), then by a teammate who still sees the old message.
    const again = await tick(c, ACTION.stepDone, 'mitigation.0', REPORTER, first.value);
    expect(await privateAnswer(again.replies)).toBe(
      `:information_source: This step is already done, by <@${REPORTER}>. To change it, that person can Undo it.`,
    );
    const teammate = await tick(c, ACTION.stepDone, 'mitigation.0', TEAMMATE, first.value);
    expect(await privateAnswer(teammate.replies)).toMatch(/already done, by <@U0REPORTER>/);
    // Skipping a step that is done is refused the same way, before any form opens.
    bot.fake.reset();
    const skip = await tick(c, ACTION.stepSkip, 'mitigation.0', TEAMMATE, first.value);
    expect(await privateAnswer(skip.replies)).toMatch(/already done, by <@U0REPORTER>/);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    expect(await checks(c)).toHaveLength(1);
    expect(await events(c, 'step_done')).toHaveLength(1);

    // Two people at the same moment: one tick is kept, the other person is told who was faster.
    const value = stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'mitigation.1')!;
    const before = bot.fake.callsTo('response_url').length;
    await Promise.all([
      tick(c, ACTION.stepDone, 'mitigation.1', REPORTER, value),
      tick(c, ACTION.stepDone, 'mitigation.1', TEAMMATE, value),
    ]);
    const [answer] = (await bot.fake.waitForCount('response_url', before + 1)).slice(before);
    expect(String(answer!.args.text)).toMatch(/already done, by <@U0(REPORTER|TEAMMATE)>/);
    expect((await checks(c)).filter((r) => r.step_key === 'mitigation.1')).toHaveLength(1);
    expect(await events(c, 'step_done')).toHaveLength(2);
  });

  it("someone not in a private incident's channel is told to be added to it, not to join it (nobody can)", async () => {
    const c = await declare('--private db down outsider, private');
    const r = await tick(c, ACTION.stepDone, 'resolution.0', OUTSIDER);
    expect(await privateAnswer(r.replies)).toBe(
      `:warning: Only people in <#${c.channelId}> may tick its steps, and you are not in it: the channel is private, so ask someone in it to add you (\`/invite\`), then try again.`,
    );
    // Made public, the channel stays private: the announcement's Join button lets them in.
    await bot.db.query('UPDATE incidents SET private = false WHERE id = $1', [c.incidentId]);
    await bot.db.query("INSERT INTO incident_events (incident_id, kind, actor_id) VALUES ($1, 'made_public', $2)", [
      c.incidentId,
      TEAMMATE,
    ]);
    const again = await tick(c, ACTION.stepDone, 'resolution.0', OUTSIDER);
    expect(await privateAnswer(again.replies)).toMatch(
      /you are not in it: the channel is private, so use the Join button of the incident's announcement in the incidents channel/,
    );
    expect(await checks(c)).toHaveLength(0);
  });

  it('someone not in the channel is told privately and nothing is recorded', async () => {
    const c = await declare('db down outsider');
    const r = await tick(c, ACTION.stepDone, 'resolution.0', OUTSIDER);
    expect(await privateAnswer(r.replies)).toBe(
      `:warning: Only people in <#${c.channelId}> may tick its steps, and you are not in it: join the channel, then try again.`,
    );
    bot.fake.reset();
    const s = await tick(c, ACTION.stepSkip, 'resolution.0', OUTSIDER);
    expect(await privateAnswer(s.replies)).toMatch(/Only people in <#C\w+> may tick its steps/);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    // A Skip form sent anyway is refused in the form (an ephemeral message in the channel would not reach them).
    const forged = await bot.submit({
      callbackId: VIEW.skipReason,
      privateMetadata: JSON.stringify({ p: PLAYBOOK, s: 'resolution.0', channelId: c.channelId }),
      userId: OUTSIDER,
      values: { [BLOCK.skipReason]: { [INPUT.reason]: stateValue.plainText('not from here') } },
    });
    expect(forged.json).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCK.skipReason]: expect.stringMatching(/^Only people in its channel may tick its steps/) },
    });
    expect(await checks(c)).toEqual([]);
    expect(await events(c, 'step_done')).toEqual([]);
  });

  it('Undo is for the person who ticked it: anyone else is told who may; their own Undo is recorded and the step is open again', async () => {
    const c = await declare('db down undo');
    await tick(c, ACTION.stepDone, 'mitigation.1', TEAMMATE);
    await waitForText(c, /1 of 6 done/);
    const other = await tick(c, ACTION.stepUndo, 'mitigation.1', REPORTER);
    expect(await privateAnswer(other.replies)).toBe(
      `:warning: Only <@${TEAMMATE}>, who marked this step done, may undo it.`,
    );
    await tick(c, ACTION.stepUndo, 'mitigation.1', TEAMMATE);
    const back = await waitForText(c, /0 of 6 done/);
    expect(json(back)).not.toContain(`done by <@${TEAMMATE}>`);
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'mitigation.1')).toBeDefined();
    // The tick is kept, with who undid it; the timeline has both.
    expect(await checks(c)).toEqual([
      { step_key: 'mitigation.1', state: 'done', reason: null, checked_by: TEAMMATE, undone_by: TEAMMATE },
    ]);
    expect((await events(c, 'step_undone')).map((e) => [e.actor_id, e.details.undid, e.details.step])).toEqual([
      [TEAMMATE, 'done', 'mitigation.1'],
    ]);
    // Nothing left to undo: a second Undo (the old button) says so.
    const twice = await tick(
      c,
      ACTION.stepUndo,
      'mitigation.1',
      TEAMMATE,
      stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'mitigation.1'),
    );
    expect(await privateAnswer(twice.replies)).toMatch(/not ticked, so there is nothing to undo/);
    // It can be ticked again, by anyone in the channel.
    await tick(c, ACTION.stepDone, 'mitigation.1', REPORTER);
    await waitForText(c, /1 of 6 done/);
  });

  it('Skip asks why in a small form (a blank reason is refused inline); the reason is recorded and shown', async () => {
    const c = await declare('db down skip');
    bot.fake.reset();
    await tick(c, ACTION.stepSkip, 'mitigation.0', TEAMMATE);
    const open = await bot.fake.waitFor('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; title: { text: string } };
    expect(view.callback_id).toBe(VIEW.skipReason);
    expect(json(open)).toContain('Notify users on the status page');
    const submit = (reason: string) =>
      bot.submit({
        callbackId: VIEW.skipReason,
        privateMetadata: view.private_metadata,
        userId: TEAMMATE,
        values: { [BLOCK.skipReason]: { [INPUT.reason]: stateValue.plainText(reason) } },
      });
    for (const blank of ['', '   ', '\u200b\u200b']) {
      const res = await submit(blank);
      expect(res.json, JSON.stringify(blank)).toMatchObject({
        response_action: 'errors',
        errors: { [BLOCK.skipReason]: expect.stringMatching(/Say why/) },
      });
    }
    expect(await checks(c)).toEqual([]);
    await submit('no user-facing impact <!channel>');
    const updated = await waitForText(c, /0 of 6 done, 1 skipped/);
    expect(json(updated)).toContain(`skipped by <@${TEAMMATE}>`);
    expect(json(updated)).toContain('no user-facing impact &lt;!channel&gt;');
    expect(json(updated)).not.toContain('<!channel>');
    expect(await checks(c)).toEqual([
      {
        step_key: 'mitigation.0',
        state: 'skipped',
        reason: 'no user-facing impact <!channel>',
        checked_by: TEAMMATE,
        undone_by: null,
      },
    ]);
    expect((await events(c, 'step_skipped'))[0]!.details.reason).toBe('no user-facing impact <!channel>');
    // The same form submitted again (a double submit) skips nothing twice.
    await submit('again');
    await bot.fake.waitFor('chat.postEphemeral', (e) => /already skipped, by/.test(json(e)));
    expect(await checks(c)).toHaveLength(1);
  });

  it('a command step counts as done when it succeeds; every step done or skipped completes the checklist', async () => {
    const c = await declare('db down all steps');
    for (const key of ['detection.0', 'mitigation.0', 'mitigation.1', 'resolution.0']) {
      await tick(c, ACTION.stepDone, key, REPORTER);
    }
    await waitForText(c, /4 of 6 done/);
    const run = elementsOf(bot, c.channelId, c.playbookTs, ACTION.runStep)[0]!.element.value!;
    await bot.click({ channelId: c.channelId, messageTs: c.playbookTs, actionId: ACTION.runStep, value: run });
    const ran = await waitForText(c, /5 of 6 done/);
    expect(json(ran)).toContain(`done: run by <@${REPORTER}>`);
    // A step done by its run has no Undo: the run is a fact.
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepUndo, 'detection.1')).toBeUndefined();
    await tick(c, ACTION.stepDone, 'resolution.1', REPORTER);
    const complete = await waitForText(c, /complete/);
    expect(json(complete)).toContain('*All 6 steps are done or skipped* (6 done, 0 skipped)');
  });

  it('a detached playbook keeps its record without buttons; its old buttons get a clear private answer; attached again, it carries on', async () => {
    const c = await declare('db down detach');
    const done = await tick(c, ACTION.stepDone, 'detection.0', REPORTER);
    await waitForText(c, /1 of 6 done/);
    const undo = stepButton(bot, c.channelId, c.playbookTs, ACTION.stepUndo, 'detection.0')!;
    const nextDone = stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'mitigation.0')!;
    const run = elementsOf(bot, c.channelId, c.playbookTs, ACTION.runStep)[0]!.element.value!;

    bot.fake.reset();
    await bot.command('detach db-connection', { channel_id: c.channelId });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(
      /Detached \*Database Connection Failures\*/,
    );
    const detached = await waitForText(c, /\(detached\)/);
    expect(json(detached)).toMatch(/Detached from the incident by <@U0REPORTER>/);
    for (const id of [ACTION.stepDone, ACTION.stepSkip, ACTION.stepUndo, ACTION.runStep])
      expect(elementsOf(bot, c.channelId, c.playbookTs, id)).toEqual([]);
    expect(json(detached)).toContain(`done by <@${REPORTER}>`);

    for (const [actionId, key, value] of [
      [ACTION.stepDone, 'mitigation.0', nextDone],
      [ACTION.stepUndo, 'detection.0', undo],
    ] as const) {
      const r = await tick(c, actionId, key, REPORTER, value);
      expect(await privateAnswer(r.replies)).toBe(
        ':warning: This playbook was detached from the incident by <@U0REPORTER>, so its steps can no longer be ticked or run. To carry on with it, attach it again: `/incident playbook db-connection`.',
      );
    }
    const replies = bot.fake.callsTo('response_url').length;
    await bot.click({ channelId: c.channelId, messageTs: c.playbookTs, actionId: ACTION.runStep, value: run });
    expect(await privateAnswer(replies)).toMatch(/was detached from the incident/);
    expect(await checks(c)).toEqual([
      { step_key: 'detection.0', state: 'done', reason: null, checked_by: REPORTER, undone_by: null },
    ]);
    expect((await events(c, 'playbook_detached')).map((e) => e.actor_id)).toEqual([REPORTER]);
    expect((await bot.db.query('SELECT 1 FROM step_runs WHERE incident_id = $1', [c.incidentId])).rows).toEqual([]);

    // Detaching again says so.
    bot.fake.reset();
    await bot.command('detach db-connection', { channel_id: c.channelId });
    expect(String((await bot.fake.waitFor('response_url')).args.text)).toMatch(/already detached by <@U0REPORTER>/);

    // Attached again: a new message, where it was left.
    bot.fake.reset();
    await bot.command('playbook db-connection', { channel_id: c.channelId });
    const again = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === c.channelId && /^Playbook:/.test(String(m.args.text)),
    );
    expect(String(again.args.text)).toBe('Playbook: Database Connection Failures — 1 of 6 done');
    const ts = (again.response as { ts: string }).ts;
    expect(stepButton(bot, c.channelId, ts, ACTION.stepDone, 'mitigation.0')).toBeDefined();
    expect(done.value).toBeDefined();

    // A button naming a playbook this incident does not have (a message of another incident, an edited value).
    const foreign = JSON.stringify({ p: 'long-check', s: 'detection.0' });
    const r = await tick(c, ACTION.stepDone, 'detection.0', REPORTER, foreign);
    expect(await privateAnswer(r.replies)).toBe(
      ':warning: That playbook is not attached to this incident: attach it with `/incident playbook long-check`.',
    );
    expect(await checks(c)).toHaveLength(1);
  });

  it("detach answers with the playbooks attached to the incident, not the runbook's every playbook", async () => {
    const c = await declare('db down detach answers');
    const ask = async (text: string) => {
      const replies = bot.fake.callsTo('response_url').length;
      await bot.command(text, { channel_id: c.channelId });
      return String((await bot.fake.waitForCount('response_url', replies + 1)).at(-1)!.args.text);
    };
    const named = await ask('detach');
    expect(named).toMatch(
      /Name the playbook to detach\.\n\*Attached to this incident\*.*\n• `db-connection` — Database/,
    );
    expect(named).not.toContain('long-check');
    expect(await ask('detach long check')).toMatch(
      /\*A long check\* is not attached to this incident\.[\s\S]*`db-connection`/,
    );
    const none = await ask('detach nothing-like-it');
    expect(none).toMatch(/No attached playbook is called `nothing-like-it`\.[\s\S]*`db-connection`/);
    expect(none).not.toContain('long-check');
    expect(await ask('detach db-connection')).toMatch(/Detached \*Database Connection Failures\*/);
    expect(await ask('detach')).toMatch(/^No playbook is attached to this incident, so there is nothing to detach/);
    expect(await ask('detach db-connection')).toMatch(/already detached by <@U0REPORTER>/);
  });

  it('a playbook too long for one message is shown a page at a time; the page select turns it, a tick shows its page', async () => {
    const c = await declare('long check overnight');
    expect(JSON.stringify(blocksOf(bot, c.channelId, c.playbookTs))).toContain('steps 1–20 of 25 shown');
    expect(stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'detection.21')).toBeUndefined();
    const select = elementsOf(bot, c.channelId, c.playbookTs, ACTION.checklistPage)[0]!.element;
    const second = select.options![1]!;
    expect(second.text.text).toBe('Steps 21–25');
    await bot.click({
      channelId: c.channelId,
      messageTs: c.playbookTs,
      actionId: ACTION.checklistPage,
      selectedOption: { value: second.value, text: second.text.text },
    });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === c.playbookTs && json(u).includes('steps 21–25 of 25 shown'),
    );
    await tick(c, ACTION.stepDone, 'detection.21', TEAMMATE);
    const ticked = await waitForText(c, /1 of 25 done/);
    expect(json(ticked)).toContain('steps 21–25 of 25 shown');
    expect(json(ticked)).toContain(`done by <@${TEAMMATE}>`);
  });
  it('the page a person turned a long playbook to is remembered: a later redraw shows that page, not the first', async () => {
    const c = await declare('long check through the night');
    // A teammate's Done on the first step, as their Slack still shows the first page.
    const firstDone = stepButton(bot, c.channelId, c.playbookTs, ACTION.stepDone, 'detection.0');
    const select = elementsOf(bot, c.channelId, c.playbookTs, ACTION.checklistPage)[0]!.element;
    const second = select.options![1]!;
    await bot.click({
      channelId: c.channelId,
      messageTs: c.playbookTs,
      actionId: ACTION.checklistPage,
      selectedOption: { value: second.value, text: second.text.text },
    });
    await bot.fake.waitFor(
      'chat.update',
      (u) => u.args.ts === c.playbookTs && json(u).includes('steps 21–25 of 25 shown'),
    );
    await tick(c, ACTION.stepDone, 'detection.0', TEAMMATE, firstDone);
    const ticked = await waitForText(c, /1 of 25 done/);
    expect(json(ticked)).toContain('steps 21–25 of 25 shown');
    // Kept with the message, for any redraw (another process's, after a restart).
    const { rows } = await bot.db.query<{ message_page: number | null }>(
      'SELECT message_page FROM incident_playbooks WHERE incident_id = $1',
      [c.incidentId],
    );
    expect(rows).toEqual([{ message_page: 1 }]);
  });
});
