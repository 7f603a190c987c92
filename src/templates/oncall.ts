import { TZDate } from '@date-fns/tz';
import type { KnownBlock } from '@slack/types';
import { format } from 'date-fns/format';
import type {
  CancelOutcome,
  HandoffNotice,
  ListedOverride,
  OverrideGap,
  PersonShift,
  RoleBoard,
  WithdrawnHandoff,
} from '../incidents/oncall.service.js';
import { type ClockTime, type OnCall, type Segment, WEEKDAYS } from '../incidents/rotation.js';
import { severityLabel } from '../incidents/severity.js';
import type { ReachGap } from '../runbook/people.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { overrideRef } from './payloads.js';
import { boldName, channelLink, LIMITS, mention, mentionContact, mrkdwnClip, truncate, utcStamp } from './text.js';

/** How far from now a moment is named with its year. */
const YEAR_SHOWN_MS = 180 * 86_400_000;

/** `Mon 12 Jan 09:00 (Europe/London)`: a moment on the rotation's own clock (seconds only when it has some). */
export function rotationTime(t: Date, timeZone: string, now: Date = new Date()): string {
  const z = new TZDate(t.getTime(), timeZone);
  // More than half a year from now, the day and month alone read as this year's: the year is said.
  const year = Math.abs(t.getTime() - now.getTime()) > YEAR_SHOWN_MS ? ' yyyy' : '';
  return `${format(z, `EEE d MMM${year} HH:mm${z.getSeconds() ? ':ss' : ''}`)} (${timeZone})`;
}

/**
 * A moment asked about (`/incident oncall 2029-09-01 09:00`): as rotationTime, from `now` (a board 1000 days ahead
 * said `Sat 1 Sep`, which year unsaid).
 */
export function askedTime(t: Date, timeZone: string, now?: Date): string {
  return rotationTime(t, timeZone, now);
}

/**
 * A moment on the clock of the person it is said to, UTC beside (`Sun 6 Dec 00:48 (America/New_York), 2026-12-06
 * 05:48 UTC`), to the minute; once when the two clocks read the same then (`2026-12-06 05:48 UTC (also Europe/London
 * time)`), UTC
 * alone for a person whose zone Slack does not give.
 */
export function theirClock(t: Date, timeZone: string): string {
  const minute = new Date(Math.floor(t.getTime() / 60_000) * 60_000);
  if (timeZone === 'UTC') return utcStamp(minute);
  const local = rotationTime(minute, timeZone);
  if (rotationTime(minute, 'UTC').replace(' (UTC)', '') === local.replace(` (${timeZone})`, ''))
    return `${utcStamp(minute)} (also ${timeZone} time)`;
  return `${local}, ${utcStamp(minute)}`;
}

/**
 * A moment on the clock of the person it is said to (`shown`), with the rotation's alongside when that is another:
 * `Sun 6 Dec 00:30 (America/New_York) = Sun 6 Dec 05:30 (UTC)`.
 */
export function shownTime(t: Date, shown: string | undefined, rotationZone: string): string {
  if (!shown || shown === rotationZone) return rotationTime(t, rotationZone);
  return `${rotationTime(t, shown)} = ${rotationTime(t, rotationZone)}`;
}

const clock = (c: ClockTime) => `${String(c.h).padStart(2, '0')}:${String(c.m).padStart(2, '0')}`;

/** Why someone holds a stretch: an override or a swap, and who made it. */
function mark(s: Pick<Segment, 'via' | 'override'>): string {
  if (!s.override) return '';
  const by = mention(s.override.createdBy);
  return s.via === 'override' ? ` :repeat: _override by ${by}_` : ` :left_right_arrow: _swap by ${by}_`;
}

const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) },
});

