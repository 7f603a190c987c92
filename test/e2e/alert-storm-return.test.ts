import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import {
  type IncidentOfAlert,
  inboxDone,
  privateAlertRunbook,
  securityRow,
  waitUntil,
} from '../support/alert-runbook.js';
import { stormReturnRunbook as runbook, stormOf } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A public storm joins A, then C (more severe, opened past the cap); C resolved, its further alerts go back to A: A's
 * channel and the incidents channel are told the storm is back on A, A last in the storm's list; and again on the next
 * return (each return claimed apart), however soon after the first.
 */
describe('a storm going back to an incident it had left', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: runbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2', ALERTS_STORM_RETURN_GAP: '2s' },
  });
  const s = stormOf(bot, 'storm-return');

  it('is told again there and in the incidents channel, once per return', async () => {
    const { a, ts } = await s.start();
    const shown = () => json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);
    expect(s.toldIn(a)).toHaveLength(1);
    const c = await s.moveToSev1('sev1a', 'sev1b');
    await waitUntil('the storm message naming C', async () => shown().includes(`incident #${c.number}`));
    expect(await s.list()).toEqual([a.id, c.id]);
    // C resolved; past the return gap, a SEV-2 alert of a new name goes back to A: the storm is told back there.
    await s.resolve(c);
    await sleep(2500);
    await s.fire('back-1', 'back_one');
    expect(await s.incidentOf('back-1')).toBe(a.id);
    await waitUntil("A's channel told the storm is back", async () => s.toldIn(a).length === 2);
    expect(json(s.toldIn(a)[1]!.args.blocks)).toContain('Alert storm back');
    await waitUntil('the storm message naming A again', async () =>
      s.replies(ts).includes(`#${a.number}`) ? shown() : null,
    );
    expect(shown()).toContain(`incident #${a.number}`);
    expect(shown()).toContain(`before: #${c.number};`);
    expect(await s.list()).toEqual([c.id, a.id]);
    // Once more: to D (opened past the cap), D resolved, back to A: told a third time, the list in the storm's order.
    const d = await s.moveToSev1('sev1c', 'sev1d');
    await waitUntil('the storm message naming D', async () => shown().includes(`incident #${d.number}`));
    await s.resolve(d);
    await sleep(2500);
    await s.fire('back-2', 'back_two');
    expect(await s.incidentOf('back-2')).toBe(a.id);
    await waitUntil("A's channel told the storm is back again", async () => s.toldIn(a).length === 3);
    await waitUntil('the storm message naming A once more', async () =>
      s.replies(ts).filter((r) => r === `#${a.number}`).length === 2 ? true : null,
    );
    expect(s.replies(ts)).toEqual([`#${c.number}`, `#${a.number}`, `#${d.number}`, `#${a.number}`]);
    expect(await s.list()).toEqual([c.id, d.id, a.id]);
  }, 120_000);
});

/**
 * The same, back within ALERTS_STORM_RETURN_GAP (a flap): not told again, but the storm's incident is A again, and the
 * incidents channel's message, updated in place (nothing posted), names A now.
 */
describe('a storm flapping back to an incident it has just left', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: runbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2', ALERTS_STORM_RETURN_GAP: '5m' },
  });
  const s = stormOf(bot, 'storm-flap');

  it('is not told again', async () => {
    const { a, ts } = await s.start();
    const c = await s.moveToSev1('sev1a', 'sev1b');
    await waitUntil('the reply naming C', async () => s.replies(ts).includes(`#${c.number}`));
    await s.resolve(c);
    await s.fire('back-1', 'back_one');
    expect(await s.incidentOf('back-1')).toBe(a.id);
    await s.fire('back-2', 'back_two');
    expect(await s.incidentOf('back-2')).toBe(a.id);
    // The incidents channel's message names A again, the storm's incident now (C before it), updated in place.
    const shown = () => json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);
    await waitUntil('the storm message naming A again', async () => shown().includes(`incident #${a.number}`));
    expect(shown()).toContain(`before: #${c.number}`);
    expect(shown()).not.toContain(`incident #${c.number}`);
    await inboxDone(bot.db);
    // Nothing posted for the flap: not in A's channel, nor the message's thread, nor a new storm message.
    expect(s.toldIn(a)).toHaveLength(1);
    expect(s.replies(ts)).toEqual([`#${c.number}`]);
    expect(
      bot.fake
        .callsTo('chat.postMessage')
        .filter(
          (m) =>
            m.args.channel === INCIDENTS_CHANNEL_ID &&
            !m.args.thread_ts &&
            String(m.args.text).startsWith("Alert storm: storm-flap's further critical alerts join"),
        ),
    ).toHaveLength(1);
    expect(await s.list()).toEqual([c.id, a.id]);
  }, 120_000);
});

