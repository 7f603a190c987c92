import { beforeEach, expect, it } from 'vitest';
import { incidentChannelName } from '../../src/incidents/channel-name.js';
import { DeclarationService } from '../../src/incidents/declaration.service.js';
import { DomainError } from '../../src/incidents/errors.js';
import type { DeclarationReport, IncidentChat } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import { useProxiedDatabase } from '../support/proxied-db.js';
import { withSharedStores } from '../support/upstash-rest.js';

/**
 * The database goes away while a declaration is being finished, the process staying up: once it is back, the sweep
 * must not post a second card and announcement, nor tell the declarer the bot restarted.
 */
const LEASE_MS = 600;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

const db = useProxiedDatabase('declout');
let cutAt: 'card' | 'channel' | null = null;
/** Whether the chat finds the card posted (as Slack does by its metadata, in the channel's history). */
let findable = false;
const calls: { method: string; ts?: string; report?: DeclarationReport['kind']; channelId?: string }[] = [];

const chat = {
  async openChannel(incident: Incident, onCreated?: (c: { channelId: string; channelName: string }) => Promise<void>) {
    calls.push({ method: 'openChannel' });
    const c = { channelId: `C0OUT${incident.id}`, channelName: incidentChannelName(incident.number, incident.title) };
    await onCreated?.(c);
    if (cutAt === 'channel') await db.proxy.cut();
    return c;
  },
  abandonChannel: async (channelId: string) => void calls.push({ method: 'abandonChannel', channelId }),
  async postCard() {
    const ts = `1700000000.${String(calls.length).padStart(6, '0')}`;
    calls.push({ method: 'postCard', ts });
    if (cutAt === 'card') await db.proxy.cut();
    return ts;
  },
  findCard: async () => (findable ? (calls.find((c) => c.method === 'postCard')?.ts ?? null) : null),
  pinCard: async () => void calls.push({ method: 'pinCard' }),
  refreshCard: async () => void calls.push({ method: 'refreshCard' }),
  announce: async () => void calls.push({ method: 'announce' }),
  tellDeclarer: async (r: DeclarationReport) => void calls.push({ method: 'tellDeclarer', report: r.kind }),
  notify: async () => {},
  resolveContacts: async (ids: string[]) => ({ userIds: ids, unresolved: [] }),
  sendPage: async () => {},
  inviteToChannel: async () => ({ unreachable: [] }),
} as unknown as IncidentChat;

const count = (method: string) => calls.filter((c) => c.method === method).length;
const declarations = async () =>
  Number((await db.direct.query<{ n: string }>('SELECT count(*) AS n FROM declarations')).rows[0]!.n);
const cardTs = async (incidentId: number) =>
  (await db.direct.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE id = $1', [incidentId])).rows[0]!
    .card_ts;

/** Declares a SEV-1 with the database cut as soon as its card is posted: declared all the same. */
async function declareCutAfterCard(service: DeclarationService, title: string, requestKey: string) {
  cutAt = 'card';
  const r = await service.declare({ teamId: 'T1', reporterId: 'U0DECL', title, severity: 1, requestKey });
  expect(r.kind).toBe('declared');
  if (r.kind !== 'declared') throw new Error(`not declared: ${r.kind}`);
  return { ...r, posted: calls.find((c) => c.method === 'postCard')!.ts };
}

/** The database is back. */
async function restore(): Promise<void> {
  cutAt = null;
  await db.proxy.restore();
}

/** Sweeps (as the timer loop does) until no declaration is left, the database back. */
async function sweepUntilSettled(service: DeclarationService): Promise<void> {
  const until = Date.now() + 15_000;
  while ((await declarations()) > 0) {
    if (Date.now() > until) throw new Error('the declaration was not settled');
    await new Promise((r) => setTimeout(r, LEASE_MS / 2));
    await service.sweep().catch(() => {});
  }
}

beforeEach(async () => {
  calls.length = 0;
  cutAt = null;
  findable = false;
});

it('lost after the card is posted: once back, the card is linked, not posted again, and the declarer is not told twice', async () => {
  const service = new DeclarationService(db.viaProxy, chat, quiet, undefined, undefined, LEASE_MS);
  const r = await declareCutAfterCard(service, 'cut after the card', 'k1');
  // The person is answered: declared, and the card not linked yet, said as what will happen.
  expect(r.warnings.join(' ')).toMatch(/could not be linked to the incident yet.*links it once the database answers/);
  expect([count('postCard'), count('pinCard'), count('announce')]).toEqual([1, 1, 1]);

  await restore();
  await sweepUntilSettled(service);
  // One card (the one posted, now linked), one pin, one announcement; no "the bot restarted" message.
  expect([count('postCard'), count('pinCard'), count('announce'), count('tellDeclarer')]).toEqual([1, 1, 1, 0]);
  expect(await cardTs(r.incident.id)).toBe(r.posted);
});

it('lost as the incident is made whole: the declarer is told it is not known yet, nothing is archived on a guess; once back it is settled and said', async () => {
  const service = new DeclarationService(db.viaProxy, chat, quiet, undefined, undefined, LEASE_MS);
  cutAt = 'channel';
  const err = await service
    .declare({ teamId: 'T1', reporterId: 'U0DECL', title: 'cut as made whole', severity: 2, requestKey: 'k2' })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  expect((err as Error).message).toMatch(/lost its database while recording your incident "cut as made whole"/);
  expect((err as Error).message).toMatch(/tells you which in a direct message/);
  expect(count('abandonChannel')).toBe(0);

  await restore();
  await sweepUntilSettled(service);
  // It never became whole: abandoned, its channel archived, the declarer told once.
  expect(count('abandonChannel')).toBe(1);
  expect(calls.filter((c) => c.method === 'tellDeclarer').map((c) => c.report)).toEqual(['abandoned']);
  expect(count('postCard')).toBe(0);
});

it('stopped between posting the card and recording it (no note in this process): the card found in the channel is linked, not posted again', async () => {
  const service = new DeclarationService(db.viaProxy, chat, quiet, undefined, undefined, LEASE_MS);
  const r = await declareCutAfterCard(service, 'killed after the card', 'k3');
  await restore();
  // Another process (a restart) settles it: it knows nothing of what this one did, and finds the card in Slack.
  findable = true;
  const restarted = new DeclarationService(db.direct, chat, quiet, undefined, undefined, LEASE_MS);
  await sweepUntilSettled(restarted);
  expect(count('postCard')).toBe(1);
  expect(count('refreshCard')).toBe(1);
  expect(await cardTs(r.incident.id)).toBe(r.posted);
});

it('lost after the card is posted, settled by another replica (notes shared through Redis; the card not findable in Slack): one card, the declarer not told twice', async () => {
  await withSharedStores('declout', async (kvA, kvB) => {
    const a = new DeclarationService(db.viaProxy, chat, quiet, undefined, undefined, LEASE_MS, undefined, {}, kvA);
    const r = await declareCutAfterCard(a, 'cut, then another replica', 'k4');
    await restore();
    // Another replica's sweep takes it: it reads what this one did from the shared store.
    const b = new DeclarationService(db.direct, chat, quiet, undefined, undefined, LEASE_MS, undefined, {}, kvB);
    await sweepUntilSettled(b);
    expect([count('postCard'), count('pinCard'), count('announce'), count('tellDeclarer')]).toEqual([1, 1, 1, 0]);
    expect(await cardTs(r.incident.id)).toBe(r.posted);
  });
});
