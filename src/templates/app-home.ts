import type { HomeView, KnownBlock } from '@slack/types';
import type { FiringAlerts } from '../incidents/alert-types.js';
import type { HomeData, HomeOnCall } from '../incidents/home.service.js';
import { type SeverityDefs, severityLabel } from '../incidents/severity.js';
import { type Incident, STATUS_LABELS } from '../incidents/types.js';
import { itemSection } from './action-items.js';
import { LEVEL_EMOJI, placeOf } from './alert-lists.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import { rotationTime } from './oncall.js';
import {
  boldName,
  channelLink,
  humanDuration,
  mention,
  mrkdwnClip,
  mrkdwnName,
  slackAgo,
  slackDate,
  truncate,
  utcStamp,
} from './text.js';

/** Slack's limit on the blocks of a Home tab. */
export const HOME_MAX_BLOCKS = 100;
/** Recently resolved incidents listed at most (one block holds them). */
const RESOLVED_SHOWN = 10;

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
const more = (n: number, where = ''): KnownBlock => context(where ? `…and ${n} more. ${where}` : `…and ${n} more.`);

/** One open incident: severity, title, link, status, age, commander, next update due. */
function openIncident(i: Incident, mine: boolean, now: Date, severities: SeverityDefs): KnownBlock {
  const link = i.channelId ? channelLink(i.channelId) : '';
  const next =
    i.nextUpdateAt && i.status !== 'resolved'
      ? `next update due ${slackDate(i.nextUpdateAt, utcStamp(i.nextUpdateAt))}${i.nextUpdateAt <= now ? ' :warning: late' : ''}`
      : 'no update scheduled';
  const lines = [
    `*${severityLabel(i.severity)}* (${mrkdwnClip(severities[i.severity].name, 30)}) · *#${i.number} ${mrkdwnName(i.title, 150)}* ${link}${mine ? '  · _you are in it_' : ''}`,
    `${STATUS_LABELS[i.status]} · started ${slackAgo(i.createdAt, utcStamp(i.createdAt))} · commander ${mention(i.commanderId)} · ${next}`,
  ];
  return section(truncate(lines.join('\n'), 3000));
}

function resolvedLine(i: Incident): string {
  const took = i.resolvedAt ? `, after ${humanDuration(i.createdAt, i.resolvedAt)}` : '';
  const when = i.resolvedAt ? slackDate(i.resolvedAt, utcStamp(i.resolvedAt)) : '';
  return `• *${severityLabel(i.severity)}* #${i.number} ${mrkdwnClip(i.title, 120)} ${i.channelId ? channelLink(i.channelId) : ''} — resolved ${when}${took}`;
}

/** Roles listed at most in the On call section (one section holds them). */
/** What is firing now (only when something is): the first few, most severe first, each with where it is. */
function firingBlocks(f: FiringAlerts): KnownBlock[] {
  const lines = f.alerts.map(
    (a) =>
      `${LEVEL_EMOJI[a.level]} ${boldName(a.name, 80)}${a.summary !== a.name ? ` · ${mrkdwnClip(a.summary, 120)}` : ''} ${placeOf(a.place)}`,
  );
  return [
    section(truncate(`*Alerts firing now* (${f.total})\n${lines.join('\n')}`, 3000)),
    ...(f.total > f.alerts.length ? [more(f.total - f.alerts.length, '`/incident alerts` lists them all.')] : []),
    { type: 'divider' },
  ];
}

const ONCALL_ROLES_SHOWN = 12;

/**
 * The On call section: who is on call now for each role with a rotation (until when, and the second layer's person
 * while on), the person's own next shift, and Take on-call / Override, which open the override form.
 */
