import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbookData, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

/**
 * Alert names with Slack's formatting characters in them (`*`, `_`, `~`, backticks), as senders send them: each is
 * shown inside its bold as written, and the bold closes where the message closes it (no stray bold or code span taking
 * in the rest of the line).
 */

/** What the look-alikes a name is shown with stand for. */
const READ_AS: Record<string, string> = { '∗': '*', ˍ: '_', '∼': '~', ˋ: '`' };
const readAs = (shown: string) => shown.replace(/[∗ˍ∼ˋ]/g, (c) => READ_AS[c] ?? c);

/** Every mrkdwn text of a message's blocks (sections, their fields, context elements). */
function mrkdwnTexts(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(mrkdwnTexts);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') return [o.text];
    return Object.values(o).flatMap(mrkdwnTexts);
  }
  return [];
}

/**
 * `name` is shown in a bold span of one of the message's texts, readable as sent and holding no formatting character;
 * and that text's asterisks and backticks pair up (every bold and code span it opens, it closes).
 */
function expectBoldName(blocks: unknown, name: string) {
  const texts = mrkdwnTexts(blocks);
  const withIt = texts.filter((t) => [...t.matchAll(/\*([^*\n]+)\*/g)].some((s) => readAs(s[1]!) === name));
  expect(withIt, `*${name}* among:\n${texts.join('\n---\n')}`).not.toHaveLength(0);
  for (const t of withIt) {
    const span = [...t.matchAll(/\*([^*\n]+)\*/g)].find((s) => readAs(s[1]!) === name)![1]!;
    // No `*`, `~` or backtick, nor a `_` at a word's edge (one between letters, as in snake_case, is never italics).
    expect(span).not.toMatch(/[*~`]|_(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])_/u);
    expect((t.match(/\*/g) ?? []).length % 2, t).toBe(0);
    expect((t.match(/`/g) ?? []).length % 2, t).toBe(0);
  }
}

const json = (v: unknown) => JSON.stringify(v);

describe('alert names holding mrkdwn formatting characters', () => {
  const data = alertRunbookData();
  const heartbeat = {
    name: 'Dead_Man_',
    metric: 'deadman',
    threshold: 'always firing',
    level: 'info',
    action: 'Check that monitoring is up',
    heartbeat: '2s',
  };
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook({ ...data, alerts: [...data.alerts, heartbeat] }),
    // Storm control at one incident a source: a source's further critical alerts join its first one's incident.
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1' },
  });
  const post = (over: Record<string, unknown>) => postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(over));
  const critical = (key: string, name: string) => ({
    source: 'storm',
    key,
    name,
    metric: 'probe_failures',
    value: '3',
    threshold: '> 0',
    summary: `probe failing on ${key}`,
  });

  it("the storm's New alerts attached message and the card's alert lines keep each name in its bold", async () => {
    expect((await post(critical('web-1', 'ProbeFailing'))).status).toBe(202);
    const [incident] = await waitUntil('the incident', async () => {
      const l = await incidentsOfSource(bot.db, 'storm');
      return l[0]?.card_ts ? l : null;
    });
    const told = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === incident!.channel_id && json(c.args).includes('New alert'));
    const names = ['Disk*Full', '`rm` -rf', 'queue_depth ~high~'];
    for (const [n, name] of names.entries()) {
      expect((await post(critical(`k${n}`, name))).status).toBe(202);
      await inboxDone(bot.db);
      const m = await waitUntil(`${name} told`, async () => told()[n]);
      expectBoldName(m.args.blocks, name);
    }
    const card = await waitUntil('the card lists them', async () => {
      const m = bot.fake.message(incident!.channel_id, incident!.card_ts!);
      return m && json(m.blocks).includes('queue') ? m : null;
    });
    for (const name of names) expectBoldName(card.blocks, name);
  });

  it("a warning's notice in the incidents channel keeps its name in its bold", async () => {
    const name = 'Latency*p99_`slow`';
    expect((await post({ source: 'edge', key: 'lat', name, level: 'warning', summary: 'slow' })).status).toBe(202);
    await inboxDone(bot.db);
    const notice = await waitUntil('the notice', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args.blocks).includes('p99')),
    );
    expectBoldName(notice.args.blocks, name);
  });

  // A row's name may hold `_` of the four (the runbook takes letters, digits and `_:.-`): at its end, it is at an edge.
  it("a quiet heartbeat's notice keeps its row's name in its bold", async () => {
    expect((await post({ source: 'hb', key: 'deadman', name: heartbeat.name, level: 'info' })).status).toBe(202);
    await inboxDone(bot.db);
    const quiet = await waitUntil(
      'the silence told',
      async () =>
        bot.fake
          .callsTo('chat.postMessage')
          .find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && /Monitoring may be down/.test(String(c.args.text))),
      15_000,
    );
    expectBoldName(quiet.args.blocks, heartbeat.name);
  });
});
