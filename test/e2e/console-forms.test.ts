/**
 * Forms and commands in the console, with piped input as a person pastes it: the real console process, the real bot
 * behind it on a fresh Postgres schema, and the sample atom-cli of the repository for the runbook's commands.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConsoleProcess } from '../support/console-process.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { testRunbookData } from '../support/test-runbook.js';

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

let dir: string;
let runbookFile: string;
const drops: (() => Promise<void>)[] = [];
const running: ConsoleProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-forms-'));
  runbookFile = join(dir, 'runbook.yml');
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
  if (dir) await rm(dir, { recursive: true, force: true });
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

/** How many times `part` occurs in `text`. */
const count = (text: string, part: string): number => text.split(part).length - 1;

describe('a form in the console', () => {
  it('takes no command as a field: it says which form is open and asks again; /cancel closes it unsent', async () => {
    const text = await pipe('command', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident update',
      '/incident list',
      '/cancel',
      '/cancel',
      '/incident resolve',
      '/incident resolve fixed by rollback',
      'rolled back the deploy',
    ]);
    // The command was not the summary; the line after it was.
    expect(text).not.toContain('Summary: /incident');
    expect(text).toContain('Summary: rolled back the deploy');
    const told = text.slice(text.indexOf('One-line summary: /incident resolve fixed by rollback'));
    expect(told).toMatch(
      /^One-line summary: \/incident resolve fixed by rollback\nYou are filling in the form "Resolve #1": "\/incident resolve fixed by rollback" is a command, not an answer to One-line summary\.\n.*\/cancel to close the form without sending.*\nOne-line summary: rolled back the deploy\n/,
    );
    // Another command in a form is not its answer either; /cancel closes it, and nothing is sent.
    const update = text.slice(text.indexOf('Form: Status update'), text.indexOf('Form: Resolve'));
    expect(update).toContain('/cancel or Ctrl-C closes it without sending');
    expect(update).toMatch(/Status \[\w+\]: \/incident list\nYou are filling in the form "Status update"/);
    expect(update).toMatch(/Status \[\w+\]: \/cancel\nForm closed; nothing was sent\./);
    expect(update).not.toContain('(Post update: sent)');
    // At the prompt, there is no form to close.
    expect(update).toMatch(/> \/cancel\nNo form is open/);
  }, 90_000);

  it('takes an answer that starts with a path, or with // in front, as it is', async () => {
    const text = await pipe('slashes', [
      '/incident sev2 api down',
      '/open inc-1',
      '/incident resolve',
      '/api/health answers again',
      // Declared from #general: typed in #inc-1 it would ask whether it is incident #1 again.
      '/open general',
      '/incident sev2 tmp full',
      '/open inc-2',
      '/incident resolve',
      '//tmp cleaned',
    ]);
    expect(text).toContain('Summary: /api/health answers again');
    expect(text).toContain('Summary: /tmp cleaned');
  }, 90_000);

  it('takes no press as a field: it says the form covers the buttons, how to choose, and how to answer it as typed', async () => {
    const text = await pipe('press', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident update',
      'press 2',
      '2',
      '/cancel',
      '/incident resolve',
      'press 2',
      '\\press 2 was the fix',
    ]);
    const update = text.slice(text.indexOf('Form: Status update'), text.indexOf('Form: Resolve'));
    // At a choice, press is not the option: the person is told to type the option alone, and the question comes again.
    expect(update).toMatch(
      /Status \[\w+\]: press 2\nYou are filling in the form "Status update": "press 2" presses a button of a message[^\n]*\nTo choose one of the options of Status, type its number or its name alone, without press\.\n.*\/cancel.*\nStatus \[\w+\]: 2\n/,
    );
    const resolve = text.slice(text.indexOf('Form: Resolve'));
    // The resolution is not "press 2"; the line with \\ in front is taken as typed.
    expect(resolve).toMatch(
      /One-line summary: press 2\nYou are filling in the form "Resolve #1": "press 2" presses a button of a message[^\n]*\nAnswer One-line summary to go on[^\n]*\n[^\n]*To answer "press 2" as typed, type it with \\ in front\.\nOne-line summary: \\press 2 was the fix\n/,
    );
    expect(text).not.toContain('Summary: press 2\n');
    expect(text).toContain('Summary: press 2 was the fix');
  }, 90_000);

  it('prints what the bot refused in a field once, then asks that field again', async () => {
    const text = await pipe('refused', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident playbook read-logs',
      'press run',
      'abc',
      '5',
    ]);
    expect(text).toMatch(/lines \[20\]: abc\nThe bot did not take the form:\n {2}⚠️ lines: "abc" is not valid/);
    expect(count(text, '"abc" is not valid')).toBe(1);
    const again = text.slice(text.indexOf('"abc" is not valid'));
    expect(again).toMatch(/\nlines \[20\]: 5\n/);
    expect(again).toMatch(/Succeeded\s+`?atom-cli logs --lines 5/);
  }, 90_000);

  it('/incident maintenance stop ends the open window, as end does', async () => {
    const text = await pipe('maintenance', [
      '/incident maintenance start db upgrade',
      '/incident maintenance stop',
      '/incident maintenance',
    ]);
    expect(text).toMatch(/db upgrade is open from now until/);
    const stopped = text.slice(text.indexOf('> /incident maintenance stop'));
    expect(stopped).not.toContain('is not a maintenance command');
    expect(stopped).toMatch(/Ended db upgrade\./);
    expect(stopped).toContain('db upgrade has ended (ended by @alice)');
  }, 90_000);

  it('/quit in a form closes it unsent and stops the console, not asked again', async () => {
    const text = await pipe('quit', [
      '/incident sev2 db down',
      '/open inc-1',
      '/incident resolve',
      '/quit',
      'never read',
    ]);
    expect(text.slice(text.indexOf('Form: Resolve'))).toMatch(
      /One-line summary: \/quit\nForm "Resolve #1" closed; nothing was sent\.\nStopping/,
    );
    expect(text).not.toContain('is a command, not an answer');
    expect(text).not.toContain('never read');
    expect(text).not.toContain('Resolved');
  }, 90_000);

  it("a press's confirmation takes /cancel as no and /quit as no and leave, not as answers to ask again", async () => {
    const text = await pipe('confirm', [
      '/incident sev2 db down',
      '/open inc-1',
      'press roll back',
      'press roll back to v57',
      '/cancel',
      'press roll back to v57',
      '/incident list',
      '/quit',
      'never read',
    ]);
    const asked = text.slice(text.indexOf('> press roll back to v57'));
    expect(asked).toMatch(/\? \(y\/n\) \/cancel\nCancelled; nothing was sent\./);
    expect(asked).toMatch(
      /\? \(y\/n\) \/incident list\n"\/incident list" is not an answer here: answer, or type \/cancel to leave it \(Ctrl-C does too\)\.\n[^\n]*\? \(y\/n\) \/quit\nCancelled; nothing was sent\.\nStopping/,
    );
    expect(text).not.toContain('Type y or n.');
    // Neither press reached the bot: nothing of a roll back under way.
    expect(count(text, 'Cancelled; nothing was sent.')).toBe(2);
    expect(text).not.toMatch(/atom-cli rollback v57[^\n]*(ran|running|exit)/i);
  }, 90_000);

  it("takes Next update as a person types it ('in 30 minutes', '1 hour'), and says what it takes otherwise", async () => {
    const typedAt = Date.now();
    const c = await startPiped('nextwords');
    for (const line of [
      '/incident sev2 checkout slow',
      '/open inc-1',
      '/incident update',
      '', // Status: Investigating
      'checkout users',
      'slow pages',
      'looking at the pool',
      '', // Mitigation steps
      'soonish',
      'in 30 minutes',
      '', // Flags
      '', // Status page
    ])
      c.type(line);
    await c.waitFor('(Post update: sent)', { timeoutMs: 30_000 });
    c.endInput();
    expect(await c.exited).toBe(0);
    const text = c.text;
    expect(text).not.toMatch(STACK);
    // Not a time: said so, with the ways a time is taken, and asked again.
    expect(text).toMatch(
      /Next update \[[^\]]*\]: soonish\n\s*"soonish" is not a time\. Type a time on your clock \(Europe\/London\): in 30 minutes \(or 30m, 1 hour\)/,
    );
    expect(count(text, 'is not a time')).toBe(1);
    // 'in 30 minutes' taken: the update says the next one 30 minutes on (to the minute of the answer).
    const after = text.slice(text.indexOf(': in 30 minutes\n'));
    expect(after).not.toMatch(/^[^\n]*\n\s*Type a time/);
    const next = /NEXT UPDATE:\s*(\d{4}-\d\d-\d\d \d\d:\d\d) UTC/.exec(after);
    expect(next).not.toBeNull();
    const promised = Date.parse(`${next![1]!.replace(' ', 'T')}:00Z`);
    expect(promised).toBeGreaterThanOrEqual(typedAt + 29 * 60_000 - 60_000);
    expect(promised).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
  }, 90_000);

  it('says the form was not sent when the input ends in it', async () => {
    const text = await pipe('ended', ['/incident sev2 db down', '/open inc-1', '/incident update', '2']);
    expect(text).toMatch(/Status \[\w+\]: 2\n[\s\S]*Affected\n/);
    expect(text.slice(text.indexOf('Form: Status update'))).toMatch(
      /The input ended in the form "Status update": nothing was sent\.\nStopping/,
    );
    expect(text).not.toContain('(Post update: sent)');
  }, 90_000);
});

describe('buttons in the console', () => {
  it("does not press a button in someone else's direct messages with the bot, as Slack shows them to nobody else", async () => {
    const c = await startPiped('others_dm');
    c.type('/incident sev2 db down');
    const paged = await c.waitFor(/direct message to @oncall[\s\S]*Incident #1 \(SEV-2\) is open/);
    // The page's Acknowledge, in @oncall's direct messages (the first after its heading).
    const dmButton = /\[(\d+)\] Acknowledge/.exec(paged.slice(paged.indexOf('direct message to @oncall')))?.[1];
    expect(dmButton).toBeDefined();
    c.type('/as ann');
    c.type(`press ${dmButton}`);
    c.type('/as oncall');
    c.type(`press ${dmButton}`);
    c.endInput();
    expect(await c.exited).toBe(0);
    const asAnn = c.text.slice(c.text.indexOf(`ann in #general> press ${dmButton}`), c.text.indexOf('> /as oncall'));
    expect(asAnn).toContain(`[${dmButton}] is in @oncall's direct messages with the bot`);
    expect(asAnn).not.toContain('acknowledged the incident');
    const asOncall = c.text.slice(c.text.indexOf(`oncall in #general> press ${dmButton}`));
    expect(asOncall).toContain('@oncall acknowledged the incident');
  }, 90_000);
});