function roleLines(r: RoleBoard, later: boolean): string {
  const name = boldName(r.roleName, 100);
  const contacts = r.contacts.length ? r.contacts.map(mentionContact).join(', ') : '';
  if (!r.rotation) return `${name}: ${contacts || '_nobody configured_'} (fixed contacts)`;
  const { now, next, timeZone, layer } = r.rotation;
  const lines = [
    `${name}: ${mention(now.userId)}${mark(now)} until ${next ? rotationTime(now.end, timeZone) : '_no change ahead_'}`,
  ];
  if (next) lines.push(`   Next: ${mention(next.userId)}${mark(next)}`);
  if (layer) {
    const hours = layer.hours ? ` ${clock(layer.hours.from)}–${clock(layer.hours.to)}` : '';
    const days = layer.days ? ` ${layer.days.map((d) => WEEKDAYS[d]!.slice(0, 3)).join(' ')}` : '';
    lines.push(
      `   ${mrkdwnClip(layer.name, 60)} (${(hours + days).trim() || 'all day'}): ${mention(layer.userId)}${layer.on ? '' : later ? ' _(off then)_' : ' _(off now)_'}`,
    );
  }
  if (contacts) lines.push(`   Also paged: ${contacts}`);
  return lines.join('\n');
}

/**
 * `/incident oncall`: each role, who is on call now, until when, who is next. `later`: the same at a moment asked
 * about (`/incident oncall tomorrow 09:00`), named on the rotations' clock.
 */
export function renderOnCallBoard(
  roles: readonly RoleBoard[],
  /** `note`: why the moment is where it is (a weekday whose time passed today: next week's). */
  later?: { at: Date; timeZone: string; note?: string | undefined; now?: Date },
): Message {
  if (roles.length === 0) return { text: 'The runbook file has no roles.', blocks: [] };
  const when = later
    ? `on ${askedTime(later.at, later.timeZone, later.now)}${later.note ? ` (${later.note})` : ''}`
    : 'now';
  const blocks: KnownBlock[] = [section(`:pager: *Who is on call ${when}*`)];
  for (const r of roles.slice(0, 45)) blocks.push(section(roleLines(r, later !== undefined)));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: '`/incident oncall @person` lists their shifts · `/incident oncall override @person 2h` takes a shift',
      },
    ],
  });
  const text = roles
    .map((r) => (r.rotation ? `${r.roleName}: <@${r.rotation.now.userId}>` : `${r.roleName}: fixed contacts`))
    .join('; ');
  return { text: truncate(`Who is on call ${when}: ${text}`, 3000), blocks };
}

/** `/incident oncall @person`: their time on call in the days ahead. */
export function renderPersonShifts(
  userId: string,
  shifts: readonly PersonShift[],
  days: number,
  /** Asked from a moment to come (`@alice tomorrow`): the days counted from it, said on the rotations' clock. */
  later?: { at: Date; timeZone: string; note?: string | undefined; now?: Date },
  /** The roles whose fixed contact they are (paged with the role every time, no rotation), as the board lists them. */
  contactOf: readonly string[] = [],
): Message {
  const span = later
    ? `in the ${days} days from ${askedTime(later.at, later.timeZone, later.now)}${later.note ? ` (${later.note})` : ''}`
    : `in the next ${days} days`;
  const contact = contactOf.length
    ? `${mention(userId)} is the contact of ${contactOf.map((r) => boldName(r, 80)).join(', ')} (always, no rotation): paged whenever ${contactOf.length === 1 ? 'it is' : 'they are'}.`
    : null;
  if (shifts.length === 0) {
    const text = contact
      ? `${contact} Not on call in any rotation ${span}.`
      : `${mention(userId)} is not on call in any rotation ${span}.`;
    return { text, blocks: [section(text)] };
  }
  const lines = shifts
    .slice(0, 60)
    .map(
      (s) =>
        `• ${boldName(s.roleName, 80)}${s.layerName ? ` · ${mrkdwnClip(s.layerName, 60)} (second layer)` : ''}: ${rotationTime(s.start, s.timeZone)} → ${rotationTime(s.end, s.timeZone)}${mark(s)}`,
    );
  const head = `:calendar: ${mention(userId)} on call ${span}`;
  const blocks: KnownBlock[] = [section(head)];
  if (contact) blocks.push(section(contact));
  for (let i = 0; i < lines.length; i += 20) blocks.push(section(lines.slice(i, i + 20).join('\n')));
  return { text: `${head}: ${shifts.length} shift${shifts.length === 1 ? '' : 's'}`, blocks };
}