/** Critical rows of an operator's own, each handled as unauthorized access: their alerts open private incidents. */
/** A security row of this file's (a value past 95% fires it). */
const privateRow = (name: string, metric: string, severity: 'SEV-1' | 'SEV-2') =>
  securityRow(name, metric, severity, '> 95%');

/**
 * A private storm joins A, then B (more severe, opened past the cap); B resolved, past the return gap its further
 * alerts go back to A: A's channel is told the storm is back, as a public incident's is, and B's that it left; the
 * incidents channel, which hears only that a private incident was declared (`announce: notice`), hears nothing of the
 * storm, and never A's or B's number or channel.
 */
describe('a private storm going back to an incident it had left', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: privateAlertRunbook([
      privateRow('AdminLogins', 'admin_logins', 'SEV-2'),
      privateRow('TokenAbuse', 'token_abuse', 'SEV-2'),
      privateRow('VpnBreach', 'vpn_breach', 'SEV-1'),
      privateRow('SshBreach', 'ssh_breach', 'SEV-1'),
      privateRow('KeyAbuse', 'key_abuse', 'SEV-2'),
    ]),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1', ALERTS_STORM_RETURN_GAP: '2s' },
  });
  const s = stormOf(bot, 'sec-return');
  const privateList = async () => {
    const { rows } = await bot.db.query<{ incidents: number[] }>(
      'SELECT incidents FROM alert_private_storms WHERE source = $1',
      ['sec-return'],
    );
    return (rows[0]?.incidents ?? []).map(Number);
  };
  const movedAway = (i: IncidentOfAlert) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter(
        (c) =>
          c.args.channel === i.channel_id && !c.failed && json(c.args.blocks).includes('no longer join this incident'),
      );
  /** The storm joining an incident, or back at it, told in its channel (not its moving away). */
  const joinedIn = (i: IncidentOfAlert) =>
    s.toldIn(i).filter((c) => !json(c.args.blocks).includes('no longer join this incident'));
  /** Everything the bot posted or updated in the incidents channel. */
  const incidentsChannel = () =>
    ['chat.postMessage', 'chat.update'].flatMap((m) =>
      bot.fake.callsTo(m).filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && !c.failed),
    );

  it('is told again in its channel, and nothing of it in the incidents channel', async () => {
    // A, private SEV-2: the cap (1). An alert of another name joins it: the storm's incident.
    await s.fire('admin', 'admin_logins');
    const a = await s.declared(await s.incidentOf('admin'));
    await s.fire('token', 'token_abuse');
    expect(await s.incidentOf('token')).toBe(a.id);
    await waitUntil("A's channel told of the storm", async () => joinedIn(a).length === 1);
    // B, private SEV-1, opened past the cap; the next SEV-1 alert joins it, and so does the storm.
    await s.fire('vpn', 'vpn_breach');
    const b = await s.declared(await s.incidentOf('vpn'));
    await s.fire('ssh', 'ssh_breach');
    expect(await s.incidentOf('ssh')).toBe(b.id);
    await waitUntil("A's channel told the storm left it", async () => movedAway(a).length === 1);
    expect(await privateList()).toEqual([a.id, b.id]);
    // B resolved; past the return gap, a SEV-2 alert of a new name goes back to A: told there as a return.
    await s.resolve(b);
    await sleep(2500);
    await s.fire('key', 'key_abuse');
    expect(await s.incidentOf('key')).toBe(a.id);
    await waitUntil("A's channel told the storm is back", async () => joinedIn(a).length === 2);
    expect(json(joinedIn(a)[1]!.args.blocks)).toContain('Alert storm back');
    await waitUntil("B's channel told the storm left it", async () => movedAway(b).length === 1);
    expect(json(movedAway(b)[0]!.args.blocks)).toContain(`incident #${a.number}`);
    expect(await privateList()).toEqual([b.id, a.id]);
    await inboxDone(bot.db);
    // The incidents channel: only that private incidents were declared, nothing of the storm, neither incident named.
    const said = incidentsChannel().map((c) => json(c.args));
    expect(said.length).toBeGreaterThan(0);
    for (const m of said) {
      expect(m).toContain(':lock: A private incident was declared');
      expect(m).not.toMatch(/storm/i);
      for (const i of [a, b]) {
        expect(m).not.toMatch(new RegExp(`#${i.number}\\b`));
        expect(m).not.toContain(i.channel_id);
      }
    }
  }, 120_000);
});
