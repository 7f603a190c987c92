import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import { takenRoles } from '../store/page.repo.js';
import {
  claimPageDms,
  type OpenPageDm,
  openPageDms,
  type PageDmBehind,
  type PageDmKey,
  pageDmDrawn,
  pageDmGone,
  pageDmKey,
  pageDmShown,
  pageDmsBehind,
  releasePageDms,
} from '../store/page-dm.repo.js';
import { ChatPlatformError } from './errors.js';
import { byNameOf, openedAt, pagedPerson, ruleFlag } from './escalation-policy.js';
import type { Lanes } from './lanes.js';
import type { IncidentChat, Logger, OnCallPeople, PageMessage } from './ports.js';
import type { Incident } from './types.js';

/** How long a redraw holds a page DM (see claimPageDms): past it, a process that stopped drawing it holds it no more. */
const DRAW_LEASE_MS = 30_000;

/**
 * Slack's answers for a page direct message it will never update, however often asked (gone, or the bot's own message
 * no longer its to change, the person's account closed, blocks it refuses): its redraw is given up, and the DM
 * recorded as gone (pageDmGone), so no later redraw tries it again. (An alert notice's copy sent to on-call, being
 * withdrawn, is let be on these too: NoticeSteps.withdrawDirect.)
 */
export const DM_NEVER_UPDATED = new Set([
  'message_not_found',
  'cant_update_message',
  'channel_not_found',
  'is_archived',
  'account_inactive',
  'invalid_blocks',
  'msg_too_long',
]);

/** Who is on call in the contact order's roles, read when first asked and then kept (see PageDmNames.whoIsOn). */
type OnCallRead = () => Promise<ReadonlyMap<string, OnCallPeople>>;

/**
 * What a redraw reads of the escalation service: roles' names, a page's Escalate to …, who is on call, why a rule
 * paged.
 */
export interface PageDmNames {
  roleName(role: string): string;
  /**
   * The Escalate to … a page of `role` offers, the roles `taken` paged or asked for, as the card's Escalate now
   * decides (see EscalationService.escalateFrom), with who is on call as `who` reads it.
   */
  escalateFrom(
    incident: Incident,
    role: string,
    taken: ReadonlySet<string>,
    who: OnCallRead,
  ): Promise<{ escalateTo?: { role: string; roleName: string } }>;
  /** Who is on call now in every role of the contact order: one ask, for every DM of a redraw. */
  whoIsOn(): Promise<ReadonlyMap<string, OnCallPeople>>;
  reason(rule: string, incident: Incident): string;
}

/** The Escalate to … each role's page offers, as one read of the incident has it: asked once per role. */
type Offers = (role: string) => Promise<{ escalateTo?: { role: string; roleName: string } }>;

/**
 * The page direct messages people hold, shown again as the incident is now: answered (acknowledged, resolved,
 * reopened), with a new severity, or with an Escalate to … of a role paged since or chosen with another commander. Drawn one at a time per DM, under
 * its lease, from the incident as it is when drawn; a change's timer (`redraw_pages`) retries until Slack takes each.
 */
