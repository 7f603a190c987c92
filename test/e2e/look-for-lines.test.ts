import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcedureBot, startProcedureBot } from '../support/procedure-bot.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
/** The fake secrets the fixture's log lines carry (test/fixtures/atom-cli). */
const SECRETS = [
  'sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE',
  'sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya',
  'hunter2',
];

interface Section {
  type: string;
  text?: { text: string };
  elements?: { text: string }[];
}

/** A run message's blocks, as text, one entry a block. */
const blocksOf = (ended: string) =>
  ((JSON.parse(ended) as { blocks: Section[] }).blocks ?? []).map(
    (b) => b.text?.text ?? (b.elements ?? []).map((e) => e.text).join(' '),
  );

/**
 * The runbook's `atom-cli logs | grep "ERROR"`, as the bundled playbooks' `look_for` encodes it: a step that says to
 * look for lines shows those lines first, whatever the last lines of the output are.
 */
describe('a step that looks for lines shows them first', () => {
  let env: ProcedureBot;
  let dir: string;
  beforeAll(async () => {
    env = await startProcedureBot();
    dir = await mkdtemp(join(tmpdir(), 'look-for-'));
  });
  afterAll(async () => {
    await env?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** What the fake atom-cli prints under a scenario, run by hand: to count the lines a grep would find. */
  async function printed(scenario: object, argv: string[]) {
    const file = join(dir, 'scenario.json');
    await writeFile(file, JSON.stringify(scenario));
    return execFileSync(ATOM_CLI, argv, { env: { ...process.env, ATOM_CLI_SCENARIO: file }, encoding: 'utf8' })
      .trimEnd()
      .split('\n');
  }

  it('High Error Rates: "View error logs" leads with the ERROR lines, masked, though none is in the last lines', async () => {
    await env.scenario({ logs: 'errors-earlier' });
    const lines = await printed({ logs: 'errors-earlier' }, ['logs', '--lines', '200']);
    const errors = lines.filter((l) => l.includes('ERROR'));
    expect(errors.length).toBeGreaterThan(0);
    const at = await env.attach('sev1 api trouble', 'high-error-rates');
    const key = env.keyOf('high-error-rates', (s) => s.text.startsWith('View error logs'));
    await env.submitParams(at, key, { lines: '200' });
    const ended = await env.ended(at, 'atom-cli logs --lines 200');
    const blocks = blocksOf(ended);
    const found = blocks.findIndex((b) => b.includes('lines have'));
    expect(blocks[found]).toContain(`*${errors.length} of 200 lines have "ERROR"*`);
    // The last ERROR line printed is there, its secret masked as in the rest of the output.
    expect(blocks[found]).toMatch(/OpenAI request failed: 401 invalid key OPENAI_API_KEY=\*\*\*/);
    expect(blocks[found]).toContain('anthropic fallback failed for key sk-ant-***');
    for (const secret of SECRETS) expect(ended).not.toContain(secret);
    // Then the last lines as before, none of them an ERROR line; the whole output is attached.
    const tail = blocks.slice(found + 1).join('\n');
    expect(tail).toContain('The last lines of the output');
    expect(tail).not.toContain('ERROR');
    expect(tail).toContain('Last lines shown; the full output');
    // The notification's text says it too.
    expect(JSON.parse(ended).text).toContain(`${errors.length} of 200 lines have "ERROR"`);
    await env.bot.fake.waitFor('files.completeUploadExternal', undefined, 10_000);
    // The timeline keeps the count (and the post-mortem reads it from there).
    const { rows } = await env.bot.db.query<{ found: unknown }>(
      `SELECT details->'found' AS found FROM incident_events WHERE incident_id = $1 AND kind = 'step_run'`,
      [at.incident.incidentId],
    );
    expect(rows).toEqual([{ found: { words: '"ERROR"', matched: errors.length, total: 200 } }]);
    // And the step's line on the checklist says it, under who ran it, once the checklist shows the run ended.
    const checklist = () => JSON.stringify(env.bot.fake.message(at.channelId, at.ts)?.blocks ?? []);
    await expect.poll(checklist, { timeout: 10_000 }).toContain(`:mag: ${errors.length} of 200 lines have \\"ERROR\\"`);
  });

  it('Database Connection Failures: "database" or "connection" in any case; no ERROR line says so plainly', async () => {
    await env.scenario({ logs: 'clean' });
    const lines = await printed({ logs: 'clean' }, ['logs', '--lines', '100']);
    const wanted = lines.filter((l) => /database|connection/i.test(l));
    const at = await env.attach('sev1 login page broken', 'database-connection-failures');
    const key = env.keyOf('database-connection-failures', (s) => s.text.startsWith('View logs for database errors'));
    await env.submitParams(at, key, { lines: '100' });
    const db = blocksOf(await env.ended(at, 'atom-cli logs --lines 100'));
    expect(db.join('\n')).toContain(`*${wanted.length} of 100 lines have "database" or "connection" (any case)*`);
    expect(db.join('\n')).toContain('database connection retry postgresql://app:***@db/x');
    expect(db.join('\n')).not.toContain('hunter2');
    // "Check DATABASE_URL secret (it should be listed)": its line first, the value masked.
    await env.scenario({});
    await env.clickRun(
      at,
      env.keyOf('database-connection-failures', (s) => s.text.startsWith('Check DATABASE_URL')),
    );
    const secrets = await env.ended(at, 'atom-cli secrets list');
    expect(blocksOf(secrets).join('\n')).toMatch(/\*1 of \d+ lines has "DATABASE_URL"\*/);
    expect(secrets).not.toContain('hunter2');
    // Not listed (only an older secret whose name holds it): the step fails and says so; the step is not done.
    await env.scenario({ secrets: 'no-database-url' });
    await env.clickRun(
      at,
      env.keyOf('database-connection-failures', (s) => s.text.startsWith('Check DATABASE_URL')),
    );
    const failed = await env.bot.fake.waitFor(
      'chat.update',
      (c) => c.args.channel === at.channelId && /Failed: atom-cli secrets list/.test(String(c.args.text)),
      10_000,
    );
    const missing = JSON.stringify(failed.args);
    expect(missing).toContain('Expected a line with \\"DATABASE_URL\\": none of the 2 printed has it.');
    expect(missing).not.toContain('hunter2');
    await env.scenario({ logs: 'clean' });

    const errorsAt = await env.attach('sev1 api trouble again', 'high-error-rates');
    const errorsKey = env.keyOf('high-error-rates', (s) => s.text.startsWith('View error logs'));
    await env.submitParams(errorsAt, errorsKey, { lines: '100' });
    const clean = blocksOf(await env.ended(errorsAt, 'atom-cli logs --lines 100'));
    expect(clean).toContain(':mag: No line has "ERROR" in the 100 printed.');
  });

  it('output with a NUL byte and other control characters is recorded and shown: the run ends, on the timeline', async () => {
    await env.scenario({ logs: 'control-bytes' });
    const at = await env.attach('sev1 api trouble with raw payloads', 'high-error-rates');
    const key = env.keyOf('high-error-rates', (s) => s.text.startsWith('View error logs'));
    await env.submitParams(at, key, { lines: '10' });
    const ended = await env.ended(at, 'atom-cli logs --lines 10');
    expect(ended).toContain('Succeeded');
    expect(ended).toContain('1 of 2 lines has');
    expect(ended).not.toContain('\u0000');
    // Shown as a terminal shows it: no colour codes or carriage returns as text (`[31mred[0m`).
    expect(ended).not.toContain('\\u001b');
    expect(ended).not.toContain('[31m');
    expect(ended).not.toContain('\\r');
    expect(ended).toContain('raw body: \u2400\u2400red done');
    // All of it is shown: the codes left out are not output left out, no file of it is attached.
    expect(ended).not.toContain('attached as a file');
    // Recorded: the run is finished in Postgres (text there cannot hold a NUL) and on the timeline.
    const { rows } = await env.bot.db.query<{ state: string; tail: string }>(
      `SELECT state, output_tail AS tail FROM step_runs WHERE incident_id = $1`,
      [at.incident.incidentId],
    );
    expect(rows.map((r) => r.state)).toEqual(['succeeded']);
    expect(rows[0]!.tail).toContain('bad payload');
    const { rows: events } = await env.bot.db.query(
      `SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'step_run'`,
      [at.incident.incidentId],
    );
    expect(events).toHaveLength(1);
  });
});
