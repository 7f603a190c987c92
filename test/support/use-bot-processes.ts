/**
 * The set-up of the tests that run the bot as processes of their own and kill them (kill -9): a fake Slack with
 * #general, the runbook written to a file, a migrated schema, the environment a process starts with, and the processes
 * started, killed after each test; all of it made before the describe's tests and removed after them.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { SIGNING_SECRET } from './bot-harness.js';
import { killAll } from './bot-process.js';
import type { FakeSlack } from './fake-slack.js';
import { createMigratedTestSchema } from './schema-pool.js';
import { useFakeSlack } from './use-fake-slack.js';

export interface BotProcesses {
  readonly fake: FakeSlack;
  /** The environment a bot process starts with (startBotProcess). */
  readonly env: Record<string, string>;
  /** The schema the processes share, for the test's own reads and writes. */
  readonly db: Database;
  /** The processes started: each test pushes its own, killed after it. */
  readonly procs: ChildProcess[];
}

/** `runbook`: the runbook file's data; `dirPrefix`: the name of its temp directory's start. */
export function useBotProcesses(o: { runbook: unknown; dirPrefix: string }): BotProcesses {
  const fake = useFakeSlack();
  const procs: ChildProcess[] = [];
  let dir = '';
  let drop: (() => Promise<void>) | undefined;
  const set = { fake, procs } as { fake: FakeSlack; procs: ChildProcess[]; env: Record<string, string>; db: Database };
  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    dir = await mkdtemp(join(tmpdir(), o.dirPrefix));
    await writeFile(join(dir, 'runbook.yml'), stringify(o.runbook));
    const s = await createMigratedTestSchema();
    drop = s.drop;
    set.db = createPostgresDatabase(s.url);
    set.env = {
      SLACK_BOT_TOKEN: 'xoxb-durable',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      DATABASE_URL: s.url,
      RUNBOOK_FILE: join(dir, 'runbook.yml'),
      PORT: '0',
      LOG_LEVEL: 'error',
    };
  });
  afterEach(() => killAll(procs));
  afterAll(async () => {
    await killAll(procs);
    await set.db?.close();
    await drop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return set;
}