export class PageDmRedraw {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly names: PageDmNames,
    /** The escalation service's Slack lanes (a redraw is follow-up work). */
    private readonly lanes: Lanes,
    private readonly log: Logger,
    /** Told when a DM was recorded behind the incident (see pageDmDrawn): a timer written with it is due now. */
    private readonly onLate: () => void = () => {},
  ) {}

  /**
   * Shows the incident's page direct messages answered since they were shown as answered: acknowledged (by the person
   * paged, or by the incident's acknowledgement when the page came before it) or resolved. Their Acknowledge button
   * goes and they say who answered and when, so a person paged does not acknowledge a page someone has answered, nor
   * wonder whether their own click was taken. Open ones behind the incident are shown as it is now too. A DM another
   * redraw is drawing is left to it, not waited for: that redraw read the incident once it held the DM, and one that
   * read it before a change is followed by the change's timer, which shows the DM again once it is free (a page whose
   * DMs were drawn before a change writes its own: recordDeliveries). Waiting held the page that called this, and the
   * card's refresh after it, for as long as Slack took to answer the other redraw (up to 10 s). Never throws: a DM
   * Slack does not update stays as it was (logged); every change's (an acknowledgement, an own page's, a reopening,
   * the resolution, a page of more roles, a change of command) is shown again by its timer (`redraw_pages`) until
   * Slack takes it. Used after a page, for a DM recorded after a change (and by a change's follow-up taken over).
   */
  async showAnswered(incident: Incident): Promise<void> {
    try {
      await this.drawBehind(incident.id, this.onCallOnce());
    } catch (err) {
      this.log.warn(`incident ${incident.id}: could not read its pages to show them answered`, err);
    }
  }

  /**
   * The timer `redraw_pages` (written with a severity change, an acknowledgement, a person acknowledging their own
   * page, a reopening, the resolution, a page of roles some DM offers to escalate to, a page whose DMs were drawn
   * before such a change): shows the incident's page direct messages behind it (drawBehind). `held` when another
   * redraw holds some of them (a page's showAnswered while Slack is slow, another replica's timer): the timer is
   * tried again once it may have let them go, a wait that is not one of its tries (see EscalationService.carryOut).
   * Throws when Slack did not take one, so the timer is tried again.
   */
  async redrawPages(incidentId: number): Promise<'done' | 'held'> {
    const who = this.onCallOnce();
    // A second look: a DM drawn while another change was made is behind again, and shown once more.
    for (let look = 0; look < 2; look++) {
      const { behind, failure, busy } = await this.drawBehind(incidentId, who);
      if (failure) throw failure;
      if (busy) return 'held';
      if (behind === 0) return 'done';
    }
    return 'done';
  }

  /**
   * Who is on call, asked once for a whole redraw (both looks of redrawPages, both reads of each, every DM drawn), and
   * only when some Escalate to … needs it. A hand-off meanwhile (a rotation's, an override) writes a timer of its own,
   * whose redraw asks again.
   */
  private onCallOnce(): OnCallRead {
    let read: Promise<ReadonlyMap<string, OnCallPeople>> | undefined;
    return () => {
      read ??= this.names.whoIsOn();
      return read;
    };
  }

  /**
   * The incident's page direct messages behind it now: answered ones not shown so, open ones drawn otherwise; and the
   * Escalate to … each role's page offers as the incident is now (`offers`, which the drawing of these uses too).
   */
  private async behindNow(
    incidentId: number,
    who: OnCallRead,
  ): Promise<{ incident: Incident; answered: PageDmBehind[]; open: OpenPageDm[]; offers: Offers } | null> {
    const incident = await getIncident(this.db, incidentId);
    if (!incident) return null;
    const openToo = incident.status !== 'resolved' && this.chat.refreshPage !== undefined;
    const [answered, open, taken] = await Promise.all([
      this.chat.updatePage ? pageDmsBehind(this.db, incidentId) : [],
      openToo ? openPageDms(this.db, incidentId) : [],
      openToo ? takenRoles(this.db, incidentId, openedAt(incident)) : new Set<string>(),
    ]);
    const asked = new Map<string, ReturnType<Offers>>();
    const offers: Offers = (role) => {
      let offer = asked.get(role);
      if (!offer) {
        offer = this.names.escalateFrom(incident, role, taken, who);
        asked.set(role, offer);
      }
      return offer;
    };
    return { incident, answered, open: await this.openBehind(open, offers), offers };
  }

  /**
   * Of the open page DMs, those behind the incident: as recorded (OpenPageDm.behind), or a first DM of a role's page
   * whose Escalate to … is not what a page of its role offers now. That one passes over a role whose people on call
   * all run the incident, and who is on call is not in the database: a hand-off (a rotation's, an override or a swap
   * starting or ending) may change it, and its timer (`redraw_pages`, written by the hand-off's sweep) finds it here.
   * Asked once per role (`offers`).
   */
  private async openBehind(open: OpenPageDm[], offers: Offers): Promise<OpenPageDm[]> {
    const offeredNow = async (role: string) => (await offers(role)).escalateTo?.role ?? '';
    const behind = await Promise.all(
      open.map(
        async (dm) =>
          dm.behind ||
          (dm.step === null &&
            dm.drawnEscalateTo !== null &&
            !pagedPerson(dm.role) &&
            (await offeredNow(dm.role)) !== dm.drawnEscalateTo),
      ),
    );
    return open.filter((_, i) => behind[i]);
  }

  /**
   * Shows the incident's page direct messages that are behind it again: answered ones as answered (who, when; their
   * Acknowledge gone), open ones drawn with another severity, or offering to escalate to a role paged since, as the
   * incident is now (a SEV-2 raised to SEV-0: a person paged holds a DM saying "SEV-2 · respond within 1 hour" and
   * "[SEV-2]"). In order: each DM is drawn under its lease (claimPageDms), and what it shows is read once the lease is
   * held, so two redraws never overlap on one DM and an older state is never drawn over a newer one (a page recorded
   * after the change, or a redraw that read the incident before it, is shown as it is now). Each DM Slack takes is
   * recorded as drawn, and not shown again. Returns how many were behind, the first failure (each is logged; null
   * when all were shown or given up: see DM_NEVER_UPDATED), and whether another redraw held some (`busy`).
   */
  private async drawBehind(
    incidentId: number,
    who: OnCallRead,
  ): Promise<{ behind: number; failure: unknown; busy: boolean }> {
    const seen = await this.behindNow(incidentId, who);
    const wanted: PageDmKey[] = seen ? [...seen.answered, ...seen.open] : [];
    if (wanted.length === 0) return { behind: 0, failure: null, busy: false };
    const claimed = await claimPageDms(this.db, wanted, DRAW_LEASE_MS);
    const mine = wanted.filter((d) => claimed.has(pageDmKey(d)));
    try {
      // Read again once the lease is held: what is drawn is the incident as it is now.
      const now = await this.behindNow(incidentId, who);
      if (!now) return { behind: 0, failure: null, busy: false };
      const held = <T extends PageDmKey>(dms: T[]) => dms.filter((d) => claimed.has(pageDmKey(d)));
      const answered = await this.drawAnswered(now.incident, held(now.answered));
      const open = await this.redraw(now.incident, held(now.open), now.offers);
      return {
        behind: now.answered.length + now.open.length,
        failure: answered ?? open,
        busy: mine.length < wanted.length,
      };
    } finally {
      // Those drawn gave theirs up as they were recorded; those no longer behind, or not taken by Slack, give it up.
      await releasePageDms(this.db, mine).catch((err) =>
        this.log.warn(`incident ${incidentId}: could not give up the redraw of its page DMs`, err),
      );
    }
  }

  /**
   * Shows answered page direct messages as answered, each recorded once Slack takes it: the first failure (each is
   * logged), null when all were shown (or given up: see DM_NEVER_UPDATED; left as they were).
   */
  private async drawAnswered(incident: Incident, behind: PageDmBehind[]): Promise<unknown> {
    const update = this.chat.updatePage?.bind(this.chat);
    if (!update) return null;
    let failure: unknown = null;
    await Promise.all(
      behind.map(async (dm) => {
        const { channel, ts, userId, state, by, at } = dm;
        try {
          const answered = { roleName: this.names.roleName(dm.role), userId, state, by, at, ...byNameOf(dm.role) };
          try {
            await this.lanes.run('follow_up', () => update(incident, { channel, ts }, answered));
          } catch (err) {
            if (!(await this.gone(incident, dm, err))) throw err;
            return;
          }
          await pageDmShown(this.db, dm, state);
        } catch (err) {
          failure ??= err;
          this.log.warn(`incident ${incident.id}: could not show ${userId}'s page as ${state}`, err);
        }
      }),
    );
    return failure;
  }

  /**
   * Shows page direct messages again as `incident` is now, each recorded with the severity it shows once Slack takes
   * it, and (a first DM of a role's page) offering the Escalate to … its role's page offers now (`offers`, as read with
   * it). Returns the first failure (each is logged), null when every one was shown (or given up: see DM_NEVER_UPDATED).
   */
  private async redraw(incident: Incident, dms: OpenPageDm[], offers: Offers): Promise<unknown> {
    const refresh = this.chat.refreshPage?.bind(this.chat);
    if (!refresh) return null;
    let failure: unknown = null;
    await Promise.all(
      dms.map(async (dm) => {
        const person = pagedPerson(dm.role);
        const flag = ruleFlag(dm.rule, incident);
        // A later Slack step is sent with no Escalate to … (see NotificationService): none is added.
        const escalateTo = dm.step !== null || person ? {} : await offers(dm.role);
        const page: PageMessage = {
          roleName: this.names.roleName(dm.role),
          // Why it was paged then (a round of nobody acknowledging within the SEV-2 response time), as it went.
          reason: dm.reason ?? this.names.reason(dm.rule, incident),
          ...(dm.requestedBy ? { by: dm.requestedBy } : {}),
          ...(flag ? { flag } : {}),
          pageId: dm.pageId,
          ...byNameOf(dm.role),
          ...(dm.step !== null ? { step: dm.step } : escalateTo),
        };
        try {
          try {
            await this.lanes.run('follow_up', () => refresh(incident, { channel: dm.channel, ts: dm.ts }, page));
          } catch (err) {
            if (!(await this.gone(incident, dm, err))) throw err;
            return;
          }
          // A first DM of a role's page: its Escalate to … was chosen with the commander now (see nextEscalation).
          const commander = dm.step === null && !person ? (incident.commanderId ?? '') : null;
          // Changed since it was read (a hand-over back): recorded as drawn, and shown again by the timer written then.
          if (await pageDmDrawn(this.db, dm, incident.severity, page.escalateTo?.role ?? '', commander)) this.onLate();
        } catch (err) {
          failure ??= err;
          this.log.warn(`incident ${incident.id}: could not show ${dm.userId}'s page as the incident is now`, err);
        }
      }),
    );
    return failure;
  }

  /**
   * Whether `err` is Slack saying it will never update the DM (DM_NEVER_UPDATED): then it is recorded as gone (left as
   * it is, and read by no later redraw) and logged. A record the database refuses is thrown (the DM tried again).
   */
  private async gone(incident: Incident, dm: PageDmKey, err: unknown): Promise<boolean> {
    if (!(err instanceof ChatPlatformError && DM_NEVER_UPDATED.has(err.slackError))) return false;
    this.log.warn(`incident ${incident.id}: ${dm.userId}'s page cannot be updated any more; left as it is`, err);
    await pageDmGone(this.db, dm, err.slackError);
    return true;
  }
}
