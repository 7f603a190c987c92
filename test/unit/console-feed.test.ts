import { describe, expect, it } from 'vitest';
import type { ConsoleContext } from '../../src/console/context.js';
import { Feed } from '../../src/console/feed.js';
import type { RecordedCall } from '../../src/local-slack/local-slack.js';

describe('the console feed', () => {
  it('prints a channel topic as Slack shows it: the entities the bot escaped are read back', () => {
    const lines: string[] = [];
    const ctx = { note: (line: string) => lines.push(line), channelLabel: () => '#inc-1-db' };
    const feed = new Feed(
      ctx as unknown as ConsoleContext,
      () => {},
      () => {},
    );
    feed.show({
      method: 'conversations.setTopic',
      args: { channel: 'C0INC', topic: 'SEV-2 · #1 &lt;!channel&gt; p99 &gt; 2s &amp; rising' },
      response: { ok: true },
    } as unknown as RecordedCall);
    expect(lines).toEqual(['#inc-1-db topic: SEV-2 · #1 <!channel> p99 > 2s & rising']);
  });
});