/** What an override or swap did, for the person who made it. */
export function renderOverrideRecorded(r: {
  kind: 'override' | 'swap';
  userId: string;
  otherId: string | null;
  roleName: string;
  /** Null: from now. */
  startsAt?: Date | null;
  endsAt: Date;
  timeZone: string;
  /** The clock of the person it is said to (their Slack time zone); the rotation's is named alongside. */
  shownZone?: string;
  gaps?: readonly OverrideGap[];
  /** Who is on call when it ends: another override's person is named (the rotation does not take over then). */
  nextOnCall?: OnCall;
}): string {
  const role = boldName(r.roleName, 100);
  const at = (t: Date) => shownTime(t, r.shownZone, r.timeZone);
  const until = `${r.startsAt ? `from ${at(r.startsAt)} ` : ''}until ${at(r.endsAt)}`;
  const done =
    r.kind === 'swap'
      ? `:left_right_arrow: ${mention(r.userId)} and ${mention(r.otherId)} trade their ${role} shifts ${until}.`
      : `:repeat: ${mention(r.userId)} ${r.startsAt ? 'will be' : 'is'} on call for ${role} ${until} (an override; ${afterOverride(r.userId, r.nextOnCall)}).`;
  return [done, ...gapLines(r.gaps ?? [])].join('\n');
}

/**
 * Who is on call when an override ends, when another override or a swap holds then (the rotation does not take over):
 * the person it puts on call, or that the same person stays on.
 */
function afterOverride(userId: string, next: OnCall | undefined): string {
  if (!next || next.via === 'rotation') return 'the rotation takes over again then';
  const what = next.via === 'override' ? 'another override' : 'a swap';
  const by = next.override ? ` by ${mention(next.override.createdBy)}` : '';
  return next.userId === userId
    ? `${mention(userId)} stays on call then, on ${what}${by}`
    : `then ${mention(next.userId)} takes over, on ${what}${by}`;
}

const GAP_FIX: Record<ReachGap, { method: string; why: string; add: string }> = {
  email: { method: 'email', why: 'no email address', add: 'email:' },
  pagerduty: {
    method: 'PagerDuty',
    why: 'no routing key for them or the role',
    add: 'pagerduty: { routing_key }',
  },
};

/** Steps of a notification rule that will not reach the person put on call, and what to add to the runbook file. */
export function gapLines(gaps: readonly OverrideGap[]): string[] {
  return gaps.flatMap((g) =>
    g.vias.map((v) => {
      const f = GAP_FIX[v];
      return `:warning: When paged, ${mention(g.userId)} gets no ${f.method} step: ${f.why}. The other steps still go; add \`${f.add}\` under \`people.${g.userId}\` in the runbook file.`;
    }),
  );
}

export interface OverrideConfirm {
  kind: 'override' | 'swap';
  role: string;
  roleName: string;
  userId: string;
  otherId: string | null;
  notIn: string[];
  /** Null: from now. */
  startsAt: Date | null;
  endsAt: Date;
  timeZone: string;
  /** The clock of the person asked (their Slack time zone); the rotation's is named alongside. */
  shownZone?: string;
  gaps?: readonly OverrideGap[];
}

/** Asks before recording an override for someone outside the role's rotation: Confirm or Cancel. */
export function renderOverrideConfirm(c: OverrideConfirm): Message {
  const who = c.notIn.map(mention).join(' and ');
  const text = `${who} ${c.notIn.length === 1 ? 'is' : 'are'} not in the ${boldName(c.roleName, 100)} rotation. ${
    c.kind === 'swap' ? 'Swap anyway' : `Put ${mention(c.userId)} on call anyway`
  }, ${c.startsAt ? `from ${shownTime(c.startsAt, c.shownZone, c.timeZone)} ` : ''}until ${shownTime(c.endsAt, c.shownZone, c.timeZone)}?${gapLines(
    c.gaps ?? [],
  )
    .map((l) => `\n${l}`)
    .join('')}`;
  const value = overrideRef.encode({
    k: c.kind,
    r: c.role,
    u: c.userId,
    ...(c.otherId ? { o: c.otherId } : {}),
    ...(c.startsAt ? { s: c.startsAt.toISOString() } : {}),
    e: c.endsAt.toISOString(),
  });
  return {
    text: `:warning: ${text}`,
    blocks: [
      section(`:warning: ${text}`),
      {
        type: 'actions',
        block_id: BLOCK.oncallConfirm,
        elements: [
          button(ACTION.oncallConfirm, 'Confirm', value, 'primary'),
          button(ACTION.oncallCancel, 'Cancel', value),
        ],
      },
    ],
  };
}

