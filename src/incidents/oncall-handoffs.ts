import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { insertOnCallRedrawJobs } from '../store/escalation-redraws.repo.js';
import { listOpenIncidentsEverywhere } from '../store/incident.repo.js';
import {
  cardRedrawsDue,
  claimHandoffs,
  type HandoffRow,
  holdHandoff,
  markCardsRedrawn,
  markHandoff,
  recordHandoffs,
  renewHandoff,
  renewHandoffLeases,
  retryHandoff,
} from '../store/oncall.repo.js';
import { retryDelayMs } from './escalation-jobs.js';
import type { OnCallOptions, RotationRole } from './oncall.service.js';
import { type Logger, UnreachableContactError } from './ports.js';
import { handoffsBetween, type Override, onCallAt, type Rotation, segments } from './rotation.js';
import { maskedIncident } from './shown-incident.js';
import type { Incident } from './types.js';

/** What a hand-off notice says. */
export interface HandoffNotice {
  roleName: string;
  at: Date;
  timeZone: string;
  outgoingId: string | null;
  incomingId: string;
  /**
   * Who was told before as handing over, when an override or a swap made since changed only that: this notice is told
   * again, saying it is `outgoingId` now, not them.
   */
  replacedOutgoingId?: string | null;
  /** When the incoming person's time on call ends, as it stands. */
  until: Date | null;
  /**
   * A hand-back: the outgoing person only stands in for the incoming one (an override or a swap) from this time, and
   * the incoming person, on call before it, is back on call at the hand-off (A, B, then A again). Null otherwise.
   */
  standInFrom?: Date | null;
  /**
   * The incoming person only stands in for the outgoing one (an override or a swap) until this time, when the outgoing
   * person is back on call: their shift pauses, it does not end. Null otherwise.
   */
  backAt?: Date | null;
  /** The open incidents they inherit (the first ones), and how many are open in all. */
  incidents: Incident[];
  openTotal: number;
}

/**
 * A hand-off told ahead of time that no longer happens (the override or swap behind it cancelled before it started):
 * who was to take over, and who is on call then instead (the same person: they stay on call through it).
 */
export interface WithdrawnHandoff {
  roleName: string;
  at: Date;
  timeZone: string;
  outgoingId: string | null;
  incomingId: string;
  onCallId: string;
}

/** The domain's way to tell people about hand-offs; src/slack implements it. */
export interface OnCallChat {
  postHandoff(channelId: string, notice: HandoffNotice): Promise<void>;
  /** A direct message to the incoming person; UnreachableContactError when they cannot get one. */
  tellIncoming(userId: string, notice: HandoffNotice): Promise<void>;
  /** A direct message to the outgoing person, at the hand-off: their shift ended, who took over, what is open. */
  tellOutgoing(userId: string, notice: HandoffNotice): Promise<void>;
  /** The channel's hand-off line taken back: that hand-off is off, and who is on call then. */
  postHandoffWithdrawn(channelId: string, w: WithdrawnHandoff): Promise<void>;
  /** The incoming person told the hand-off they were told of is off; UnreachableContactError as tellIncoming. */
  tellWithdrawn(userId: string, w: WithdrawnHandoff): Promise<void>;
  /**
   * What the chat knows of someone an override or a swap would put on call: a person, the bot itself or another
   * bot, a deactivated account, an ID the workspace does not know; 'unchecked' when it could not be asked (taken as a
   * person: the override is not refused because the chat is slow).
   */
  whoIs(userId: string): Promise<PersonKind>;
}

export type PersonKind = 'person' | 'self' | 'bot' | 'deactivated' | 'unknown' | 'unchecked';

/** How far ahead `/incident oncall` looks for the next person (and a notice for when the new shift ends). */
export const LOOK_AHEAD_MS = 62 * 86_400_000;
/** How late a notice is still worth sending, and how many one sweep claims. */
const NOTICE_STALE_MS = 3_600_000;
const HANDOFF_BATCH = 20;

/** A hand-off as the rotations and overrides make it: who hands over to whom, when. */
interface Handoff {
  role: string;
  at: Date;
  outgoingId: string | null;
  incomingId: string;
}

/** What the notices read of the on-call service: the roles with a rotation, and the overrides that still matter. */
export interface RotationSource {
  rotations(): RotationRole[];
  overrides(since: Date): Promise<Map<string, Override[]>>;
}

/**
 * Hand-off notices: rows (one per role and hand-off time) that the timer loop's sweep records shortly before each
 * hand-off and sends once, from one replica: the channel line and the incoming person's direct message ahead of it,
 * the outgoing person's at the hand-off itself (the row is held until then).
 */
