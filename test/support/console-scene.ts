/**
 * The console driven as a person drives it (test/e2e/console*.test.ts): `npm start`'s entry point in a pseudo-terminal
 * (and with pipes), the real bot behind it on a fresh Postgres schema, a runbook whose SEV-1 response time is 2
 * seconds, and the sample atom-cli of the repository for the runbook's commands.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { ConsoleProcess } from './console-process.js';
import { serverProcesses } from './embedded-db.js';
import { createMigratedTestSchema } from './schema-pool.js';
import { testRunbookData } from './test-runbook.js';

/** A line of a stack trace: never printed to a person. */
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;
/** A colour code. */
export const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);
/** The console's welcome, once it is ready for a line. */
export const READY = 'Type what you would type in Slack';

/**
 * A directory, a schema and the runbook (with the Emergency Restart procedure) for the enclosing file or describe, and
 * `start` for consoles on them (a terminal unless `tty: false`); the consoles are stopped, embedded servers a failed
 * test left running killed, and the schemas and files removed after its tests.
 */
export function useConsoleScene(): {
  /** The scene's directory: its runbook.yml, and the data directory `data` of the consoles `start` starts. */
  dir: string;
  start(opts?: { env?: Record<string, string>; args?: string[]; tty?: boolean }): ConsoleProcess;
  /** Schemas of tests that want a database of their own. */
  dropSchemas: (() => Promise<void>)[];
  /** Data directories of the embedded database's tests: a server a failed test left running is killed, then removed. */
  embeddedDirs: { dir: string; remove(): Promise<void> }[];
} {
  const dir = join(tmpdir(), `console-${randomUUID()}`);
  const env: Record<string, string> = {};
  let dropSchema: (() => Promise<void>) | undefined;
  const dropSchemas: (() => Promise<void>)[] = [];
  const running: ConsoleProcess[] = [];
  const embeddedDirs: { dir: string; remove(): Promise<void> }[] = [];

  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    const schema = await createMigratedTestSchema();
    dropSchema = schema.drop;
    const runbook = {
      ...testRunbookData({ respond: { 1: '2s' } }),
      playbooks: {
        'emergency-restart': {
          title: 'Emergency Restart',
          kind: 'procedure',
          mitigation: [
            {
              text: 'Read the logs',
              run: ['atom-cli', 'logs', '--lines', '{lines}'],
              params: { lines: { kind: 'lines', default: 20 } },
            },
            {
              text: 'Restart every node',
              run: ['atom-cli', 'nodes', 'restart', '--all'],
              destructive: true,
              approval: true,
              warning: 'Restarts every node at once',
            },
          ],
        },
      },
      access: { responders: ['U0ALICE', 'U0SENIOR'], approvers: ['U0SENIOR', 'U0CTO'] },
    };
    await writeFile(join(dir, 'runbook.yml'), stringify(runbook));
    Object.assign(env, {
      USER: 'alice',
      TERM: 'xterm-256color',
      DATABASE_URL: schema.url,
      DATA_DIR: join(dir, 'data'),
      RUNBOOK_FILE: join(dir, 'runbook.yml'),
      ATOM_CLI: join(process.cwd(), 'examples', 'atom-cli'),
    });
  });

  afterAll(async () => {
    for (const c of running) await c.stop();
    for (const data of embeddedDirs) {
      for (const pid of await serverProcesses(data.dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      await data.remove();
    }
    await dropSchema?.();
    for (const drop of dropSchemas) await drop();
    await rm(dir, { recursive: true, force: true });
  });

  function start(opts: { env?: Record<string, string>; args?: string[]; tty?: boolean } = {}): ConsoleProcess {
    const c = ConsoleProcess.start({ env: { ...env, ...opts.env }, args: opts.args ?? [], tty: opts.tty ?? true });
    running.push(c);
    return c;
  }

  return { dir, start, dropSchemas, embeddedDirs };
}
