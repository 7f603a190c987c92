/**
 * The console with piped input, as a person pastes it (test/e2e/console-form*.test.ts): the real console process, the
 * real bot behind it on a fresh Postgres schema each, and the sample atom-cli of the repository for the runbook's
 * commands.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { stringify } from 'yaml';
import { ConsoleProcess } from './console-process.js';
import { createMigratedTestSchema } from './schema-pool.js';
import { testRunbookData } from './test-runbook.js';

/** A line of a stack trace: never printed to a person. */
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;

/** How many times `part` occurs in `text`. */
export const count = (text: string, part: string): number => text.split(part).length - 1;

/**
 * Consoles for the enclosing file or describe: a runbook with a procedure step (Read Logs), written before its tests;
 * the consoles started stopped, and their schemas and files removed, after them.
 */
export function usePipedConsole(): {
  startPiped(name: string): Promise<ConsoleProcess>;
  pipe(name: string, lines: string[]): Promise<string>;
} {
  const dir = join(tmpdir(), `console-forms-${randomUUID()}`);
  const runbookFile = join(dir, 'runbook.yml');
  const drops: (() => Promise<void>)[] = [];
  const running: ConsoleProcess[] = [];

  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    const runbook = {
      ...testRunbookData(),
      playbooks: {
        'read-logs': {
          title: 'Read Logs',
          kind: 'procedure',
          mitigation: [
            {
              text: 'Read the logs',
              run: ['atom-cli', 'logs', '--lines', '{lines}'],
              params: { lines: { kind: 'lines', default: 20 } },
            },
          ],
        },
      },
      access: { responders: ['U0ALICE'], approvers: ['U0SENIOR'] },
    };
    await writeFile(runbookFile, stringify(runbook));
  });

  afterAll(async () => {
    for (const c of running) await c.stop();
    for (const drop of drops) await drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The console, its input piped, on a schema and a data directory of its own. */
  async function startPiped(name: string): Promise<ConsoleProcess> {
    const schema = await createMigratedTestSchema();
    drops.push(schema.drop);
    const c = ConsoleProcess.start({
      tty: false,
      args: ['--console'],
      env: {
        USER: 'alice',
        DATABASE_URL: schema.url,
        DATA_DIR: join(dir, name),
        RUNBOOK_FILE: runbookFile,
        ATOM_CLI: join(process.cwd(), 'examples', 'atom-cli'),
      },
    });
    running.push(c);
    return c;
  }

  /** Runs the console with these lines piped in, to the end of the input; what it printed. */
  async function pipe(name: string, lines: string[]): Promise<string> {
    const c = await startPiped(name);
    for (const line of lines) c.type(line);
    c.endInput();
    expect(await c.exited).toBe(0);
    expect(c.text).not.toMatch(STACK);
    return c.text;
  }

  return { startPiped, pipe };
}
