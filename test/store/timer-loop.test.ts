import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepWhen, TimerLoop, type TimerSource } from '../../src/incidents/timer-loop.js';
import { REMINDERS_DUE } from '../../src/store/action-item.repo.js';
import { createPostgresDatabase, type Database, type Queryable } from '../../src/store/db.js';
import { claimDueJobs, type EscalationJob } from '../../src/store/escalation-jobs.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { migrateAtStart } from '../../src/store/migrate.js';
import { startTestEmbedded } from '../support/embedded-db.js';
import { createTestSchema } from '../support/test-db.js';

const quiet = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The loop's source with a test handler: claims as the bot does and runs `run`. */
const source = (db: Database, run: (job: EscalationJob) => Promise<void>): TimerSource<EscalationJob> => ({
  claim: (limit, leaseMs) =>
    db.transaction(async (tx) => {
      const { jobs, nextDueAt } = await claimDueJobs(tx, limit, leaseMs);
      return { works: jobs, nextDueAt };
    }),
  run,
});

/**
 * Two loops, each with a pool of its own, as two replicas have: on Postgres, and on the embedded server (a second
 * pool on its socket stands for the second process; the engine and its SKIP LOCKED are the same).
 */
describe.each(['postgres', 'embedded'] as const)('TimerLoop on %s', (kind) => {
  let a: Database;
  let b: Database;
  let drop: () => Promise<void>;
  let incidentId: number;
  beforeAll(async () => {
    if (kind === 'postgres') {
      const s = await createTestSchema('loop');
      drop = s.drop;
      a = createPostgresDatabase(s.url);
      b = createPostgresDatabase(s.url);
    } else {
      const e = await startTestEmbedded();
      drop = e.dispose;
      a = e.db;
      b = createPostgresDatabase(e.db.embedded!.connection);
    }
    await migrateAtStart(a);
    incidentId = (await insertIncident(a, { teamId: 'T1', number: 1, title: 'x', severity: 1, reporterId: 'U1' })).id;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  const addJob = async (key: string, dueInMs: number) => {
    const { rows } = await a.query<{ id: number }>(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       VALUES ($1, $2, 'manual', 'on_call', clock_timestamp() + make_interval(secs => $3::double precision / 1000)) RETURNING id`,
      [incidentId, key, dueInMs],
    );
    return Number(rows[0]!.id);
  };

  it('the two loops talk to the server over sessions of their own', async () => {
    const pid = async (db: Queryable) => (await db.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
    const held = a.transaction(async (tx) => {
      await tx.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE', [incidentId]);
      const skipped = await b.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE SKIP LOCKED', [incidentId]);
      return { skipped: skipped.rows.length, inside: await pid(tx) };
    });
    const { skipped, inside } = await held;
    expect(skipped).toBe(0);
    expect(inside).not.toBe(await pid(b));
    expect(
      (await b.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE SKIP LOCKED', [incidentId])).rows,
    ).toHaveLength(1);
  });

  it('runs a sweep with a condition only in the rounds where it holds, one statement asking them all; the others every round', async () => {
    const ran = { never: 0, always: 0, plain: 0, reminders: 0 };
    const counting = (k: keyof typeof ran) => ({
      sweep: async () => {
        ran[k]++;
      },
    });
    const asked: string[] = [];
    const watched: Database = {
      ...a,
      query: ((text: string, values?: unknown[]) => {
        asked.push(text);
        return a.query(text, values);
      }) as Database['query'],
    };
    const loop = new TimerLoop(
      watched,
      source(a, async () => {}),
      quiet,
      { maxSleepMs: 50 },
      [
        sweepWhen('false', counting('never')),
        sweepWhen('true', counting('always')),
        counting('plain'),
        sweepWhen(REMINDERS_DUE, counting('reminders')),
      ],
    );
    loop.start();
    // Rounds every 50 ms at most: four or more, however slow the machine (a fixed 600 ms gave three once in CI).
    const until = Date.now() + 10_000;
    while (ran.always < 4 && Date.now() < until) await sleep(50);
    await loop.stop();
    expect(ran.never).toBe(0);
    expect(ran.reminders).toBe(0); // no action item at all
    expect(ran.always).toBeGreaterThan(3);
    expect(ran.plain).toBe(ran.always);
    // One statement a round for the three conditions.
    const probes = asked.filter((t) => t.includes('AS d0'));
    expect(probes.length).toBe(ran.always);
    expect(probes[0]).toContain('AS d2');
  });

  it('runs every sweep, condition or not, when the conditions cannot be asked (each then fails as it would)', async () => {
    let ran = 0;
    const loop = new TimerLoop(
      a,
      source(a, async () => {}),
      quiet,
      { maxSleepMs: 50 },
      [
        sweepWhen('no_such_column', {
          sweep: async () => {
            ran++;
          },
        }),
      ],
    );
    loop.start();
    await sleep(300);
    await loop.stop();
    expect(ran).toBeGreaterThan(1);
  });

  it('fires a job at its due time, once, with two loops on one database', async () => {
    const runs: { loop: string; id: number; at: number }[] = [];
    const handler = (loop: string, db: Database) => async (job: EscalationJob) => {
      runs.push({ loop, id: job.id, at: Date.now() });
      await db.query(`UPDATE escalation_jobs SET state = 'done' WHERE id = $1`, [job.id]);
    };
    const l1 = new TimerLoop(a, source(a, handler('a', a)), quiet, { maxSleepMs: 200 });
    const l2 = new TimerLoop(b, source(b, handler('b', b)), quiet, { maxSleepMs: 200 });
    l1.start();
    l2.start();
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => addJob(`once-${i}`, 600)));
    const due = Date.now() + 600;
    await sleep(2600);
    await l1.stop();
    await l2.stop();
    expect(runs.map((r) => r.id).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
    // At its due time, give or take the loops' 200 ms rounds and a loaded machine's pauses (the bound was 500 ms; a
    // loaded machine once took 662).
    expect(Math.max(...runs.map((r) => r.at)) - due).toBeLessThan(1200);
  });

  it('a job that outlasts its lease is not taken over by the other process (the lease is renewed)', async () => {
    const runs: string[] = [];
    const slow = (loop: string, db: Database) => async (job: EscalationJob) => {
      runs.push(loop);
      await sleep(1500); // three leases long
      await db.query(`UPDATE escalation_jobs SET state = 'done' WHERE id = $1`, [job.id]);
    };
    const l1 = new TimerLoop(a, source(a, slow('a', a)), quiet, { maxSleepMs: 100, leaseMs: 500 });
    const l2 = new TimerLoop(b, source(b, slow('b', b)), quiet, { maxSleepMs: 100, leaseMs: 500 });
    l1.start();
    l2.start();
    await addJob('slow', 0);
    await sleep(2500);
    await l1.stop();
    await l2.stop();
    expect(runs).toHaveLength(1);
  });

  it('a job claimed by a process that died runs again once its lease ends', async () => {
    const id = await addJob('orphan', 0);
    // A process claimed it and died: the lease is set, nobody finishes it.
    await a.query(
      `UPDATE escalation_jobs SET locked_until = clock_timestamp() + interval '700 milliseconds', attempts = 1 WHERE id = $1`,
      [id],
    );
    const runs: number[] = [];
    const loop = new TimerLoop(
      b,
      source(b, async (job) => {
        runs.push(Date.now());
        await b.query(`UPDATE escalation_jobs SET state = 'done' WHERE id = $1`, [job.id]);
      }),
      quiet,
      { maxSleepMs: 100 },
    );
    const started = Date.now();
    loop.start();
    await sleep(1500);
    await loop.stop();
    expect(runs).toHaveLength(1);
    expect(runs[0]! - started).toBeGreaterThanOrEqual(600);
  });
});
