import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { describeDuration } from '../runbook/duration.js';
import { type ReachGap, reachGaps } from '../runbook/people.js';
import type { RoleDef, Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { cancelOverride, insertOverride, overridesEndingAfter, releaseHandoffs } from '../store/oncall.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import { DomainError } from './errors.js';
import { roleSlug } from './escalation-policy.js';
import { HandoffNotices, LOOK_AHEAD_MS, type OnCallChat, type PersonKind } from './oncall-handoffs.js';
import type { Logger } from './ports.js';
import {
  atLocal,
  type ClockTime,
  type ExtraLayer,
  layerActive,
  layerSegments,
  localParts,
  type OnCall,
  type Override,
  onCallAt,
  pageesAt,
  type Rotation,
  type Segment,
  scheduledAt,
  segments,
  shiftAt,
} from './rotation.js';
import type { Sweep } from './timer-loop.js';
import { resolveWallTime } from './typed-time.js';

export type { HandoffNotice, OnCallChat, PersonKind, WithdrawnHandoff } from './oncall-handoffs.js';

/** Who a role pages at a moment, and until when its person on call stays (null: fixed contacts, or no change ahead). */
export interface OnCallNow {
  userIds: string[];
  until: Date | null;
}

/** Whom a role pages at a moment: what the escalation service asks when a page fires, and what the card shows. */
export interface OnCallResolver {
  contactsFor(role: string, at: Date): Promise<string[]>;
  /** Each role's people at `at` (one read of the overrides for all of them). */
  onCallNow(roles: readonly string[], at: Date): Promise<Map<string, OnCallNow>>;
}

/** The runbook's fixed contacts, for a bot without rotations (and the escalation service's default). */
export const fixedContacts = (rb: Pick<Runbook, 'escalation'>): OnCallResolver => ({
  contactsFor: async (role) => [...(rb.escalation.roles[role]?.contacts ?? [])],
  onCallNow: async (roles) =>
    new Map(roles.map((r) => [r, { userIds: [...(rb.escalation.roles[r]?.contacts ?? [])], until: null }])),
});

/** A wall-clock time as typed, in the rotation's time zone: a time of day (its next occurrence), or a day and time. */
export interface WallTime {
  date: { y: number; mo: number; d: number } | null;
  time: ClockTime;
  /** `tomorrow 18:00`: that time tomorrow, not its next occurrence. */
  tomorrow?: boolean;
  /** `saturday 23:00` (0 Sunday … 6 Saturday): that time on the next such day, today's if it is still to come. */
  weekday?: number;
  /** A zone typed after the time (`18:00 UTC`, `18:00 Europe/London`), read in it rather than the rotation's. */
  zone?: string;
}

/**
 * A moment asked about (`/incident oncall tomorrow 09:00`): a length from now, or a wall-clock day and time read in
 * the typing person's time zone (else the rotations'; see `boardMoment`). No day: the next such time; no time: that day at the time it is now.
 */
export type BoardMoment =
  | { kind: 'in'; ms: number }
  | {
      kind: 'wall';
      day:
        | { kind: 'date'; y: number; mo: number; d: number }
        | { kind: 'tomorrow' }
        | { kind: 'weekday'; dow: number }
        | null;
      time: ClockTime | null;
      /** A zone typed after the time (`at 18:00 Europe/London`): read in it, not the typing person's. */
      zone?: string;
    };

/** The end of an override as typed: a length from its start, or a wall-clock time (the next after its start). */
export type OverrideEnd = { kind: 'for'; ms: number } | ({ kind: 'until' } & WallTime) | { kind: 'at'; at: Date };

/** The start of an override that starts later: as typed, or an instant (a confirmation carries it). */
export type OverrideStart = ({ kind: 'typed' } & WallTime) | { kind: 'at'; at: Date };

export interface OverrideRequest {
  kind: 'override' | 'swap';
  /** Who takes over (override), or the first of the two who trade (swap). */
  userId: string;
  otherId: string | null;
  /** The role as typed (id or name); null: the only rotation, or the one the people are in. */
  role: string | null;
  /** Null: from now. */
  start?: OverrideStart | null;
  end: OverrideEnd;
  actorId: string;
  /** Set once the person confirmed an override for someone outside the rotation. */
  confirmed: boolean;
  /**
   * The zone a time typed with no zone is read in (the typing person's Slack time zone); absent or null: the
   * rotation's. A refusal names its times on this clock (the reply, on it with the rotation's alongside).
   */
  typedZone?: string | null;
  requestKey?: string;
}

/** An override or a swap as `/incident oncall overrides` lists it. */
export type ListedOverride = Override & { roleName: string; timeZone: string };

/** A cancelled override or swap, as it was; who is on call for its role now when it had started. */
export interface CancelOutcome {
  override: Override;
  roleName: string;
  timeZone: string;
  started: boolean;
  onCallNow: OnCall | null;
}

/** Someone the override puts on call whose notification rule has steps that cannot reach them (said, not refused). */
export interface OverrideGap {
  userId: string;
  vias: ReachGap[];
}

export type OverrideOutcome =
  | {
      kind: 'recorded';
      override: Override;
      roleName: string;
      timeZone: string;
      gaps: OverrideGap[];
      /** Who is on call when it ends (an override: another override may take over then, not the rotation). */
      nextOnCall: OnCall;
    }
  /** Nothing recorded: someone named is not in the role's rotation; the person is asked to confirm. */
  | {
      kind: 'confirm';
      role: string;
      roleName: string;
      notIn: string[];
      /** Null: from now. */
      startsAt: Date | null;
      endsAt: Date;
      timeZone: string;
      gaps: OverrideGap[];
    }
  /** A Slack retry of a request already recorded. */
  | { kind: 'retry' };

/** An override's times as said back: its start only when it starts later than `now`. */
export const startAndEnd = (o: { startsAt: Date; endsAt: Date }, now: Date) => ({
  startsAt: o.startsAt.getTime() > now.getTime() + 1000 ? o.startsAt : null,
  endsAt: o.endsAt,
});

/** One role on `/incident oncall`. */
export interface RoleBoard {
  role: string;
  roleName: string;
  /** Null: the role has fixed contacts only. */
  rotation: {
    timeZone: string;
    now: Segment;
    /** Null when nothing changes within the look-ahead. */
    next: Segment | null;
    /** The second layer: who it is now, and whether its hours hold now. */
    layer: { name: string; userId: string; on: boolean; hours: ExtraLayer['hours']; days: ExtraLayer['days'] } | null;
  } | null;
  contacts: string[];
}

/** A stretch of someone's time on call, for `/incident oncall @person`. */
export interface PersonShift extends Segment {
  roleName: string;
  timeZone: string;
  /** The second layer's name, for a shift in it (its hours only); null: the rotation itself. */
  layerName: string | null;
}

export interface OnCallOptions {
  overrideMaxMs: number;
  handoffNoticeMs: number;
  /** Where hand-off notices go for a rotation that names no `handoff_channel`. */
  incidentsChannel?: string;
  leaseMs?: number;
}

/**
 * Stretches of the same person one after the other read as one (an override of the person on call by rotation, then
 * their own shift): they are on call until the first change of person. The first stretch's reason is kept.
 */
function samePersonJoined(segs: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const last = out.at(-1);
    if (last && last.userId === s.userId && last.end.getTime() === s.start.getTime()) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

/** Why someone named cannot be put on call (null: they can). */
const NOT_A_PERSON: Record<PersonKind, string | null> = {
  person: null,
  unchecked: null,
  self: 'is this bot, which cannot answer a page',
  bot: 'is a bot, which cannot answer a page',
  deactivated: 'is a deactivated account, which cannot answer a page',
  unknown: 'is not a person in this workspace',
};

export const PERSON_DAYS = 14;
const PERSON_SHIFTS_PER_ROLE = 20;

export type RotationRole = RoleDef & { rotation: Rotation };

/** `Mon 12 Jan 09:00 (Europe/London)`: a moment on the rotation's clock, for a refusal's reason. */
const rotationStamp = (t: Date, timeZone: string) =>
  `${format(new TZDate(t.getTime(), timeZone), 'EEE d MMM yyyy HH:mm')} (${timeZone})`;

/**
 * On-call: who each role pages now (its rotation, the overrides and swaps people made, its fixed contacts), the
 * board `/incident oncall` shows, overrides, and hand-off notices (its sweep: see oncall-handoffs.ts).
 */
export class OnCallService implements OnCallResolver, Sweep {
  constructor(
    private readonly db: Database,
    private readonly runbook: Pick<Runbook, 'escalation' | 'people'>,
    private readonly chat: OnCallChat,
    private readonly opts: OnCallOptions,
    log: Logger = console,
    /**
     * What a person types (an override's role, its start and end) is masked by before it is shown back in a refusal:
     * the values the bot knows are secret.
     */
    private readonly typed: (text: string) => string = (text) => text,
  ) {
    this.handoffs = new HandoffNotices(
      db,
      runbook,
      chat,
      opts,
      log,
      {
        rotations: () => this.rotations(),
        overrides: (since) => this.overrides(since),
      },
      typed,
    );
  }

  private readonly handoffs: HandoffNotices;

  /** How a card is redrawn once the person on call changes (the incident service's refresh; see HandoffNotices). */
  redrawCardsWith(redraw: (incidentId: number) => Promise<void>): void {
    this.handoffs.redraw = redraw;
  }

  /** Text a person typed, as it may be shown back (a refusal that quotes it): the known secret values masked. */
  masked(text: string): string {
    return this.typed(text);
  }

  /** The roles with a rotation (id and name), in the contact order: what an override may name. */
  rotationRoles(): { id: string; name: string; timeZone: string }[] {
    const { order, roles } = this.runbook.escalation;
    const ids = [...order, ...Object.keys(roles).filter((r) => !order.includes(r))];
    return ids.flatMap((id) => {
      const rot = roles[id]?.rotation;
      return rot ? [{ id, name: roles[id]!.name, timeZone: rot.timeZone }] : [];
    });
  }

  /** The names of the roles with this person among their fixed contacts (paged with the role every time). */
  contactRolesOf(userId: string): string[] {
    return Object.values(this.runbook.escalation.roles)
      .filter((r) => r.contacts.includes(userId))
      .map((r) => r.name);
  }

  /**
   * Refuses, for `/incident oncall @person`, an ID nobody in this workspace has (Slack answers user_not_found), which
   * would otherwise read as someone not on call. Only that answer refuses: Slack not answering lets the reply stand.
   */
  async mustBeKnown(userId: string): Promise<void> {
    if ((await this.chat.whoIs(userId)) !== 'unknown') return;
    throw new DomainError(
      'no_such_person',
      `Nobody in this workspace has the ID \`${userId}\` (Slack knows no such user), so there are no shifts to show. Name the person with @, e.g. \`/incident oncall @alice\`, so Slack fills in who you mean.`,
    );
  }

  private rotations(): RotationRole[] {
    return Object.values(this.runbook.escalation.roles).filter((r): r is RotationRole => Boolean(r.rotation));
  }

  private async overrides(since: Date): Promise<Map<string, Override[]>> {
    const byRole = new Map<string, Override[]>();
    if (this.rotations().length === 0) return byRole;
    for (const o of await overridesEndingAfter(this.db, since)) byRole.set(o.role, [...(byRole.get(o.role) ?? []), o]);
    return byRole;
  }

  async contactsFor(role: string, at: Date): Promise<string[]> {
    const def = this.runbook.escalation.roles[role];
    if (!def) return [];
    if (!def.rotation) return [...def.contacts];
    const overrides = (await this.overrides(at)).get(role) ?? [];
    return pageesAt(def, overrides, at);
  }

  async onCallNow(roles: readonly string[], at: Date): Promise<Map<string, OnCallNow>> {
    const out = new Map<string, OnCallNow>();
    const wanted = roles.filter((r) => this.runbook.escalation.roles[r]);
    if (wanted.length === 0) return out;
    const overrides = wanted.some((r) => this.runbook.escalation.roles[r]!.rotation) ? await this.overrides(at) : null;
    for (const role of wanted) {
      const def = this.runbook.escalation.roles[role]!;
      if (!def.rotation) {
        out.set(role, { userIds: [...def.contacts], until: null });
        continue;
      }
      const ovs = overrides?.get(role) ?? [];
      const ahead = segments(def.rotation, ovs, at, new Date(at.getTime() + LOOK_AHEAD_MS), 8);
      const change = ahead.find((seg) => seg.userId !== ahead[0]?.userId);
      out.set(role, { userIds: pageesAt(def, ovs, at), until: change?.start ?? null });
    }
    return out;
  }

  /** Every role: who is on call now, until when, who is next (rotations), or its fixed contacts. */
  /** The time zone a moment typed for the board is read in: the rotations' one when they all share it, else UTC. */
  boardZone(): string {
    const zones = new Set(this.rotations().map((r) => r.rotation.timeZone));
    return zones.size === 1 ? [...zones][0]! : 'UTC';
  }

  /**
   * When a moment typed for the board is (see BoardMoment), in `zone` (the typing person's; by default `boardZone`),
   * a time alone the next such time (tomorrow's once passed today); a DomainError for one that is over (a
   * date before today, or today at a time already past). A time alone is the next such time.
   */
  boardMoment(m: BoardMoment, now: Date, zone = this.boardZone()): Date {
    // To the minute, as a time typed is (the board names it).
    if (m.kind === 'in') return new Date(Math.floor((now.getTime() + m.ms) / 60_000) * 60_000);
    const p = localParts(now, zone);
    const time = m.time ?? { h: p.h, m: p.mi };
    if (!m.day) {
      const today = atLocal(p.y, p.mo, p.d, time, zone);
      return today > now ? today : atLocal(p.y, p.mo, p.d + 1, time, zone);
    }
    if (m.day.kind === 'weekday') {
      // Today's weekday is today while the time is still to come (typed Saturday 20:25, `saturday 21:00` is in 35
      // minutes); a week on only once it has passed (the command's note says so). No time: today's weekday is what
      // is left of today, from now (`friday` typed on a Friday means today, as `tomorrow` means tomorrow).
      const days = (m.day.dow - p.dow + 7) % 7;
      if (days === 0 && !m.time) return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
      const today = m.time && days === 0 ? atLocal(p.y, p.mo, p.d, time, zone) : null;
      return today && today > now ? today : atLocal(p.y, p.mo, p.d + (days || 7), time, zone);
    }
    const at =
      m.day.kind === 'tomorrow'
        ? atLocal(p.y, p.mo, p.d + 1, time, zone)
        : atLocal(m.day.y, m.day.mo, m.day.d, time, zone);
    if (at.getTime() < now.getTime() - 60_000)
      throw new DomainError(
        'past',
        'That time is over: `/incident oncall` shows who is on call now, or at a time to come (`tomorrow`, `friday 09:00`).',
      );
    return at;
  }

  async board(now: Date): Promise<RoleBoard[]> {
    const overrides = await this.overrides(now);
    return this.runbook.escalation.order
      .concat(Object.keys(this.runbook.escalation.roles).filter((r) => !this.runbook.escalation.order.includes(r)))
      .flatMap((id): RoleBoard[] => {
        const def = this.runbook.escalation.roles[id];
        if (!def) return [];
        const rot = def.rotation;
        if (!rot) return [{ role: id, roleName: def.name, rotation: null, contacts: def.contacts }];
        const segs = samePersonJoined(
          segments(rot, overrides.get(id) ?? [], now, new Date(now.getTime() + LOOK_AHEAD_MS), 16),
        );
        const layer = rot.layer
          ? {
              name: rot.layer.name,
              userId: scheduledAt(rot.layer, now),
              on: layerActive(rot.layer, now),
              hours: rot.layer.hours,
              days: rot.layer.days,
            }
          : null;
        return [
          {
            role: id,
            roleName: def.name,
            rotation: { timeZone: rot.timeZone, now: segs[0]!, next: segs[1] ?? null, layer },
            contacts: def.contacts,
          },
        ];
      });
  }

  /**
   * A person's time on call starting in the next `days` days, as one timeline in time order (PagerDuty's "my on-call
   * shifts"): their own rotation shifts, the overrides and swaps that put them on call (any role), and their second
   * layers' hours; an override of someone else that covers part of their shift shows it split. A shift that starts
   * within them ends when it ends, not where the days do (read up to as many days again).
   */
  async shiftsOf(userId: string, now: Date, days = PERSON_DAYS): Promise<PersonShift[]> {
    // The stretch on at `now` is listed whole, from its start (README: each shift listed whole), not from now: read from
    // the start of the rotation's shift on now, or of an override or swap on now, whichever is earlier.
    const current = await this.overrides(now);
    const fromOf = new Map(
      this.rotations().map((def) => {
        const starts = [shiftAt(def.rotation, now).start, ...(current.get(def.id) ?? []).map((o) => o.startsAt)];
        return [def.id, new Date(Math.min(now.getTime(), ...starts.filter((t) => t <= now).map((t) => t.getTime())))];
      }),
    );
    const earliest = new Date(Math.min(now.getTime(), ...[...fromOf.values()].map((t) => t.getTime())));
    const overrides = await this.overrides(earliest);
    const until = new Date(now.getTime() + days * 86_400_000);
    const readTo = new Date(until.getTime() + days * 86_400_000);
    const starting = (s: { start: Date; end: Date }) => s.start < until && s.end > now;
    const byRole = this.rotations().flatMap((def) => {
      const { timeZone, layer } = def.rotation;
      const first = segments(def.rotation, overrides.get(def.id) ?? [], fromOf.get(def.id) ?? now, readTo, 10_000)
        .filter(starting)
        .filter((s) => s.userId === userId)
        .slice(0, PERSON_SHIFTS_PER_ROLE)
        .map((s): PersonShift => ({ ...s, roleName: def.name, timeZone, layerName: null }));
      const second = layer?.people.includes(userId)
        ? layerSegments(layer, now, readTo, 10_000)
            .filter(starting)
            .filter((s) => s.userId === userId)
            .slice(0, PERSON_SHIFTS_PER_ROLE)
            .map(
              (s): PersonShift => ({
                ...s,
                via: 'rotation',
                override: null,
                roleName: def.name,
                timeZone: layer.timeZone,
                layerName: layer.name,
              }),
            )
        : [];
      return [...first, ...second];
    });
    // Role by role they would list one role's shifts, then the next role's (an override of another role apart from
    // the shifts around it): one timeline instead, the earlier start first (then the contact order, kept by the sort).
    return byRole.sort((a, b) => a.start.getTime() - b.start.getTime());
  }

  /** The role an override names, or the one it must mean. */
  private roleFor(typed: string | null, people: string[]): RotationRole {
    const rotations = this.rotations();
    const names = () => rotations.map((r) => `\`${r.id}\``).join(', ');
    if (rotations.length === 0)
      throw new DomainError(
        'no_rotation',
        'No role has a rotation in the runbook file, so there is no shift to override. Add `rotation:` to a role under `escalation.roles`.',
      );
    if (typed) {
      const found = Object.values(this.runbook.escalation.roles).find(
        (r) => roleSlug(r.id) === roleSlug(typed) || roleSlug(r.name) === roleSlug(typed),
      );
      if (!found)
        throw new DomainError(
          'unknown_role',
          `There is no role \`${this.typed(typed)}\`. Roles with a rotation: ${names()}.`,
        );
      if (!found.rotation)
        throw new DomainError('no_rotation', [
          { name: found.name },
          ` has no rotation: its contacts are fixed in the runbook file. Roles with a rotation: ${names()}.`,
        ]);
      return found as RotationRole;
    }
    if (rotations.length === 1) return rotations[0]!;
    const theirs = rotations.filter((r) => people.some((p) => r.rotation.people.includes(p)));
    if (theirs.length === 1) return theirs[0]!;
    throw new DomainError('which_role', `Name the role after the people: one of ${names()}.`);
  }

  /** When an override ends, read in `timeZone` (the person's, else the role's): from its start (see resolveWallTime for a time of day). */
  private endOf(end: OverrideEnd, timeZone: string, start: Date, now: Date): Date {
    if (end.kind === 'at') return end.at;
    if (end.kind === 'for') return new Date(start.getTime() + end.ms);
    return resolveWallTime(end, timeZone, start, now, 'until', 'Nothing was recorded.');
  }

  /**
   * Records an override or a swap from now (or a later start) until its end. Refused, with the reason: a start in the
   * past, an end in the past or before the start, longer than ONCALL_OVERRIDE_MAX, a swap with oneself. Someone
   * outside the role's rotation: not recorded until confirmed.
   */
  async override(req: OverrideRequest, now = new Date()): Promise<OverrideOutcome> {
    const people = [req.userId, ...(req.otherId ? [req.otherId] : [])];
    const def = this.roleFor(req.role, people);
    const { timeZone } = def.rotation;
    if (req.otherId === req.userId)
      throw new DomainError('swap_self', 'A swap needs two different people: `/incident oncall swap @a @b 2h`.');
    await this.onlyPeople(people, req.kind);
    // A refusal names its times on the typing person's clock, as the times they typed were read.
    const stamp = (t: Date) => rotationStamp(t, req.typedZone ?? timeZone);
    let later: Date | null = null;
    if (req.start?.kind === 'typed') {
      later = resolveWallTime(req.start, req.typedZone ?? timeZone, now, now, 'from', 'Nothing was recorded.');
      if (later < now)
        throw new DomainError(
          'override_start_past',
          `That starts in the past (${stamp(later)}): nothing was recorded. Leave out \`from\` to start now.`,
        );
    } else if (req.start?.kind === 'at' && req.start.at > now) {
      // A confirmed override whose start came while the person was asked starts now.
      later = req.start.at;
    }
    const startsAt = later ?? now;
    const endsAt = this.endOf(req.end, req.typedZone ?? timeZone, startsAt, now);
    if (later && endsAt <= later)
      throw new DomainError(
        'override_end_before_start',
        `That ends (${stamp(endsAt)}) before it starts (${stamp(later)}): nothing was recorded.`,
      );
    if (endsAt <= now)
      throw new DomainError(
        'override_past',
        `That ends in the past (${stamp(endsAt)}): nothing was recorded. Give a length (\`2h\`) or a time to come (\`until 18:00\`).`,
      );
    // Not `>`: a length too large for a date (`99999999999999999999d`) gives NaN, which is too long as well.
    if (!(endsAt.getTime() - startsAt.getTime() <= this.opts.overrideMaxMs))
      throw new DomainError(
        'override_too_long',
        `That is longer than an override may be (${describeDuration(this.opts.overrideMaxMs)}, ONCALL_OVERRIDE_MAX): nothing was recorded. Change the rotation in the runbook file for longer.`,
      );
    const members = new Set([...def.rotation.people, ...(def.rotation.layer?.people ?? [])]);
    const notIn = people.filter((p) => !members.has(p));
    const trades = req.kind === 'swap' ? await this.swapTrades(def, people, startsAt, endsAt) : 'trades';
    if (trades === 'covered')
      throw new DomainError(
        'swap_covered',
        `An override covers those hours for ${def.name} (${later ? `from ${stamp(startsAt)} ` : ''}until ${stamp(endsAt)}), and an override beats a swap; outside it neither of them has a rotation shift then: the swap would change nobody's shift, so nothing was recorded. See \`/incident oncall\`, or take the shift with \`/incident oncall override @person\`.`,
      );
    if (trades === 'none')
      throw new DomainError('swap_nothing', [
        'Neither of them is on call for ',
        { name: def.name },
        ` ${later ? `from ${stamp(startsAt)} ` : ''}until ${stamp(endsAt)}: a swap trades shifts, and there is no shift to trade, so nothing was recorded. To put one of them on call, use \`/incident oncall override @person 2h\`.`,
      ]);
    const gaps = people
      .map((userId) => ({ userId, vias: reachGaps(this.runbook.people[userId], def) }))
      .filter((g) => g.vias.length > 0);
    if (notIn.length && !req.confirmed)
      return { kind: 'confirm', role: def.id, roleName: def.name, notIn, startsAt: later, endsAt, timeZone, gaps };
    const override = await this.db.transaction(async (tx) => {
      if (req.requestKey && !(await claimRequestKey(tx, req.requestKey))) return null;
      const made = await insertOverride(tx, {
        role: def.id,
        kind: req.kind,
        userId: req.userId,
        otherId: req.otherId,
        startsAt,
        endsAt,
        createdBy: req.actorId,
      });
      // The notices of hand-offs within it already told (held for the hand-off itself) are looked at again now: one that
      // no longer happens is taken back by the sweep at once, not at the hand-off it was held for.
      await releaseHandoffs(tx, def.id, startsAt, endsAt);
      return made;
    });
    if (!override) return { kind: 'retry' };
    const nextOnCall = onCallAt(def.rotation, (await this.overrides(endsAt)).get(def.id) ?? [], endsAt);
    return { kind: 'recorded', override, roleName: def.name, timeZone, gaps, nextOnCall };
  }

  /** The overrides and swaps on now or to come, soonest first, each with its role's name and clock. */
  async upcoming(now = new Date()): Promise<ListedOverride[]> {
    const all = await overridesEndingAfter(this.db, now);
    return all
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.id - b.id)
      .map((o) => {
        const def = this.runbook.escalation.roles[o.role];
        return { ...o, roleName: def?.name ?? o.role, timeZone: def?.rotation?.timeZone ?? 'UTC' };
      });
  }

  /**
   * Cancels override or swap number `id` (as `/incident oncall overrides` lists it). Anyone may, as anyone with access
   * to a schedule may delete an override in PagerDuty; who did is recorded and said. One on now ends now (the hand-off
   * back is noticed, and the cards redrawn, by the sweep as for any other); one to come never starts. Null: a retry of
   * a request already handled (`requestKey` claimed), nothing done.
   */
  async cancel(id: number, actorId: string, now = new Date(), requestKey?: string): Promise<CancelOutcome | null> {
    // A Slack retry of the same command (its key claimed by the first) does nothing and says nothing: the first one's
    // answer stands, not "cancelled already, by you".
    const r = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const c = await cancelOverride(tx, id, actorId, now);
      // Its hand-offs' notices already sent (ahead of them, within ONCALL_HANDOFF_NOTICE) are taken back by the sweep
      // now, not at the hand-off they were held for.
      if (c.kind === 'cancelled') await releaseHandoffs(tx, c.before.role, c.before.startsAt, c.before.endsAt);
      return c;
    });
    if (!r) return null;
    if (r.kind === 'unknown')
      throw new DomainError(
        'override_unknown',
        `There is no override or swap #${id}: nothing was cancelled. \`/incident oncall overrides\` lists them with their numbers.`,
      );
    if (r.kind === 'over')
      throw new DomainError(
        'override_over',
        r.cancelledBy
          ? [`Override #${id} was cancelled already, by `, { people: [r.cancelledBy] }, ': nothing more to do.']
          : `Override #${id} is over already (it ended ${rotationStamp(r.override.endsAt, 'UTC')}): nothing to cancel.`,
      );
    const def = this.runbook.escalation.roles[r.before.role];
    const started = r.before.startsAt <= now;
    const onCallNow =
      started && def?.rotation ? onCallAt(def.rotation, (await this.overrides(now)).get(def.id) ?? [], now) : null;
    return {
      override: r.before,
      roleName: def?.name ?? r.before.role,
      timeZone: def?.rotation?.timeZone ?? 'UTC',
      started,
      onCallNow,
    };
  }

  /**
   * Refuses to put on call what cannot answer a page: the bot itself, another bot, a deactivated account, an ID the
   * workspace does not know (pages would go nowhere and nobody human would be paged).
   */
  private async onlyPeople(people: readonly string[], kind: OverrideRequest['kind']): Promise<void> {
    const example =
      kind === 'swap' ? '`/incident oncall swap @alice @bob 2h`' : '`/incident oncall override @alice 2h`';
    for (const userId of people) {
      const why = NOT_A_PERSON[await this.chat.whoIs(userId)];
      if (why)
        throw new DomainError('not_a_person', [
          { people: [userId] },
          ` ${why}: nothing was recorded. Name a person: ${example}.`,
        ]);
    }
  }

  /**
   * Whether a swap of these people over that time trades anything: one of them is on call in the rotation (with the
   * overrides recorded) at some moment of it. People of the second layer are taken as trading (its hours are its own).
   */
  private async swapTrades(
    def: RotationRole,
    people: string[],
    from: Date,
    to: Date,
  ): Promise<'trades' | 'covered' | 'none'> {
    if (people.some((p) => def.rotation.layer?.people.includes(p))) return 'trades';
    const overrides = (await this.overrides(from)).get(def.id) ?? [];
    // The swap as it would be recorded (made last): it trades something if it is what puts someone on call at some
    // moment. An override that covers those hours beats it (nothing would change), as does no shift of either.
    const swap: Override = {
      id: -1,
      role: def.id,
      kind: 'swap',
      userId: people[0]!,
      otherId: people[1] ?? null,
      startsAt: from,
      endsAt: to,
      createdBy: '',
      createdAt: new Date(8.64e15),
    };
    const traded = (ovs: Override[]) =>
      segments(def.rotation, [...ovs, swap], from, to, 10_000).some((seg) => seg.override?.id === -1);
    if (traded(overrides)) return 'trades';
    return overrides.some((o) => o.kind === 'override' && o.startsAt < to && o.endsAt > from) ? 'covered' : 'none';
  }

  /** Records the notices of hand-offs coming within ONCALL_HANDOFF_NOTICE (or just past), then sends those due. */
  sweep(): Promise<void> {
    return this.handoffs.sweep();
  }
}
