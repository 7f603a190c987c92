/**
 * The console's terminal: lines in, text out. On a terminal, readline edits the line (history, arrows), and what
 * arrives while a person types (a page, a reminder) is printed above the prompt, which is then drawn again with what
 * was typed so far. Ctrl-C in a question cancels it; Ctrl-D (or the end of piped input) ends the input. Piped, each
 * line read is echoed after its prompt, so the output reads as a transcript.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Ctrl-C while a question (a form field, a confirmation) was asked. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Ctrl-D, or the end of piped input. */
export class EndOfInput extends Error {
  constructor() {
    super('end of input');
  }
}

/** The prompt was taken away for something that came in (a form the bot opened). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export interface AskOptions {
  /** The command prompt (Ctrl-C clears the line; interrupt() may take it away), rather than a question. */
  command?: boolean;
}

interface Waiter {
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  command: boolean;
}

export class Terminal {
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private waiter: Waiter | null = null;
  private ended = false;
  /** Text typed at the prompt when it was interrupted, put back at the next prompt. */
  private stash = '';
  private lastCtrlC = 0;

  constructor(
    input: Readable,
    private readonly output: Writable & { isTTY?: boolean; columns?: number },
    readonly tty: boolean,
    private readonly onQuitKeys: () => void = () => {},
  ) {
    this.rl = createInterface({ input, output, terminal: tty, historySize: tty ? 200 : 0 });
    this.rl.on('line', (line) => {
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        if (!this.tty) this.output.write(`${this.promptText}${line}\n`);
        w.resolve(line);
      } else this.queue.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      const w = this.waiter;
      this.waiter = null;
      w?.reject(new EndOfInput());
    });
    this.rl.on('SIGINT', () => this.ctrlC());
  }

  private promptText = '';

  /** Columns to lay text out in. */
  width(): number {
    return Math.min(160, Math.max(40, this.output.columns ?? 100));
  }

  /** Prints text (one line or several) above the prompt, and draws the prompt again if one is shown. */
  print(text: string): void {
    if (this.tty && this.waiter) {
      this.output.write('\r\x1b[K');
      this.output.write(`${text}\n`);
      this.rl.prompt(true);
      return;
    }
    this.output.write(`${text}\n`);
  }

  /**
   * Asks for a line. Rejects with Cancelled (Ctrl-C in a question), EndOfInput (Ctrl-D, end of input) or Interrupted
   * (interrupt(), at the command prompt).
   */
  ask(prompt: string, opts: AskOptions = {}): Promise<string> {
    const queued = this.queue.shift();
    this.promptText = prompt;
    if (queued !== undefined) {
      if (!this.tty) this.output.write(`${prompt}${queued}\n`);
      return Promise.resolve(queued);
    }
    if (this.ended) return Promise.reject(new EndOfInput());
    return new Promise<string>((resolve, reject) => {
      this.waiter = { resolve, reject, command: opts.command === true };
      if (this.tty) {
        this.rl.setPrompt(prompt);
        this.rl.prompt();
        if (opts.command && this.stash) {
          this.rl.write(this.stash);
          this.stash = '';
        }
      }
    });
  }

  /** Takes the command prompt away (what was typed is kept for the next one); questions are left alone. */
  interrupt(): void {
    const w = this.waiter;
    if (!w?.command) return;
    this.waiter = null;
    if (this.tty) {
      this.stash = this.rl.line;
      this.rl.write(null, { ctrl: true, name: 'u' });
      this.rl.write(null, { ctrl: true, name: 'k' });
      this.output.write('\r\x1b[K');
    }
    w.reject(new Interrupted());
  }

  private ctrlC(): void {
    const w = this.waiter;
    if (w && !w.command) {
      this.waiter = null;
      this.output.write('^C\n');
      w.reject(new Cancelled());
      return;
    }
    if (this.rl.line) {
      this.rl.write(null, { ctrl: true, name: 'u' });
      this.rl.write(null, { ctrl: true, name: 'k' });
      return;
    }
    const now = Date.now();
    if (now - this.lastCtrlC < 2000) {
      this.onQuitKeys();
      return;
    }
    this.lastCtrlC = now;
    this.print('(To leave, type /quit or press Ctrl-D; Ctrl-C again leaves too.)');
  }

  close(): void {
    this.rl.close();
  }
}
