/**
 * The bot's console run as a person runs it: `npm start`'s entry point in a child process, in a pseudo-terminal
 * (test/support/pseudo-terminal.py, Python's pty module) or with piped standard input and output. The test types
 * lines and keys, and waits for what the terminal shows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { appCommand } from './app-entry.js';

const PTY = join(process.cwd(), 'test', 'support', 'pseudo-terminal.py');

const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

export interface ConsoleProcessOptions {
  env: Record<string, string>;
  args?: string[];
  /** In a pseudo-terminal (default), or with pipes. */
  tty?: boolean;
}

export class ConsoleProcess {
  /** Everything the terminal received, escape codes and all. */
  raw = '';
  /** The console's own pid (not the pseudo-terminal's), once known. */
  pid: number | undefined;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly tty: boolean;
  private listeners = new Set<() => void>();

  private constructor(opts: ConsoleProcessOptions) {
    this.tty = opts.tty ?? true;
    // node on dist/app.js, built from the sources as they are (appCommand), as bot-process.ts starts the bot.
    const app = [...appCommand(), ...(opts.args ?? [])];
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env };
    this.child = this.tty
      ? spawn('python3', [PTY, ...app], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      : // A process group of its own, as the pseudo-terminal gives it: whatever the console starts goes with it.
        spawn(app[0]!, app.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    if (!this.tty) this.pid = this.child.pid;
    this.child.stdout?.on('data', (d: Buffer) => {
      this.raw += d.toString('utf8');
      for (const l of this.listeners) l();
    });
    let err = '';
    this.child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const pid = /^pid (\d+)$/m.exec(err);
      if (this.tty && pid && this.pid === undefined) this.pid = Number(pid[1]);
      if (!this.tty) this.raw += d.toString('utf8');
      for (const l of this.listeners) l();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  static start(opts: ConsoleProcessOptions): ConsoleProcess {
    return new ConsoleProcess(opts);
  }

  /** What the terminal shows as text: escape codes removed, carriage returns dropped. */
  get text(): string {
    return this.raw.replace(ESCAPES, '').replace(/\r/g, '');
  }

  /** Where the text ends now: wait for what comes after it. */
  mark(): number {
    return this.text.length;
  }

  /** Resolves with the text from `from` once it holds `pattern`; rejects with the text so far after `timeoutMs`. */
  waitFor(pattern: string | RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const from = opts.from ?? 0;
    const found = () => {
      const t = this.text.slice(from);
      return (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t)) ? t : undefined;
    };
    return new Promise((resolve, reject) => {
      const check = () => {
        const t = found();
        if (t === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(t);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`Timed out waiting for ${String(pattern)}. The terminal showed:\n${this.text.slice(from)}`));
      }, opts.timeoutMs ?? 30_000);
      this.listeners.add(check);
      check();
    });
  }

  /** Types a line and Enter. */
  type(line: string): void {
    this.child.stdin?.write(`${line}${this.tty ? '\r' : '\n'}`);
  }

  /** Presses keys (e.g. Ctrl-C is `\x03`, Ctrl-D `\x04`). */
  keys(keys: string): void {
    this.child.stdin?.write(keys);
  }

  /** Ends standard input (piped: end of file). */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** `kill -9` of the console itself: its process group, with whatever it started (the embedded server's too). */
  kill9(): void {
    if (this.pid !== undefined) killGroup(this.pid);
  }

  /**
   * Stops whatever is left (after a test that failed half-way): the console's process group first, even when the
   * process in front of it has already exited (seen when the bot ran under the tsx CLI: a console bot left running
   * after every full run of the suite).
   */
  async stop(): Promise<void> {
    if (this.pid !== undefined) killGroup(this.pid);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** SIGKILL to the process group led by `pid` (the console's), or to `pid` alone when it leads none. */
function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
      return;
    } catch {
      // no such group, or already gone
    }
  }
}

/** The number in brackets after `before` in `text` (the last one shown), e.g. `Read the logs   [12] Run`. */
export function buttonNumber(text: string, before: RegExp): number {
  const re = new RegExp(`${before.source}\\s+\\[(\\d+)\\]`, 'g');
  const all = [...text.matchAll(re)];
  const last = all.at(-1);
  if (!last) throw new Error(`No button after ${before} in:\n${text}`);
  return Number(last[1]);
}