function onCallBlocks(o: HomeOnCall, userId: string, now: Date): KnownBlock[] {
  const lines = o.roles.slice(0, ONCALL_ROLES_SHOWN).map(({ roleName, rotation: r }) => {
    const you = r.now.userId === userId ? ' _(you)_' : '';
    const until = r.next ? ` until ${rotationTime(r.now.end, r.timeZone)}` : '';
    const why = r.now.override ? (r.now.via === 'override' ? ' :repeat:' : ' :left_right_arrow:') : '';
    const layer = r.layer?.on ? ` · ${mrkdwnClip(r.layer.name, 40)}: ${mention(r.layer.userId)}` : '';
    const next = r.next ? ` · next ${mention(r.next.userId)}` : '';
    return `${boldName(roleName, 60)}: ${mention(r.now.userId)}${you}${why}${until}${next}${layer}`;
  });
  if (o.roles.length > ONCALL_ROLES_SHOWN) lines.push(`…and ${o.roles.length - ONCALL_ROLES_SHOWN} more roles`);
  const m = o.mine;
  const where = m ? `${boldName(m.roleName, 60)}${m.layerName ? ` (${mrkdwnClip(m.layerName, 40)})` : ''}` : '';
  const mine = !m
    ? `You have no shift in the next ${o.days} days.`
    : m.start <= now
      ? `You are on call now for ${where} until ${rotationTime(m.end, m.timeZone)}.`
      : `Your next shift: ${where} from ${rotationTime(m.start, m.timeZone)} until ${rotationTime(m.end, m.timeZone)}.`;
  return [
    section('*On call*'),
    section(truncate(lines.join('\n'), 3000)),
    context(`${mine} \`/incident oncall\` shows every role.`),
    {
      type: 'actions',
      block_id: BLOCK.homeOnCall,
      elements: [
        button(ACTION.homeTakeOnCall, 'Take on-call', 'take', 'primary'),
        button(ACTION.homeOverride, 'Override', 'override'),
      ],
    },
    { type: 'divider' },
  ];
}

/**
 * How many of two lists fit in `room` blocks: each gets up to half, and what one leaves the other may take.
 */
export function share(a: number, b: number, room: number): [number, number] {
  const half = Math.floor(room / 2);
  let x = Math.min(a, half);
  const y = Math.min(b, room - x);
  x = Math.min(a, room - y);
  return [x, y];
}

/**
 * A person's Home tab: a Declare incident button; who is on call (with rotations), their next shift, Take on-call
 * and Override; the open incidents (theirs first) with severity, title, age,
 * commander, next update due and a link; their open action items, each with Done; the incidents resolved in the last
 * 7 days. Within Slack's 100 blocks: long lists are cut, with a count of the rest. Pure.
 */
export function renderHome(data: HomeData, now: Date, severities: SeverityDefs, userId = ''): HomeView {
  const top: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Incidents' } },
    {
      type: 'actions',
      block_id: BLOCK.homeActions,
      elements: [button(ACTION.homeDeclare, 'Declare incident', 'home', 'danger')],
    },
    context(`Updated ${slackDate(now, utcStamp(now))}. \`/incident help\` lists every command.`),
    { type: 'divider' },
    ...(data.oncall ? onCallBlocks(data.oncall, userId, now) : []),
    ...(data.firing && data.firing.total > 0 ? firingBlocks(data.firing) : []),
  ];
  const openHead = section(`*Open incidents* (${data.openTotal})`);
  const itemsHead = section(`*Your open action items* (${data.itemsTotal})`);
  const resolvedHead = section(`*Resolved in the last 7 days* (${data.resolvedTotal})`);
  const resolvedShown = data.resolved.slice(0, RESOLVED_SHOWN);
  const resolvedBlocks: KnownBlock[] = resolvedShown.length
    ? [section(truncate(resolvedShown.map(resolvedLine).join('\n'), 3000))]
    : [context('Nothing resolved in the last 7 days.')];
  if (data.resolvedTotal > resolvedShown.length) resolvedBlocks.push(more(data.resolvedTotal - resolvedShown.length));

  // Every block but the two lists' entries: the top, three headings, two dividers, the resolved part, and for each
  // list either its empty note or its "and N more" line.
  const fixed = top.length + 3 + 2 + resolvedBlocks.length + 2;
  const [openN, itemsN] = share(data.open.length, data.items.length, HOME_MAX_BLOCKS - fixed);

  const blocks: KnownBlock[] = [...top, openHead];
  if (data.open.length === 0) blocks.push(context('No open incidents. :tada:'));
  for (const { incident, mine } of data.open.slice(0, openN))
    blocks.push(openIncident(incident, mine, now, severities));
  if (data.openTotal > openN && data.open.length > 0)
    blocks.push(more(data.openTotal - openN, '`/incident list` shows them all.'));

  blocks.push({ type: 'divider' }, itemsHead);
  if (data.items.length === 0) blocks.push(context('You have no open action items.'));
  for (const it of data.items.slice(0, itemsN)) blocks.push(itemSection(it, now, { showOwner: false }));
  if (data.itemsTotal > itemsN && data.items.length > 0)
    blocks.push(more(data.itemsTotal - itemsN, '`/incident actions` shows them all.'));

  blocks.push({ type: 'divider' }, resolvedHead, ...resolvedBlocks);
  return { type: 'home', blocks };
}
