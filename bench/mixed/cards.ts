/**
 * The 50 open incidents of bench/mixed: declared through the HTTP edge before the load, their cards read back from
 * what the fake Slack holds (the buttons and the severity select as the bot rendered them, refreshed as the bot
 * updates them), and the status update form the bot opened for each (its real private_metadata and blocks).
 */
import http from 'node:http';
import { ACTION, BLOCK } from '../../src/templates/ids.js';
import {
  encodeInteraction,
  encodeSlashCommand,
  makeBlockAction,
  makeSlashCommand,
  makeTriggerId,
} from '../../test/support/slack-request.js';
import type { ThreadedFakeSlack } from '../fake-slack-thread.js';
import { BenchBroken, type BenchSchema, postSigned, sleep } from '../lib.js';
import { GENERAL_CHANNEL_ID, OPEN_INCIDENTS, REQUEST_TIMEOUT_MS } from './settings.js';

interface Option {
  value: string;
  text: string;
}

/** What a person sees on a card and clicks: read from the card's blocks as the fake Slack holds them now. */
export interface CardView {
  text: string;
  blocks: unknown[];
  /** The block_id of the card's actions block (`incident_card_actions:<id>`). */
  blockId: string;
  /** Acknowledge, or Take command once acknowledged (its value then names the commander shown). */
  acknowledge: { value: string; label: string };
  severity: { options: Option[]; current: string | null };
  postUpdate: { value: string };
}

export interface OpenIncident {
  id: number;
  number: number;
  channelId: string;
  channelName: string;
  cardTs: string;
  /** The status update form the bot opened for this incident: its private_metadata and blocks, as Slack holds them. */
  form: { privateMetadata: string; blocks: unknown[] };
  card: CardView;
}

// biome-ignore lint/suspicious/noExplicitAny: blocks are read field by field, defensively
type Json = any;

const plain = (t: Json): string => (typeof t?.text === 'string' ? t.text : '');

/** The card's buttons and select, from its actions block; null when the message is not an open incident's card. */
export function readCard(fake: ThreadedFakeSlack, channelId: string, cardTs: string): CardView | null {
  const msg = fake.message(channelId, cardTs);
  if (!msg?.blocks) return null;
  const actions = (msg.blocks as Json[]).find(
    (b) => b?.type === 'actions' && String(b.block_id ?? '').startsWith(BLOCK.cardActions),
  );
  if (!actions) return null;
  const elements = (actions.elements ?? []) as Json[];
  const ack = elements.find((e) => e.action_id === ACTION.acknowledge);
  const sev = elements.find((e) => e.action_id === ACTION.changeSeverity);
  const upd = elements.find((e) => e.action_id === ACTION.postUpdate);
  if (!ack || !sev || !upd) return null;
  return {
    text: msg.text ?? '',
    blocks: msg.blocks,
    blockId: String(actions.block_id),
    acknowledge: { value: String(ack.value), label: plain(ack.text) },
    severity: {
      options: ((sev.options ?? []) as Json[]).map((o) => ({ value: String(o.value), text: plain(o.text) })),
      current: sev.initial_option ? String(sev.initial_option.value) : null,
    },
    postUpdate: { value: String(upd.value) },
  };
}

/**
 * Reads every card again as of the fake's last sync (the bot updates them as it goes): clicks carry what a person
 * would see now.
 */
export function refreshCards(fake: ThreadedFakeSlack, incidents: OpenIncident[]): void {
  for (const i of incidents) {
    const card = readCard(fake, i.channelId, i.cardTs);
    if (card) i.card = card;
  }
}

async function waitFor<T>(
  fake: ThreadedFakeSlack,
  what: string,
  find: () => T | undefined,
  opts: { views?: boolean } = {},
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await fake.sync(opts);
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new BenchBroken(`set-up: ${what} did not come within ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

/**
 * Declares OPEN_INCIDENTS incidents through `port` (SEV-1 to SEV-3 in turn, 4 at a time, each waiting for its
 * reply), then clicks Post status update on each card and keeps the form the bot opened.
 */
export async function declareOpenIncidents(
  fake: ThreadedFakeSlack,
  schema: BenchSchema,
  port: number,
  responders: string[],
): Promise<OpenIncident[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const replied = (key: string) =>
    fake.calls.find((c) => c.method === 'response_url' && c.key === key && typeof c.text === 'string');
  let next = 0;
  const declareOne = async () => {
    for (let k = next++; k < OPEN_INCIDENTS; k = next++) {
      const key = `setup-declare-${k}`;
      const body = encodeSlashCommand(
        makeSlashCommand({
          text: `sev${1 + (k % 3)} mixed load open incident ${k}`,
          user_id: responders[k % responders.length]!,
          channel_id: GENERAL_CHANNEL_ID,
          response_url: fake.responseUrl(key),
        }),
      );
      const a = await postSigned(agent, port, body, REQUEST_TIMEOUT_MS);
      if (a.status !== 200) throw new BenchBroken(`set-up: declaration ${k} was answered ${a.status}`);
      const reply = await waitFor(fake, `the reply to declaration ${k}`, () => replied(key));
      if (!/is open: <#C/.test(String(reply.text))) {
        throw new BenchBroken(`set-up: declaration ${k} was not opened: ${String(reply.text).slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, declareOne));

  const { rows } = await schema.admin.query<{
    id: number;
    number: number;
    channel_id: string;
    channel_name: string;
    card_ts: string | null;
  }>(
    `SELECT id, number, channel_id, channel_name, card_ts FROM ${schema.name}.incidents
     WHERE status <> 'resolved' AND NOT declaring ORDER BY id`,
  );
  if (rows.length !== OPEN_INCIDENTS || rows.some((r) => !r.card_ts)) {
    throw new BenchBroken(`set-up: expected ${OPEN_INCIDENTS} open incidents with cards, found ${rows.length}`);
  }
  const incidents: OpenIncident[] = [];
  for (const r of rows) {
    const cardTs = r.card_ts!;
    const card = await waitFor(
      fake,
      `the card of incident #${r.number}`,
      () => readCard(fake, r.channel_id, cardTs) ?? undefined,
    );
    // Post status update on the card, as a person would: the bot opens the form, and the fake keeps it.
    const triggerId = makeTriggerId();
    const click = makeBlockAction({
      userId: responders[r.number % responders.length]!,
      channelId: r.channel_id,
      channelName: r.channel_name,
      messageTs: cardTs,
      actionId: ACTION.postUpdate,
      blockId: card.blockId,
      value: card.postUpdate.value,
      buttonText: 'Post status update',
      responseUrl: fake.responseUrl(`setup-form-${r.id}`),
      triggerId,
      message: { text: card.text, blocks: card.blocks },
    });
    const a = await postSigned(agent, port, encodeInteraction(click), REQUEST_TIMEOUT_MS);
    if (a.status !== 200) throw new BenchBroken(`set-up: Post status update on #${r.number} was answered ${a.status}`);
    const view = await waitFor(
      fake,
      `the status update form of #${r.number}`,
      () => fake.views.find((v) => v.triggerId === triggerId),
      { views: true },
    );
    incidents.push({
      id: Number(r.id),
      number: Number(r.number),
      channelId: r.channel_id,
      channelName: r.channel_name,
      cardTs,
      form: { privateMetadata: String(view.view.private_metadata), blocks: (view.view.blocks ?? []) as unknown[] },
      card,
    });
  }
  agent.destroy();
  return incidents;
}
