/**
 * The benches' fake Slack on a thread of its own (see fake-slack-thread.ts): the local Slack (src/local-slack) serving
 * the bots' Web API calls here, so that its work never delays the bench's own event loop, which sends the load and
 * times the answers. It answers the bench's questions: the calls since the last one (their method, time, key, text
 * and outcome), the cards it watches when they changed, and the forms opened.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { LocalSlack } from '../src/local-slack/local-slack.js';
import { FAKE_NICE, type FakeThreadInit, type FromFake, type SlimCall, type ToFake } from './fake-slack-thread.js';

const init = workerData as FakeThreadInit;
const port = parentPort!;
// With BENCH_FAKE_NICE, Slack's stand-in takes a core from the bots only when they leave it one (Linux keeps a nice
// value per thread): Slack answers from machines of its own, and bare Bolt calls nothing.
if (FAKE_NICE > 0) {
  try {
    setPriority(0, Math.min(19, getPriority(0) + FAKE_NICE));
  } catch {
    // Left at its priority: the report says what was asked, the run goes on.
  }
}
const slack = await LocalSlack.start();
for (const c of init.channels) slack.addChannel(c.name, { id: c.id });
/** Edits of each watched message when it was last sent to the bench. */
const sentEdits = new Map<string, number>();

const slim = (from: number): SlimCall[] =>
  slack.calls.slice(from).map((c) => ({
    method: c.method,
    at: c.at,
    ...(c.key !== undefined ? { key: c.key } : {}),
    ...(typeof c.args.text === 'string' ? { text: c.args.text } : {}),
    ...(c.failed ? { failed: true } : {}),
    ...(c.response ? { ok: c.response.ok !== false } : {}),
  }));

port.on('message', (m: ToFake) => {
  if (m.op === 'sync') {
    const messages: FromFake['messages'] = [];
    for (const [channel, ts] of m.watch) {
      const msg = slack.message(channel, ts);
      const key = `${channel}/${ts}`;
      if (!msg || sentEdits.get(key) === msg.edits) continue;
      sentEdits.set(key, msg.edits);
      messages.push({ channel, ts, text: msg.text, blocks: msg.blocks, edits: msg.edits });
    }
    const out: FromFake = {
      id: m.id,
      calls: slim(m.from),
      messages,
      views: m.views ? [...slack.views.values()].map((v) => ({ triggerId: v.triggerId, view: v.view })) : [],
    };
    port.postMessage(out);
  } else if (m.op === 'close') {
    void slack.close().then(() => port.postMessage({ id: m.id, calls: [], messages: [], views: [] }));
  }
});
port.postMessage({ ready: true, url: slack.url });
