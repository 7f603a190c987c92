import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNNERS } from '../../src/ops/step-runners.js';
import type { CommandStep } from '../../src/runbook/playbooks.js';

const step = { type: 'command', text: 'endings', run: ['atom-cli'], timeoutMs: 10_000 } as unknown as CommandStep;
const run = (argv: string[]) => RUNNERS.command.run(argv, step, () => {}, { atomCli: argv[0]! });

/** How a command that ended badly by itself is told: what an on-call engineer reads under the run's first line. */
describe('a command step that ends badly, said plainly', () => {
  it('killed by a signal it did not get from the bot: which one, and that it crashed or was killed', async () => {
    const segv = await run(['sh', '-c', 'kill -SEGV $$']);
    expect(segv.state).toBe('failed');
    expect(segv.exitCode).toBeNull();
    expect(segv.detail).toBe('Killed by SIGSEGV (segmentation fault: it crashed), not by the bot.');
    expect(segv.signal).toBe('SIGSEGV');
    const killed = await run(['sh', '-c', 'kill -KILL $$']);
    expect(killed.detail).toBe('Killed by SIGKILL (killed from outside, or out of memory), not by the bot.');
    expect(killed.signal).toBe('SIGKILL');
  });

  it('stopped by the bot at its timeout: timed out, with no signal of its own to be labelled killed by', async () => {
    const slow = { ...step, timeoutMs: 300 } as CommandStep;
    const r = await RUNNERS.command.run(['sh', '-c', 'sleep 5'], slow, () => {}, { atomCli: 'sh' });
    expect(r.state).toBe('timed_out');
    expect(r.signal).toBeUndefined();
    const plain = await run(['sh', '-c', 'exit 3']);
    expect(plain.signal).toBeUndefined();
  });

  it('exit 127 and 126 say what the shell means by them', async () => {
    const missing = await run(['sh', '-c', 'no-such-program-here']);
    expect(missing.state).toBe('failed');
    expect(missing.exitCode).toBe(127);
    expect(missing.detail).toBe('Exit 127: a program it runs was not found (see the output).');
    const notExec = await run(['sh', '-c', 'exit 126']);
    expect(notExec.detail).toBe(
      'Exit 126: a program it runs could not be executed (not executable, or no permission).',
    );
  });

  it('a plain failure adds nothing: the exit status and the output say it', async () => {
    const failed = await run(['sh', '-c', 'echo oops >&2; exit 3']);
    expect(failed.state).toBe('failed');
    expect(failed.tail).toBe('oops');
    expect(failed.detail).toBeUndefined();
  });
});

describe('a program that is there but cannot run, told apart from one that is missing', () => {
  it('not executable: says so and how to fix it, not a raw spawn error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'step-endings-'));
    try {
      const file = join(dir, 'atom-cli');
      await writeFile(file, 'echo hi\n');
      const r = await run([file, 'status']);
      expect(r.detail).toBe(
        `\`${file}\` (\`atom-cli\`) is not executable: run \`chmod +x ${file}\`, or set ATOM_CLI to the program.`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a script whose interpreter is missing: names the script as there, and its first line as the cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'step-endings-'));
    try {
      const file = join(dir, 'atom-cli');
      await writeFile(file, '#!/no/such/python3\nprint(1)\n');
      await chmod(file, 0o755);
      const r = await run([file, 'status']);
      expect(r.state).toBe('not_found');
      expect(r.detail).toBe(
        `\`${file}\` (\`atom-cli\`) is there, but the interpreter its first line names (\`#!/no/such/python3\`) was not found.`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
