/** What the bots did, read from the fake Slack's recorded calls as they come. */
import type { SlimCall, ThreadedFakeSlack } from '../fake-slack-thread.js';

export interface Reply {
  at: number;
  text: string;
}

export class CallIndex {
  /** The first response_url reply of each request key. */
  readonly replies = new Map<string, Reply>();
  readonly methodCounts = new Map<string, number>();
  /** When each channel was created (conversations.create answered ok), in order. */
  readonly channelsCreatedAt: number[] = [];
  /** chat.postEphemeral texts, counted (form submissions are answered there, having no response_url). */
  readonly ephemerals = new Map<string, number>();
  failedCalls = 0;
  private seen = 0;

  constructor(private readonly fake: ThreadedFakeSlack) {}

  /** Brings the fake's calls since the last time (and the watched cards), and indexes the new calls. */
  async update(): Promise<void> {
    await this.fake.sync();
    const calls = this.fake.calls;
    for (; this.seen < calls.length; this.seen++) this.add(calls[this.seen]!);
  }

  get callCount(): number {
    return this.fake.calls.length;
  }

  get lastCallAt(): number {
    return this.fake.calls[this.fake.calls.length - 1]?.at ?? 0;
  }

  /** The last call other than a Home tab's (views.publish): the incident work itself (cards, posts, replies, forms). */
  get lastWorkCallAt(): number {
    for (let i = this.fake.calls.length - 1; i >= 0; i--) {
      const c = this.fake.calls[i]!;
      if (c.method !== 'views.publish') return c.at;
    }
    return 0;
  }

  private add(c: SlimCall): void {
    this.methodCounts.set(c.method, (this.methodCounts.get(c.method) ?? 0) + 1);
    if (c.failed || c.ok === false) this.failedCalls++;
    if (c.method === 'response_url' && c.key !== undefined && !this.replies.has(c.key)) {
      this.replies.set(c.key, { at: c.at, text: c.text ?? '' });
    } else if (c.method === 'conversations.create' && c.ok) {
      this.channelsCreatedAt.push(c.at);
    } else if (c.method === 'chat.postEphemeral') {
      const text = (c.text ?? '').replace(/\d+/g, 'N').slice(0, 120);
      this.ephemerals.set(text, (this.ephemerals.get(text) ?? 0) + 1);
    }
  }
}
