/** What the bot did, read from the fake Slack's recorded calls. */
import type { FakeSlack, RecordedCall } from '../../test/support/fake-slack.js';
import { ANNOUNCE_CHANNEL_ID } from './settings.js';

const CARD_TEXT = /incident #\d+: bench (\S+) — /;

export interface Reply {
  at: number;
  text: string;
}

/** Indexes the fake's calls incrementally: the card and the response_url reply of each bench request id. */
export class CallIndex {
  readonly cards = new Map<string, number>();
  readonly replies = new Map<string, Reply>();
  readonly methodCounts = new Map<string, number>();
  failedCalls = 0;
  private seen = 0;

  constructor(private readonly fake: FakeSlack) {}

  update(): void {
    const calls = this.fake.calls;
    for (; this.seen < calls.length; this.seen++) this.add(calls[this.seen]!);
  }

  get lastCallAt(): number {
    const last = this.fake.calls[this.fake.calls.length - 1];
    return last ? last.at : 0;
  }

  get callCount(): number {
    return this.fake.calls.length;
  }

  private add(c: RecordedCall): void {
    this.methodCounts.set(c.method, (this.methodCounts.get(c.method) ?? 0) + 1);
    if (c.failed || c.response?.ok === false) this.failedCalls++;
    if (c.method === 'chat.postMessage' && c.args.channel !== ANNOUNCE_CHANNEL_ID && !c.failed) {
      const m = CARD_TEXT.exec(String(c.args.text ?? ''));
      if (m?.[1] && !this.cards.has(m[1])) this.cards.set(m[1], c.at);
    } else if (c.method === 'response_url' && c.key !== undefined && !this.replies.has(c.key)) {
      this.replies.set(c.key, { at: c.at, text: String(c.args.text ?? '') });
    }
  }
}