function inherited(n: HandoffNotice): string {
  if (n.incidents.length === 0) return 'No open incidents.';
  // A private incident is named nowhere outside it: the notice goes to a channel, the DMs to people who may not be in it.
  const lines = n.incidents.map((i) =>
    i.private
      ? `• ${severityLabel(i.severity)} a private incident (its people know it; ask its commander to be let in)`
      : `• ${severityLabel(i.severity)} #${i.number} ${mrkdwnClip(i.title, 120)}${i.channelId ? ` ${channelLink(i.channelId)}` : ''}`,
  );
  const more = n.openTotal > n.incidents.length ? `\n…and ${n.openTotal - n.incidents.length} more` : '';
  return `Open incidents (${n.openTotal}):\n${lines.join('\n')}${more}`;
}

/** Who was told before as handing over, when only that changed (said so alongside the one who does now). */
const notBefore = (n: HandoffNotice) =>
  n.replacedOutgoingId && n.outgoingId && n.replacedOutgoingId !== n.outgoingId ? n.replacedOutgoingId : null;

/** The channel's hand-off notice (told again when who hands over changed: it says so). */
export function renderHandoffNotice(n: HandoffNotice): Message {
  const role = boldName(n.roleName, 100);
  const until = n.until ? `, until ${rotationTime(n.until, n.timeZone)}` : '';
  const was = notBefore(n);
  const from = n.outgoingId
    ? ` from ${mention(n.outgoingId)}${was ? `, not ${mention(was)} (an override or a swap changed it)` : ''}`
    : '';
  // A hand-back (A, B standing in, then A again): said so, not as a new shift.
  const back =
    n.standInFrom && n.outgoingId
      ? ` (back after ${mention(n.outgoingId)} stands in from ${rotationTime(n.standInFrom, n.timeZone)})`
      : '';
  const head = `:pager: Hand-off at ${rotationTime(n.at, n.timeZone)}${was ? ', changed' : ''}: ${mention(n.incomingId)} takes ${role}${from}${until}${back}.`;
  return { text: head, blocks: [section(head), section(inherited(n))] };
}

/** The incoming person's direct message: their shift, and what they inherit. */
export function renderHandoffDm(n: HandoffNotice): Message {
  const role = boldName(n.roleName, 100);
  const until = n.until ? ` until ${rotationTime(n.until, n.timeZone)}` : '';
  const was = notBefore(n);
  // A hand-back: they are on call before the stand-in too, and told when it starts, not only that they are on call.
  const standsIn =
    n.standInFrom && n.outgoingId
      ? `, who stands in for you from ${rotationTime(n.standInFrom, n.timeZone)} (an override or a swap) until then`
      : '';
  const head = `:pager: You are on call for ${role} from ${rotationTime(n.at, n.timeZone)}${until}${
    n.outgoingId ? `, taking over from ${mention(n.outgoingId)}` : ''
  }${standsIn}${was ? `, not ${mention(was)} as you were told (an override or a swap changed it)` : ''}.`;
  return { text: head, blocks: [section(head), section(inherited(n))] };
}

/** The outgoing person's direct message, at the hand-off: their shift ended, who took over, what is still open. */
export function renderHandoffOutgoingDm(n: HandoffNotice): Message {
  const role = boldName(n.roleName, 100);
  const until = n.until ? `, until ${rotationTime(n.until, n.timeZone)}` : '';
  // A stand-in for them (an override or a swap), then them again: their shift pauses, it does not end.
  const head = n.backAt
    ? `:pager: ${mention(n.incomingId)} stands in for you on ${role} from ${rotationTime(n.at, n.timeZone)} until ${rotationTime(n.backAt, n.timeZone)} (an override or a swap): you are on call again then.`
    : `:pager: Your ${role} shift ended at ${rotationTime(n.at, n.timeZone)}: ${mention(n.incomingId)} is on call now${until}.`;
  return { text: head, blocks: [section(head), section(inherited(n))] };
}

/**
 * The channel's hand-off line taken back: the hand-off is off (an override or a swap changed it), and who is on call
 * then: the outgoing person staying on, the incoming one on call from before it already (nothing to hand over then), or
 * someone else.
 */
