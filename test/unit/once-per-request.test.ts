import { describe, expect, it } from 'vitest';
import { makeBlockAction } from '../../src/local-slack/interactions.js';
import { oncePerRequest, REPEAT_CLICK_MS } from '../../src/slack/once-per-request.js';
import type { KeyValue } from '../../src/store/kv.js';
import { MemoryKv } from '../../src/store/kv-memory.js';
import { RequestDedupe } from '../../src/store/request-dedupe.js';

/** A click as Slack sends it: a fresh trigger id each time, unless given. */
const click = (over: Partial<Parameters<typeof makeBlockAction>[0]> = {}) =>
  makeBlockAction({
    userId: 'U1',
    channelId: 'C1',
    messageTs: '1700000000.000100',
    actionId: 'incident_acknowledge',
    blockId: 'b',
    value: '42',
    responseUrl: 'https://hooks.slack.test/r',
    message: { text: 'Incident #42', blocks: [{ type: 'section' }] },
    ...over,
  });

/** Runs the middleware on `body`: true when the request went on to the listeners, false when it was acked and dropped. */
function gate(kv: KeyValue) {
  const mw = oncePerRequest(new RequestDedupe(kv));
  return async (body: Record<string, unknown>): Promise<boolean> => {
    let went = false;
    let acked = false;
    await mw({
      body,
      next: async () => {
        went = true;
      },
      ack: async () => {
        acked = true;
      },
    } as unknown as Parameters<typeof mw>[0]);
    expect(went || acked).toBe(true);
    return went;
  };
}

describe('the fast first check against double clicks', () => {
  it("drops the same person's second click on the same button of the same message, under another trigger id", async () => {
    const pass = gate(new MemoryKv());
    expect(await pass(click())).toBe(true);
    expect(await pass(click())).toBe(false);
  });

  it("lets others' clicks, other buttons, other values and other messages through", async () => {
    const pass = gate(new MemoryKv());
    expect(await pass(click())).toBe(true);
    expect(await pass(click({ userId: 'U2' }))).toBe(true);
    expect(await pass(click({ actionId: 'incident_escalate' }))).toBe(true);
    expect(await pass(click({ value: '43' }))).toBe(true);
    expect(await pass(click({ messageTs: '1700000000.000200' }))).toBe(true);
  });

  it('a click on the message once it changed is a new one (Done, Undo, then Done again)', async () => {
    const pass = gate(new MemoryKv());
    const done = (blocks: unknown[]) =>
      click({ actionId: 'playbook_step_done', value: 'x', message: { text: 'Playbook', blocks } });
    expect(await pass(done([{ type: 'section', text: 'Done' }]))).toBe(true);
    expect(await pass(click({ actionId: 'playbook_step_undo', value: 'x' }))).toBe(true);
    expect(await pass(done([{ type: 'section', text: 'Done', v: 2 }]))).toBe(true);
  });

  it('a select picked again is not a double click', async () => {
    const pass = gate(new MemoryKv());
    const pick = () => click({ selectedOption: { text: 'SEV-2', value: '2' } });
    expect(await pass(pick())).toBe(true);
    expect(await pass(pick())).toBe(true);
  });

  it(`the same click ${REPEAT_CLICK_MS} ms later goes on`, async () => {
    let now = 1_000_000;
    const pass = gate(new MemoryKv(() => now));
    expect(await pass(click())).toBe(true);
    now += REPEAT_CLICK_MS - 1;
    expect(await pass(click())).toBe(false);
    now += 1;
    expect(await pass(click())).toBe(true);
  });

  it('a retry of the same click (its trigger id again) is still dropped after the double-click window', async () => {
    let now = 1_000_000;
    const pass = gate(new MemoryKv(() => now));
    expect(await pass(click({ triggerId: '1.2.abc' }))).toBe(true);
    now += 60_000;
    expect(await pass(click({ triggerId: '1.2.abc' }))).toBe(false);
  });

  it('with the store down every click goes on, to Postgres', async () => {
    const down: KeyValue = {
      get: () => Promise.reject(new Error('down')),
      setIfAbsent: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
      takeInWindow: () => Promise.reject(new Error('down')),
      giveBackInWindow: () => Promise.reject(new Error('down')),
      ping: () => Promise.reject(new Error('down')),
      close: async () => {},
    };
    const pass = gate(down);
    expect(await pass(click())).toBe(true);
    expect(await pass(click())).toBe(true);
  });
});