export class HandoffNotices {
  constructor(
    private readonly db: Database,
    private readonly runbook: Pick<Runbook, 'escalation'>,
    private readonly chat: OnCallChat,
    private readonly opts: OnCallOptions,
    private readonly log: Logger,
    private readonly source: RotationSource,
    /** What people typed in an incident is masked by as the notice lists it (see maskedIncident). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {}

  /** Records the notices of hand-offs coming within ONCALL_HANDOFF_NOTICE (or just past), then sends those due. */
  async sweep(): Promise<void> {
    const rotations = this.source.rotations();
    if (rotations.length === 0) return;
    const now = new Date();
    const lead = this.opts.handoffNoticeMs;
    const handoffs = (overrides: Map<string, Override[]>): Handoff[] =>
      rotations.flatMap((def) =>
        handoffsBetween(
          def.rotation,
          overrides.get(def.id) ?? [],
          new Date(now.getTime() - lead),
          new Date(now.getTime() + lead),
        ).map((h) => ({ role: def.id, at: h.at, outgoingId: h.from.userId, incomingId: h.to.userId })),
      );
    const due = handoffs(await this.source.overrides(new Date(now.getTime() - lead)));
    await recordHandoffs(this.db, due);
    await this.redrawCards();
    // Each role's latest hand-off already past: an earlier one (missed while no loop ran: the bot down, a deploy) is
    // over, its people told nothing now; the latest says who is on call.
    const latestPast = new Map<string, number>();
    for (const h of due) {
      const at = h.at.getTime();
      if (at <= now.getTime() && at > (latestPast.get(h.role) ?? 0)) latestPast.set(h.role, at);
    }
    const windowStart = now.getTime() - lead;
    const leaseMs = this.opts.leaseMs ?? 60_000;
    const claimed = await claimHandoffs(this.db, HANDOFF_BATCH, leaseMs);
    if (claimed.length === 0) return;
    // Held while handled, every claim of the batch (the last waits for the others' Slack calls): renewed until the
    // sweep is done, so a slow Slack does not let another replica claim a notice and send its parts again.
    const held = this.keepClaims(claimed, leaseMs);
    try {
      await this.handle(claimed, windowStart, latestPast, handoffs);
    } finally {
      await held.stop();
    }
  }

  /**
   * Renews the leases of `claims` every third of `leaseMs` until stopped (resolves once a renewal under way ended): a
   * claim whose lease its notice's own hold, retry or end replaced is renewed no more (renewHandoffLeases), so a hold
   * for the hand-off stands.
   */
  private keepClaims(claims: readonly HandoffRow[], leaseMs: number): { stop(): Promise<void> } {
    let live = claims.map((h) => ({ role: h.role, handoffAt: h.handoffAt, lease: h.lease }));
    let running: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        running = running.then(async () => {
          try {
            live = await renewHandoffLeases(this.db, live, leaseMs);
          } catch (err) {
            this.log.warn('could not renew the leases of the hand-off notices being sent', err);
          }
        });
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await running;
      },
    };
  }

  /** Each claimed notice taken back, renewed or sent, as its hand-off stands now (see sweep). */
  private async handle(
    claimed: readonly HandoffRow[],
    windowStart: number,
    latestPast: ReadonlyMap<string, number>,
    handoffs: (overrides: Map<string, Override[]>) => Handoff[],
  ): Promise<void> {
    // The overrides read again after the claim: one cancelled since the first read (its notices released then, and
    // claimed here) is seen cancelled, its notices taken back now, not held as standing until the hand-off.
    const overrides = await this.source.overrides(new Date(windowStart));
    const asNow = handoffs(overrides);
    const standing = new Set(asNow.map((h) => `${h.role} ${h.at.getTime()} ${h.incomingId}`));
    const standingAt = new Map(asNow.map((h) => [`${h.role} ${h.at.getTime()}`, h]));
    // The hand-offs as they stand: a notice recorded for one no longer among them (its override or swap cancelled
    // before it started) is taken back, not sent on. Only within the window read here (from now - lead).
    // One still at that moment with someone else taking over (an override or a swap made since) is taken back, then
    // becomes the notice of that hand-off, sent as any other. One standing with someone else handing over, or taken
    // back and standing again (the override that removed it cancelled), is told again, as new.
    for (const h of claimed) {
      if (h.handoffAt.getTime() < (latestPast.get(h.role) ?? 0)) {
        await markHandoff(this.db, h, 'done', 'superseded by a later hand-off before it was announced');
        continue;
      }
      const gone =
        h.handoffAt.getTime() > windowStart && !standing.has(`${h.role} ${h.handoffAt.getTime()} ${h.incomingId}`);
      const stands = standingAt.get(`${h.role} ${h.handoffAt.getTime()}`) ?? null;
      if (gone) await this.withdraw(h, overrides.get(h.role) ?? [], stands);
      else if (stands && (h.withdrawn || stands.outgoingId !== h.outgoingId)) await this.renew(h, stands);
      else await this.send(h, overrides.get(h.role) ?? []);
    }
  }

  /**
   * Redraws an incident's card (set by the composition root: the incident service's refresh). A card names the person
   * on call for its next role, so every hand-off past (a rotation's, an override or a swap starting or ending) redraws
   * the open incidents' cards, once its row says it is due: durable, whichever replica's loop gets to it. Their page
   * DMs' Escalate to … passes over a role whose people on call all run the incident, so the same hand-off writes the
   * timers that show those DMs again (insertOnCallRedrawJobs; each draws only the DMs whose Escalate to … changed),
   * before the hand-off is marked done: a process stopped between them leaves the hand-off to the next sweep.
   */
  redraw: ((incidentId: number) => Promise<void>) | null = null;

  private async redrawCards(): Promise<void> {
    if (!this.redraw) return;
    const due = await cardRedrawsDue(this.db, HANDOFF_BATCH);
    if (due.length === 0) return;
    await insertOnCallRedrawJobs(this.db);
    const open = await listOpenIncidentsEverywhere(this.db, 50);
    for (const i of open.incidents) {
      // One card failing is logged: the next change of that incident redraws it anyway.
      await this.redraw(i.id).catch((err) =>
        this.log.warn(`could not redraw the card of incident ${i.id} after a hand-off`, err),
      );
    }
    await markCardsRedrawn(this.db, due);
  }

  /** A hand-off direct message; a person Slack cannot reach is logged, and the notice goes on. */
  private async tellPerson(
    who: 'incoming' | 'outgoing',
    userId: string,
    h: HandoffRow,
    notice: HandoffNotice,
  ): Promise<void> {
    try {
      await (who === 'incoming' ? this.chat.tellIncoming(userId, notice) : this.chat.tellOutgoing(userId, notice));
    } catch (err) {
      if (!(err instanceof UnreachableContactError)) throw err;
      this.log.warn(`the ${who} on-call ${userId} of ${h.role} cannot get a direct message`, err);
    }
  }

  /**
   * A hand-off that no longer happens: what was said of it is taken back (the channel's line, the incoming person's
   * direct message), saying who is on call then instead; nothing more is sent of it (no "your shift ended"). When
   * someone else takes over at that moment instead (`instead`), the row becomes their hand-off's notice, sent by the
   * next sweep as any other (once: each part is marked as it goes).
   */
  private async withdraw(
    h: HandoffRow,
    overrides: readonly Override[],
    instead: { outgoingId: string | null; incomingId: string } | null,
  ): Promise<void> {
    const def = this.runbook.escalation.roles[h.role];
    try {
      if (!def?.rotation) return await markHandoff(this.db, h, 'done', 'the role has no rotation any more');
      const w: WithdrawnHandoff = {
        roleName: def.name,
        at: h.handoffAt,
        timeZone: def.rotation.timeZone,
        outgoingId: h.outgoingId,
        incomingId: h.incomingId,
        onCallId: onCallAt(def.rotation, overrides, h.handoffAt).userId,
      };
      const channel = def.rotation.handoffChannel ?? this.opts.incidentsChannel;
      // Exactly those who heard of this hand-off hear it is off: told marks outlive renewals for another outgoing person
      // (the notice not told again yet), and are per audience (a channel line alone sends no "Cancelled" DM). Each hears
      // of the hand-off it was told of: from the outgoing person it was last told, not one a renewal put on the notice
      // since.
      if (channel && h.channelTold && !h.withdrawnPosted) {
        await this.chat.postHandoffWithdrawn(channel, { ...w, outgoingId: h.channelToldOutgoingId });
        await markHandoff(this.db, h, 'withdrawn_channel');
      }
      if (h.dmTold && !h.withdrawnDmSent) {
        try {
          await this.chat.tellWithdrawn(h.incomingId, { ...w, outgoingId: h.dmToldOutgoingId });
        } catch (err) {
          if (!(err instanceof UnreachableContactError)) throw err;
          this.log.warn(`the on-call ${h.incomingId} of ${h.role} cannot get a direct message`, err);
        }
        await markHandoff(this.db, h, 'withdrawn_dm');
      }
      if (instead) return await renewHandoff(this.db, h, instead);
      await markHandoff(
        this.db,
        h,
        'withdrawn',
        'withdrawn: the hand-off no longer happens (an override or swap changed it)',
      );
    } catch (err) {
      const delay = retryDelayMs(h.attempts);
      this.log.warn(`taking back the hand-off notice of ${h.role} at ${h.handoffAt.toISOString()} failed`, err);
      await retryHandoff(
        this.db,
        h,
        new Date(Date.now() + delay),
        err instanceof Error ? err.message : String(err),
      ).catch((e) => this.log.error('could not reschedule a hand-off notice; its lease will run out', e));
    }
  }

  /**
   * A hand-off that stands with other people than its notice names (only who hands over changed), or that was taken
   * back and happens after all: the row becomes its notice as it stands, told again by the next sweep as any other.
   */
  private async renew(h: HandoffRow, stands: { outgoingId: string | null; incomingId: string }): Promise<void> {
    try {
      await renewHandoff(this.db, h, stands);
    } catch (err) {
      const delay = retryDelayMs(h.attempts);
      this.log.warn(`renewing the hand-off notice of ${h.role} at ${h.handoffAt.toISOString()} failed`, err);
      await retryHandoff(
        this.db,
        h,
        new Date(Date.now() + delay),
        err instanceof Error ? err.message : String(err),
      ).catch((e) => this.log.error('could not reschedule a hand-off notice; its lease will run out', e));
    }
  }

  private async send(h: HandoffRow, overrides: readonly Override[]): Promise<void> {
    const def = this.runbook.escalation.roles[h.role];
    try {
      if (!def?.rotation) return await markHandoff(this.db, h, 'done', 'the role has no rotation any more');
      if (Date.now() - h.handoffAt.getTime() > NOTICE_STALE_MS)
        return await markHandoff(this.db, h, 'done', 'too late to announce');
      const stretch = segments(
        def.rotation,
        overrides,
        h.handoffAt,
        new Date(h.handoffAt.getTime() + LOOK_AHEAD_MS),
        2,
      );
      const [incoming, after] = stretch;
      const stands = incoming?.userId === h.incomingId && incoming.via !== 'rotation';
      // A stand-in (an override or a swap) then the person it stood in for again: each is told so, not "your shift
      // ended" nor a new shift for the person who was on call just before.
      const backAt = stands && h.outgoingId !== null && after?.userId === h.outgoingId ? incoming.end : null;
      const open = await listOpenIncidentsEverywhere(this.db, 10);
      const notice: HandoffNotice = {
        roleName: def.name,
        at: h.handoffAt,
        timeZone: def.rotation.timeZone,
        outgoingId: h.outgoingId,
        incomingId: h.incomingId,
        replacedOutgoingId: h.replacedOutgoingId,
        until: incoming?.userId === h.incomingId ? incoming.end : null,
        standInFrom: h.outgoingId
          ? standInFrom(def.rotation, overrides, h.handoffAt, h.outgoingId, h.incomingId)
          : null,
        backAt,
        incidents: open.incidents.map((i) => maskedIncident(i, this.typed)),
        openTotal: open.total,
      };
      const channel = def.rotation.handoffChannel ?? this.opts.incidentsChannel;
      // A correction says "not X" to each audience of the X it was told (the channel and the incoming person may have
      // heard different people hand over); to one told nothing yet, it is just the notice.
      if (channel && !h.channelPosted) {
        await this.chat.postHandoff(channel, { ...notice, replacedOutgoingId: h.channelToldOutgoingId });
        await markHandoff(this.db, h, 'channel');
      }
      if (!h.dmSent) {
        await this.tellPerson('incoming', h.incomingId, h, { ...notice, replacedOutgoingId: h.dmToldOutgoingId });
        await markHandoff(this.db, h, 'dm');
      }
      if (h.outgoingId && !h.outgoingDmSent) {
        // "Your shift ended" is said when it has: the notice waits for the hand-off, then lists what is open then.
        if (Date.now() < h.handoffAt.getTime()) return await holdHandoff(this.db, h, h.handoffAt);
        await this.tellPerson('outgoing', h.outgoingId, h, notice);
        await markHandoff(this.db, h, 'outgoing');
      }
      await markHandoff(this.db, h, 'done');
    } catch (err) {
      const delay = retryDelayMs(h.attempts);
      this.log.warn(
        `the hand-off notice of ${h.role} at ${h.handoffAt.toISOString()} failed; retrying in ${delay} ms`,
        err,
      );
      await retryHandoff(
        this.db,
        h,
        new Date(Date.now() + delay),
        err instanceof Error ? err.message : String(err),
      ).catch((e) => this.log.error('could not reschedule a hand-off notice; its lease will run out', e));
    }
  }
}

/**
 * When the outgoing person of a hand-off at `at` began standing in (an override or a swap) for the incoming one, who
 * was on call just before them: the hand-off gives it back (A, B, then A again). Null when it is no such hand-back.
 */
function standInFrom(
  rotation: Rotation,
  overrides: readonly Override[],
  at: Date,
  outgoingId: string,
  incomingId: string,
): Date | null {
  const last = onCallAt(rotation, overrides, new Date(at.getTime() - 1));
  if (last.userId !== outgoingId || last.via === 'rotation' || !last.override) return null;
  const from = last.override.startsAt;
  if (from >= at) return null;
  return onCallAt(rotation, overrides, new Date(from.getTime() - 1)).userId === incomingId ? from : null;
}