export function renderHandoffWithdrawn(w: WithdrawnHandoff): Message {
  const role = boldName(w.roleName, 100);
  const at = rotationTime(w.at, w.timeZone);
  const off = `:leftwards_arrow_with_hook: The hand-off at ${at} is off`;
  const why = '(an override or a swap changed it)';
  const head =
    w.onCallId === w.incomingId
      ? `${off}: ${mention(w.incomingId)} is already on call for ${role} before then ${why} and stays on through it.`
      : w.onCallId === w.outgoingId
        ? `${off}: ${mention(w.incomingId)} does not take ${role} ${why}; ${mention(w.onCallId)} stays on call.`
        : `${off}: ${mention(w.incomingId)} does not take ${role} ${why}; ${mention(w.onCallId)} is on call then.`;
  return { text: head, blocks: [section(head)] };
}

/** The incoming person told the hand-off they were told of is off, and who is on call then (they may be, all the same). */
export function renderHandoffWithdrawnDm(w: WithdrawnHandoff): Message {
  const role = boldName(w.roleName, 100);
  const at = rotationTime(w.at, w.timeZone);
  const from = w.outgoingId ? ` from ${mention(w.outgoingId)}` : '';
  const head =
    w.onCallId === w.incomingId
      ? `:leftwards_arrow_with_hook: Cancelled: the hand-off of ${role}${from} at ${at} you were told of is off (an override or a swap changed it). You are on call for ${role} then all the same.`
      : `:leftwards_arrow_with_hook: Cancelled: you are not on call for ${role} from ${at} after all (an override or a swap changed it). ${mention(w.onCallId)} ${w.onCallId === w.outgoingId ? 'stays on call' : 'is on call then'}.`;
  return { text: head, blocks: [section(head)] };
}

/** `/incident oncall overrides`: the overrides and swaps on now or to come, numbered, each with who set it and when. */
export function renderOverrideList(list: readonly ListedOverride[], now: Date): Message {
  if (list.length === 0) {
    const text =
      'No override or swap is on now or to come. `/incident oncall override @person 2h` takes a shift; `/incident oncall swap @a @b 2h` trades two.';
    return { text, blocks: [section(text)] };
  }
  const MAX = 40;
  const lines = list.slice(0, MAX).map((o) => {
    const at = (t: Date) => rotationTime(t, o.timeZone);
    const when = `${o.startsAt <= now ? `now (since ${at(o.startsAt)})` : `from ${at(o.startsAt)}`} until ${at(o.endsAt)}`;
    const what =
      o.kind === 'swap'
        ? `:left_right_arrow: ${mention(o.userId)} and ${mention(o.otherId)} trade their ${boldName(o.roleName, 100)} shifts`
        : `:repeat: ${mention(o.userId)} on call for ${boldName(o.roleName, 100)}`;
    return `*#${o.id}* ${what} ${when}; set by ${mention(o.createdBy)} ${at(o.createdAt)}`;
  });
  const more = list.length > MAX ? [`…and ${list.length - MAX} more.`] : [];
  const foot = '`/incident oncall cancel N` cancels one (anyone may; who did is recorded and said).';
  const text = ['*Overrides and swaps, now and to come*', ...lines, ...more, foot].join('\n');
  const blocks: KnownBlock[] = [
    section('*Overrides and swaps, now and to come*'),
    ...lines.map(section),
    ...more.map(section),
    { type: 'context', elements: [{ type: 'mrkdwn', text: foot }] },
  ];
  return { text: truncate(text, 3000), blocks };
}

/** The reply to `/incident oncall cancel N`: what was cancelled, and who is on call now when it was on. */
export function renderOverrideCancelled(c: CancelOutcome, actorId: string): string {
  const o = c.override;
  const role = boldName(c.roleName, 100);
  const at = (t: Date) => rotationTime(t, c.timeZone);
  const what =
    o.kind === 'swap'
      ? `the swap of ${role} shifts between ${mention(o.userId)} and ${mention(o.otherId)}`
      : `the override putting ${mention(o.userId)} on call for ${role}`;
  const span = `${c.started ? '' : `from ${at(o.startsAt)} `}until ${at(o.endsAt)}`;
  const now = c.onCallNow
    ? ` ${mention(c.onCallNow.userId)} is on call for ${role} now; the hand-off is announced as usual.`
    : '';
  return `:wastebasket: ${mention(actorId)} cancelled #${o.id}, ${what} ${span} (set by ${mention(o.createdBy)}).${c.started ? ' It ended now.' : ' It will not start.'}${now}`;
}
