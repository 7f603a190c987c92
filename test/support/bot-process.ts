import { type ChildProcess, spawn } from 'node:child_process';
import { appCommand } from './app-entry.js';

/**
 * `npm start`'s entry point as a real process (node on dist/app.js, built from the sources as they are: appCommand);
 * resolves with the process and its port once it says it is listening. A start takes seconds on a loaded machine:
 * `timeoutMs` (60 s) is generous on purpose.
 */
export function startBotProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ proc: ChildProcess; port: number }> {
  const [node, ...args] = appCommand();
  const proc = spawn(node, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bot did not start:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += String(d);
      const m = /localhost:(\d+)\/slack\/events/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`bot exited with ${code}:\n${out}`)));
  });
}

/**
 * Kills `proc` with SIGKILL the moment Slack records the `nth` direct message to `user` that mentions `text` (and that
 * `where` accepts, when given), before the bot has Slack's answer: nothing after that call runs; resolves once the
 * process has exited.
 */
export function killAtDirectMessage(
  slack: { subscribe(listener: (call: { method: string; args: Record<string, unknown> }) => void): () => void },
  proc: ChildProcess,
  to: { user: string; mentioning: string; nth?: number; where?: (args: Record<string, unknown>) => boolean },
): Promise<void> {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let seen = 0;
  const stop = slack.subscribe((c) => {
    if (c.method !== 'chat.postMessage' || c.args.channel !== to.user) return;
    if (!JSON.stringify(c.args).includes(to.mentioning) || (to.where && !to.where(c.args))) return;
    if (++seen < (to.nth ?? 1)) return;
    proc.kill('SIGKILL');
    stop();
  });
  return exited;
}

/** Kills `proc` (SIGKILL) as Slack receives the first call `matches` (it is carried out); resolves once it exited. */
export function killAtCall(
  slack: { subscribe(listener: (call: { method: string; args: Record<string, unknown> }) => void): () => void },
  proc: ChildProcess,
  matches: (call: { method: string; args: Record<string, unknown> }) => boolean,
): Promise<void> {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = slack.subscribe((c) => {
    if (!matches(c)) return;
    proc.kill('SIGKILL');
    stop();
  });
  return exited;
}

/**
 * Kills the bot processes a test started (emptying `procs`) and waits for them to exit: the next test's processes work
 * the database alone (a test's job is taken over by the process it starts for that, not by one an earlier test left
 * running), and a loaded machine has their timer loops fewer to run.
 */
export async function killAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.splice(0).map(async (p) => {
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    }),
  );
}
