import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLocal, localParts, scheduledAt, shiftAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { rotationTime } from '../../src/templates/oncall.js';
import { type BotHarness, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { makeAppHomeOpened, makeHomeAction, postInteraction, stateValue } from '../support/slack-request.js';
import { testRunbookData, WEEKLY_ON_CALL, withRotation } from '../support/test-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rotationRunbook(): Runbook {
  return parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL));
}

describe('the Home tab: On call, and overrides from it', () => {
  let bot: BotHarness;
  let runbook: Runbook;
  const homeOf = (user: string) => JSON.stringify(bot.fake.homeTabs.get(user)?.view ?? null);
  const publishes = (user: string) => bot.fake.homeTabs.get(user)?.publishes ?? 0;
  async function published(user: string, after: number, text?: string): Promise<string> {
    const until = Date.now() + 8000;
    for (;;) {
      if (publishes(user) > after && (!text || homeOf(user).includes(text))) return homeOf(user);
      if (Date.now() > until) throw new Error(`no Home tab for ${user} showing ${text}: ${homeOf(user)}`);
      await sleep(30);
    }
  }
  /** Presses a Home tab button and returns the form it opened. */
  async function openForm(user: string, actionId: string) {
    const before = bot.fake.callsTo('views.open').length;
    await postInteraction(
      bot.baseUrl,
      SIGNING_SECRET,
      makeHomeAction({ userId: user, actionId, blockId: BLOCK.homeOnCall, value: 'x' }),
    );
    const open = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    return open.args.view as { callback_id: string; private_metadata: string; blocks: Record<string, unknown>[] };
  }
  const values = (o: { person?: string | null; role?: string; from?: string; until?: string }) => ({
    [BLOCK.ocPerson]: { [INPUT.person]: stateValue.usersSelect(o.person ?? null) },
    [BLOCK.ocRole]: { [INPUT.select]: stateValue.staticSelect(o.role ?? 'on_call', 'On-Call Engineer') },
    [BLOCK.ocFrom]: { [INPUT.text]: stateValue.plainText(o.from ?? null) },
    [BLOCK.ocUntil]: { [INPUT.text]: stateValue.plainText(o.until ?? null) },
  });
  const overrides = async () =>
    (
      await bot.db.query<{ user_id: string; created_by: string; starts_at: Date; ends_at: Date }>(
        'SELECT user_id, created_by, starts_at, ends_at FROM oncall_overrides ORDER BY id',
      )
    ).rows;

  beforeAll(async () => {
    runbook = rotationRunbook();
    bot = await startBot({ runbook, timers: false, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  });
  afterAll(async () => {
    await sleep(200);
    await bot?.stop();
  });

  it('shows who is on call now per role, until when, and your own next shift, with Take on-call and Override', async () => {
    const rotation = runbook.escalation.roles.on_call!.rotation!;
    const now = new Date();
    const current = scheduledAt(rotation, now);
    const other = current === 'U0ALICE' ? 'U0BOB' : 'U0ALICE';
    await bot.event(makeAppHomeOpened(other));
    const home = await published(other, 0);
    expect(home).toContain('*On call*');
    expect(home).toContain(`*On-Call Engineer*: <@${current}> until Mon `);
    expect(home).toContain(`next <@${other}>`);
    // The other person's next shift starts at the hand-off that ends the current one.
    const end = shiftAt(rotation, now).end;
    const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', timeZone: 'Europe/London' }).format(end);
    expect(home).toContain(`Your next shift: *On-Call Engineer* from Mon ${day} `);
    expect(home).toContain(ACTION.homeTakeOnCall);
    expect(home).toContain(ACTION.homeOverride);
    await bot.event(makeAppHomeOpened(current));
    expect(await published(current, 0)).toContain(`You are on call now for *On-Call Engineer* until Mon ${day} `);
    await bot.event(makeAppHomeOpened('U0NOBODY'));
    expect(await published('U0NOBODY', 0)).toContain('You have no shift in the next 14 days.');
  });

  it('Take on-call opens the form with you in it; refusals show under their field and record nothing', async () => {
    const form = await openForm('U0BOB', ACTION.homeTakeOnCall);
    expect(form.callback_id).toBe(VIEW.oncallOverride);
    expect(JSON.stringify(form.blocks)).toContain('"initial_user":"U0BOB"');
    const submit = (v: Parameters<typeof values>[0], viewId?: string) =>
      bot.submit({
        callbackId: VIEW.oncallOverride,
        privateMetadata: form.private_metadata,
        userId: 'U0BOB',
        values: values(v),
        ...(viewId ? { viewId } : {}),
      });
    const empty = await submit({ person: 'U0BOB' });
    expect(empty.json).toEqual({ response_action: 'errors', errors: { [BLOCK.ocUntil]: expect.any(String) } });
    const badTime = await submit({ person: 'U0BOB', from: 'tonight', until: '2h' });
    expect(badTime.json).toMatchObject({ errors: { [BLOCK.ocFrom]: expect.stringContaining('is not a time') } });
    const long = await submit({ person: 'U0BOB', until: '8d' });
    expect(long.json).toMatchObject({
      response_action: 'errors',
      errors: {
        [BLOCK.ocUntil]: expect.stringContaining('longer than an override may be (7 days, ONCALL_OVERRIDE_MAX)'),
      },
    });
    const past = await submit({ person: 'U0BOB', from: '2020-01-01 09:00', until: '1h' });
    expect(past.json).toMatchObject({ errors: { [BLOCK.ocFrom]: expect.stringContaining('That starts in the past') } });
    const backwards = await submit({ person: 'U0BOB', from: '2030-01-07 10:00', until: '2030-01-07 09:00' });
    expect(backwards.json).toMatchObject({ errors: { [BLOCK.ocUntil]: expect.stringContaining('before it starts') } });
    const role = await submit({ person: 'U0BOB', role: 'cto', until: '1h' });
    expect(role.json).toMatchObject({ errors: { [BLOCK.ocRole]: expect.stringContaining('has no rotation') } });
    expect(await overrides()).toEqual([]);

    const before = publishes('U0BOB');
    const ok = await submit({ person: 'U0BOB', until: '2h' }, 'VOCTAKE1');
    const answer = ok.json as { response_action: string; view: { blocks: unknown[] } };
    expect(answer.response_action).toBe('update');
    expect(JSON.stringify(answer.view.blocks)).toContain('<@U0BOB> is on call for *On-Call Engineer* until');
    expect(await overrides()).toEqual([expect.objectContaining({ user_id: 'U0BOB', created_by: 'U0BOB' })]);
    const [o] = await overrides();
    expect(o!.ends_at.getTime() - o!.starts_at.getTime()).toBe(2 * 3_600_000);
    // The tab of the person who took it says so at once (a refresh in the background).
    expect(await published('U0BOB', before, '<@U0BOB> _(you)_ :repeat:')).toContain('You are on call now');
    // The same submission again (a Slack retry) records nothing more.
    await submit({ person: 'U0BOB', until: '2h' }, 'VOCTAKE1');
    expect(await overrides()).toHaveLength(1);
  });

  it('Override for someone outside the rotation asks first (a second step); Put on call records it, with its start', async () => {
    const form = await openForm('U0BOSS', ACTION.homeOverride);
    expect(JSON.stringify(form.blocks)).not.toContain('initial_user');
    const asked = await bot.submit({
      callbackId: VIEW.oncallOverride,
      privateMetadata: form.private_metadata,
      userId: 'U0BOSS',
      values: values({ person: 'U0ZED', from: '2030-01-07 10:00', until: 'for 8h' }),
    });
    const step = asked.json as { response_action: string; view: { callback_id: string; private_metadata: string } };
    expect(step.response_action).toBe('update');
    expect(step.view.callback_id).toBe(VIEW.oncallOverrideConfirm);
    expect(JSON.stringify(step.view)).toContain('<@U0ZED> is not in the *On-Call Engineer* rotation');
    expect(await overrides()).toHaveLength(1);
    const done = await bot.submit({
      callbackId: VIEW.oncallOverrideConfirm,
      privateMetadata: step.view.private_metadata,
      userId: 'U0BOSS',
      values: {},
    });
    expect(JSON.stringify(done.json)).toContain(
      '<@U0ZED> will be on call for *On-Call Engineer* from Mon 7 Jan 2030 10:00 (Europe/London) until Mon 7 Jan 2030 18:00 (Europe/London)',
    );
    expect((await overrides()).at(-1)).toEqual({
      user_id: 'U0ZED',
      created_by: 'U0BOSS',
      starts_at: new Date('2030-01-07T10:00:00Z'),
      ends_at: new Date('2030-01-07T18:00:00Z'),
    });
    // A question out of date (edited) records nothing and says so.
    const stale = await bot.submit({
      callbackId: VIEW.oncallOverrideConfirm,
      privateMetadata: '{"broken":true}',
      userId: 'U0BOSS',
      values: {},
    });
    expect(JSON.stringify(stale.json)).toContain('out of date');
    expect(await overrides()).toHaveLength(2);
  });
  it("reads the form's times on the clicker's clock (their Slack time zone), names it with UTC beside, and says the override on it", async () => {
    const NY = 'America/New_York';
    bot.fake.addUser('U0NYC', { name: 'nyc', real_name: 'Nia York', tz: NY });
    const form = await openForm('U0NYC', ACTION.homeTakeOnCall);
    const shown = JSON.stringify(form.blocks);
    expect(shown).toContain('your time zone, America/New_York (');
    expect(shown).toMatch(/America\/New_York \(\d\d:\d\d there when this form opened, \d\d:\d\d UTC\)/);
    expect(shown).not.toContain('Europe/London time');
    // Two hours on in New York, to the minute (tomorrow there if that is past midnight).
    const p = localParts(new Date(Date.now() + 2 * 3_600_000), NY);
    const hhmm = `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
    const expected = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, NY);
    const ok = await bot.submit({
      callbackId: VIEW.oncallOverride,
      privateMetadata: form.private_metadata,
      userId: 'U0NYC',
      values: values({ person: 'U0BOB', until: hhmm }),
      viewId: 'VOCNYC1',
    });
    const answer = JSON.stringify(ok.json);
    expect((await overrides()).at(-1)).toMatchObject({ user_id: 'U0BOB', created_by: 'U0NYC', ends_at: expected });
    expect(answer).toContain(`until ${rotationTime(expected, NY)} = ${rotationTime(expected, 'Europe/London')}`);
  });
});
