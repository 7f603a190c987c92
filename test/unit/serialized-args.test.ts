import type { KnownBlock, ModalView } from '@slack/types';
import { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { installSerializedArgs, serializedArgs } from '../../src/slack/serialized-args.js';

/** A client whose fetch keeps what it was asked to send and answers like Slack. */
function recordingClient() {
  const sent: { url: string; body: string; headers: Record<string, string> }[] = [];
  const fetch = async (url: string | URL, init?: RequestInit) => {
    sent.push({ url: String(url), body: String(init?.body), headers: init?.headers as Record<string, string> });
    return new Response(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2' }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  const client = new WebClient('xoxb-test', { fetch: fetch as typeof globalThis.fetch, retryConfig: { retries: 0 } });
  return { client, sent };
}

const blocks: KnownBlock[] = [
  { type: 'header', text: { type: 'plain_text', text: ':rotating_light: Incident #12 "db down"' } },
  { type: 'section', fields: [{ type: 'mrkdwn', text: '*Severity*\nSEV-1 & <urgent>' }] },
  { type: 'actions', elements: [{ type: 'button', action_id: 'ack', text: { type: 'plain_text', text: 'Ack' } }] },
];
const view: ModalView = { type: 'modal', callback_id: 'status', title: { type: 'plain_text', text: 'Status' }, blocks };

describe('serialised call arguments', () => {
  it('puts on the wire exactly what the client sent before, for messages, updates and views', async () => {
    const calls = async (client: WebClient) => {
      await client.chat.postMessage({
        channel: 'C1',
        text: 'card',
        blocks,
        metadata: { event_type: 'x', event_payload: { n: 1 } },
      });
      await client.chat.update({ channel: 'C1', ts: '1.2', text: 'card', blocks });
      await client.views.open({ trigger_id: 't1', view });
      await client.conversations.invite({ channel: 'C1', users: 'U1,U2' });
    };
    const before = recordingClient();
    await calls(before.client);
    installSerializedArgs();
    installSerializedArgs(); // once per process, however often asked
    const after = recordingClient();
    await calls(after.client);
    expect(after.sent).toEqual(before.sent);
    expect(after.sent).toHaveLength(4);
    expect(new URLSearchParams(after.sent[1]!.body).get('blocks')).toBe(JSON.stringify(blocks));
  });

  it('turns objects and arrays into their JSON, and leaves text, numbers, booleans, nulls and Buffers as they are', () => {
    const file = Buffer.from('bytes');
    const args = { channel: 'C1', n: 3, unfurl_links: false, thread_ts: undefined, icon: null, blocks, file };
    const out = serializedArgs(args);
    expect(out).toEqual({ ...args, blocks: JSON.stringify(blocks) });
    expect(out.file).toBe(file);
    // Nothing to serialise: the very same object, not a copy.
    const plain = { channel: 'C1', text: 'hi' };
    expect(serializedArgs(plain)).toBe(plain);
    // The caller's arguments are not changed.
    expect(args.blocks).toBe(blocks);
  });
});
