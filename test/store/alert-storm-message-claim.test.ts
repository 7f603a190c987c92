/**
 * The step posting a storm's incidents-channel message holds it (alert_storm_messages.posting) while Slack takes it:
 * the storm's other steps wait (`ongoing`, no message yet) however long that takes, as long as the claim is renewed;
 * a claim left unrenewed (its process died) is taken over, with the claim to look for its post by.
 */
import { beforeEach, expect, it } from 'vitest';
import { STORM_WINDOW_MS } from '../../src/incidents/alert-recorder.js';
import {
  claimStormMessage,
  keepStormMessage,
  renewStormMessageClaim,
  STORM_MESSAGE_CLAIM_STALE_MS,
  stormMessageNow,
  stormMessageRefused,
} from '../../src/store/alert-storm-message.repo.js';
import { emptyTables, forEachDatabase } from './databases.js';

forEachDatabase((ctx) => {
  beforeEach(async () => {
    await emptyTables(ctx.db, ['alert_storm_messages']);
  });
  /** The claim's last renewal set `ms` back (as if that long had passed since). */
  const age = (ms: number) =>
    ctx.db.query(
      `UPDATE alert_storm_messages SET posting_at = posting_at - make_interval(secs => $1),
         posting_since = posting_since - make_interval(secs => $1)`,
      [ms / 1000],
    );

  it('a claim renewed is waited for, whatever the time since it was made; once up, the next step is told of it', async () => {
    expect(await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone')).toEqual({
      kind: 'new',
      incidents: [1],
    });
    // Slack slow: more than a stale claim's time since it was made, renewed meanwhile.
    await age(STORM_MESSAGE_CLAIM_STALE_MS * 3);
    expect(await renewStormMessageClaim(ctx.db, 's', 'storm:1:everyone')).toBe(true);
    expect(await claimStormMessage(ctx.db, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone')).toEqual({
      kind: 'ongoing',
      at: null,
      incidents: [1, 2],
      replied: false,
    });
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.pending).toBe(true);
    await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '1.1' }, 1);
    expect(await renewStormMessageClaim(ctx.db, 's', 'storm:1:everyone')).toBe(false);
    expect(await claimStormMessage(ctx.db, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone')).toEqual({
      kind: 'ongoing',
      at: { channel: 'C1', ts: '1.1' },
      incidents: [1, 2],
      replied: false,
    });
  });

  it("a claim left unrenewed is taken over, with the dead step's claim; the step's own retry takes it back", async () => {
    await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
    // Its own retry (tried again in another process) takes it back at once, nothing to look for.
    expect(await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone')).toEqual({
      kind: 'new',
      incidents: [1],
    });
    await age(STORM_MESSAGE_CLAIM_STALE_MS + 1000);
    const { rows } = await ctx.db.query<{ posting_since: Date }>('SELECT posting_since FROM alert_storm_messages');
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.pending).toBe(false);
    const taken = await claimStormMessage(ctx.db, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone');
    expect(taken).toEqual({
      kind: 'new',
      incidents: [1, 2],
      retakenFrom: { mark: 'storm:1:everyone', since: new Date(rows[0]!.posting_since) },
    });
    // The dead step's renewal (its process was only stalled) does not take it back.
    expect(await renewStormMessageClaim(ctx.db, 's', 'storm:1:everyone')).toBe(false);
  });

  it("a slow step's post is recorded only while none is: the one recorded first stands, the late one is refused", async () => {
    await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
    // Step 1's post is slow to come back and its claim is not renewed: step 2 takes it over and posts.
    await age(STORM_MESSAGE_CLAIM_STALE_MS + 1000);
    expect((await claimStormMessage(ctx.db, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone')).kind).toBe('new');
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '2.2' }, 2)).toBe(true);
    // Step 1's post comes back: not recorded over step 2's (it is to be withdrawn).
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '1.1' }, 1)).toBe(false);
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.at).toEqual({ channel: 'C1', ts: '2.2' });
    // Nor does its refusal (Slack erring on it) undo the message.
    await stormMessageRefused(ctx.db, 's', 'storm:1:everyone', true);
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.at).toEqual({ channel: 'C1', ts: '2.2' });
    // The message recorded, kept again (step 2's retry, or a step finding it after a crash): still the one.
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '2.2' }, 2)).toBe(true);
  });

  it("the slow step's post back first, while the step that took over posts, is the one recorded", async () => {
    await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
    await age(STORM_MESSAGE_CLAIM_STALE_MS + 1000);
    await claimStormMessage(ctx.db, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone');
    // Step 2 may have found step 1's post by now, and keep it: step 1 records it meanwhile, step 2 keeps it all the same.
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '1.1' }, 1)).toBe(true);
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '1.1' }, 2)).toBe(true);
    // Had step 2 posted one of its own, that one is refused, for it to withdraw; nor can its refusal undo the message.
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '2.2' }, 2)).toBe(false);
    await stormMessageRefused(ctx.db, 's', 'storm:2:everyone', true);
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.at).toEqual({ channel: 'C1', ts: '1.1' });
  });

  it("an earlier storm's late post is not recorded in a new storm it is no part of", async () => {
    await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
    // The storm over (quiet for its window), a new one starts at incident 3, its message being posted.
    await ctx.db.query(`UPDATE alert_storm_messages SET told_at = told_at - make_interval(secs => $1)`, [
      STORM_WINDOW_MS / 1000 + 60,
    ]);
    expect(await claimStormMessage(ctx.db, 's', 3, STORM_WINDOW_MS, 'storm:3:everyone')).toEqual({
      kind: 'new',
      incidents: [3],
    });
    expect(await keepStormMessage(ctx.db, 's', { channel: 'C1', ts: '1.1' }, 1)).toBe(false);
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.at).toBeNull();
  });

  it('a post Slack answered with an error is looked for by the next attempt, even its own step', async () => {
    await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
    const { rows } = await ctx.db.query<{ posting_since: Date }>('SELECT posting_since FROM alert_storm_messages');
    const since = new Date(rows[0]!.posting_since);
    // Slack answered an error: it may have taken the post.
    await stormMessageRefused(ctx.db, 's', 'storm:1:everyone', true);
    expect((await stormMessageNow(ctx.db, 's', STORM_WINDOW_MS))?.pending).toBe(false);
    expect(await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone')).toEqual({
      kind: 'new',
      incidents: [1],
      retakenFrom: { mark: 'storm:1:everyone', since },
    });
    await stormMessageRefused(ctx.db, 's', 'storm:1:everyone', true);
    expect(await claimStormMessage(ctx.db, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone')).toMatchObject({
      kind: 'new',
      incidents: [1, 2],
      retakenFrom: { mark: 'storm:1:everyone' },
    });
    // Left to a later incident without asking Slack: nothing to look for.
    await stormMessageRefused(ctx.db, 's', 'storm:2:everyone', false);
    expect(await claimStormMessage(ctx.db, 's', 3, STORM_WINDOW_MS, 'storm:3:everyone')).toEqual({
      kind: 'new',
      incidents: [1, 2, 3],
    });
  });

  it('two claimers at once on a fresh storm: exactly one takes the message to post, the other waits for it', async () => {
    // Two replicas: pools of their own, each step's statement on its own connection.
    const other = ctx.test.connectAgain();
    try {
      for (let round = 0; round < 10; round++) {
        const source = `s${round}`;
        const [a, b] = await Promise.all([
          claimStormMessage(ctx.db, source, 1, STORM_WINDOW_MS, `storm:1:${round}`),
          claimStormMessage(other, source, 2, STORM_WINDOW_MS, `storm:2:${round}`),
        ]);
        expect([a.kind, b.kind].sort()).toEqual(['new', 'ongoing']);
        const waiting = a.kind === 'ongoing' ? a : b;
        expect(waiting).toMatchObject({ kind: 'ongoing', at: null });
        expect([...waiting.incidents].sort()).toEqual([1, 2]);
      }
    } finally {
      await other.close();
    }
  });

  it('a row another replica inserts while the claim runs, then taken: the claim it took is read from the row locked', async () => {
    // Replica A's step inserts the storm's row and its claim is refused (Slack answered an error: it may have posted),
    // uncommitted; replica B's step claims meanwhile: its statement began before A's row was there, waits on the
    // conflict, and once A commits takes the row. B must look for A's post first: retakenFrom is A's claim.
    const other = ctx.test.connectAgain();
    try {
      let since: Date | undefined;
      let b: ReturnType<typeof claimStormMessage> | undefined;
      await ctx.db.transaction(async (tx) => {
        await claimStormMessage(tx, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
        await stormMessageRefused(tx, 's', 'storm:1:everyone', true);
        const { rows } = await tx.query<{ posting_since: Date; pid: number }>(
          'SELECT posting_since, pg_backend_pid() AS pid FROM alert_storm_messages',
        );
        since = new Date(rows[0]!.posting_since);
        b = claimStormMessage(other, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone');
        // B's statement is waiting on A's row before A commits.
        for (let tries = 0; ; tries++) {
          const waiting = await other.query('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [
            rows[0]!.pid,
          ]);
          if (waiting.rows.length > 0) break;
          if (tries > 200) throw new Error('the second claim never waited on the first');
          await new Promise((r) => setTimeout(r, 25));
        }
      });
      expect(await b).toEqual({
        kind: 'new',
        incidents: [1, 2],
        retakenFrom: { mark: 'storm:1:everyone', since },
      });
    } finally {
      await other.close();
    }
  });

  it('a claim given back (nowhere to post) as another step claims: that step is told of it in one answer, not of none', async () => {
    await claimStormMessage(ctx.db, 's', 1, STORM_WINDOW_MS, 'storm:1:everyone');
    // Step 1 gives its claim back (keepStormMessage with nowhere to post) just after step 2's first statement ran.
    let statements = 0;
    const between = new Proxy(ctx.db, {
      get(target, prop, receiver) {
        if (prop === 'query')
          return async (sql: string, params?: unknown[]) => {
            if (statements++ === 1) await keepStormMessage(target, 's', null, 1);
            return target.query(sql, params as never[]);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const claim = await claimStormMessage(between, 's', 2, STORM_WINDOW_MS, 'storm:2:everyone');
    // It waits for step 1's claim as it was when it asked, its incident listed: never "ongoing" with no list, no row.
    expect(claim).toEqual({ kind: 'ongoing', at: null, incidents: [1, 2], replied: false });
    expect(statements).toBe(1);
  });
});
