/**
 * What the bot did, read from the fake Slack's calls as they come, for a driver that waits on each step: the reply of
 * a command (by its response_url key), the form a command opened (by its trigger_id), and the status update and
 * resolution posted in the incidents channel (the last call of each). Calls are forgotten once read (ten thousand
 * incidents make hundreds of thousands of them), keeping their counts by method.
 */
import type { FakeSlack, RecordedCall } from '../../test/support/fake-slack.js';
import { ANNOUNCE_CHANNEL_ID } from './settings.js';

const STATUS_SUBJECT = /^SUBJECT: \[SEV-\d\] (.+)$/m;
const RESOLVED = /^Incident #\d+ resolved: (.+?) \(time to acknowledge/;

/** The keys a call can be waited for by; none for the calls no step waits on. */
function keysOf(c: RecordedCall): string[] {
  if (c.method === 'response_url' && c.key !== undefined) return [`reply:${c.key}`];
  if (c.failed || c.response?.ok === false) return [];
  if (c.method === 'views.open' && typeof c.args.trigger_id === 'string') return [`view:${c.args.trigger_id}`];
  if (c.method === 'chat.postMessage' && c.args.channel === ANNOUNCE_CHANNEL_ID) {
    const text = String(c.args.text ?? '');
    const status = STATUS_SUBJECT.exec(text);
    if (status) return [`status:${status[1]}`];
    const resolved = RESOLVED.exec(text);
    if (resolved) return [`resolved:${resolved[1]}`];
  }
  return [];
}

export class SoakCalls {
  readonly methodCounts = new Map<string, number>();
  failedCalls = 0;
  callCount = 0;
  lastCallAt = 0;
  private readonly waiting = new Map<string, (c: RecordedCall) => void>();
  /** Calls that came before anyone waited for them. */
  private readonly early = new Map<string, RecordedCall>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly fake: FakeSlack) {
    this.timer = setInterval(() => this.pump(), 5);
  }

  /** Reads the calls recorded since the last time, settles the waits they answer, and forgets them. */
  pump(): void {
    const calls = this.fake.calls;
    if (calls.length === 0) return;
    for (const c of calls) {
      this.callCount++;
      this.lastCallAt = Math.max(this.lastCallAt, c.at);
      this.methodCounts.set(c.method, (this.methodCounts.get(c.method) ?? 0) + 1);
      if (c.failed || c.response?.ok === false) this.failedCalls++;
      for (const key of keysOf(c)) {
        const w = this.waiting.get(key);
        if (w) {
          this.waiting.delete(key);
          w(c);
        } else this.early.set(key, c);
      }
    }
    this.fake.reset();
  }

  /** The call for `key` (`reply:<response_url key>`, `view:<trigger_id>`, `status:<title>`, `resolved:<summary>`). */
  wait(key: string, timeoutMs: number): Promise<RecordedCall | null> {
    const early = this.early.get(key);
    if (early) {
      this.early.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(key);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(key, (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
  }

  close(): void {
    clearInterval(this.timer);
  }
}
