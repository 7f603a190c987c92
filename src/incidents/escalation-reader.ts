import type { Runbook } from '../runbook/runbook.js';
import { jointPart, partsOf, type Queryable, type StatementPart } from '../store/db.js';
import { escalationSummary } from '../store/escalation-summary.repo.js';
import {
  byNameOf,
  nextRoleToPage,
  openedAt,
  PAGING_NOBODY_RULES,
  pagingStopped,
  rolesToPage,
  ruleReason,
  ruleUnless,
} from './escalation-policy.js';
import type { NotificationService } from './notification.service.js';
import type { OnCallResolver } from './oncall.service.js';
import type { EscalationView, Logger, OnCallPeople } from './ports.js';
import type { Incident } from './types.js';

/**
 * The escalation as people are shown it: the card's escalation line (view), and the role Escalate now pages and a
 * page DM's Escalate to … offers (nextEscalation, escalateFrom), from who is on call now (whoIsOn). Reads only; what
 * fires, pages and records is EscalationService's.
 */
export class EscalationReader {
  constructor(
    private readonly runbook: Runbook,
    private readonly oncall: OnCallResolver,
    private readonly log: Logger,
    /** How a role is named (EscalationService.roleName). */
    private readonly roleName: (role: string | null) => string,
    private readonly notifications?: NotificationService,
    private readonly opts: {
      /** The card's other sections, read in the statement of the card's escalation line (see CardSections). */
      cardSections?: { part(incidentId: number): (first: number) => StatementPart };
    } = {},
  ) {}

  async view(q: Queryable, incident: Incident): Promise<EscalationView> {
    // The notification lines' deliveries and the card's other sections come in the same statement.
    const lines = this.notifications?.cardLinesPart(incident.id);
    const sections = this.opts.cardSections?.part(incident.id);
    const s = await escalationSummary(
      q,
      incident.id,
      PAGING_NOBODY_RULES,
      lines || sections ? jointPart([lines, sections].filter((p) => p !== undefined)) : undefined,
    );
    const read = partsOf(s.more);
    const [linesRead, sectionsRead] = lines ? [read[0], read[1]] : [undefined, read[0]];
    // Escalate now counts the roles paged for this opening of the incident (see escalateNow): reopened, a role paged
    // before the resolution is offered again. The card still lists every page. A page being sent counts (it is not
    // paged twice); one given up before it went does not (its role is offered again), as takenRoles reads them.
    const opened = openedAt(incident).getTime();
    const counted = s.paged.filter((p) => !p.failed && p.at.getTime() >= opened);
    const takenNow = [...counted.map((p) => p.role), ...s.requested];
    // Paged with it by the same timer (nobody acknowledging: the next role of the contact order not paged in this
    // opening, as firing it decides).
    const pagedRoles = new Set(counted.filter((p) => !p.skipped).map((p) => p.role));
    // While every alert has resolved, a round of nobody acknowledging pages on-call alone (as firing it decides).
    const quiet = s.alertsAllResolved;
    const withNext = s.next ? rolesToPage(s.next, this.runbook, incident, pagedRoles, { alone: quiet }).slice(1) : [];
    // Other timers due with it page other roles then too (a round and `unresolved` at the same time): named with it.
    // A role it names already is named again only when another condition stops it (the round's page stops with an
    // acknowledgement, `unresolved`'s only with the resolution).
    const nextUnless = s.next ? ruleUnless(s.next.rule, this.runbook) : null;
    const named = new Map<string | null, Set<string | null>>(
      [s.next?.role ?? null, ...withNext].map((r) => [r, new Set([nextUnless])]),
    );
    const alsoDue = s.alsoDue.flatMap((d) => {
      const unless = ruleUnless(d.rule, this.runbook);
      const roles = rolesToPage(d, this.runbook, incident, pagedRoles, { alone: quiet }).filter(
        (r) => !named.get(r)?.has(unless),
      );
      for (const r of roles) named.set(r, new Set([...(named.get(r) ?? []), unless]));
      return roles.length ? [{ roles, unless }] : [];
    });
    const left = this.runbook.escalation.order.filter((r) => !takenNow.includes(r));
    const who = await this.whoIsOn([s.next?.role ?? null, ...left, ...withNext, ...alsoDue.flatMap((a) => a.roles)]);
    // As Escalate now pages (one function for both).
    let escalateTo = await this.nextEscalation(incident, new Set(takenNow), who);
    // The declaration's page not gone yet, to a role whose only person on call is the declarer: it will send no page
    // (see page), so Escalate now offers the role after it, not the declarer's own.
    if (
      escalateTo &&
      [s.next, ...s.alsoDue].some((d) => d?.rule === 'declared' && d.role === escalateTo!.role) &&
      who.get(escalateTo.role)?.userIds.join() === incident.reporterId
    )
      escalateTo = await this.nextEscalation(incident, new Set([...takenNow, escalateTo.role]), who);
    const nextWho = s.next?.role ? who.get(s.next.role) : undefined;
    /** A role as the card names it: with "no contacts" when its page would reach nobody. */
    const shown = (role: string) => ({
      roleName: this.roleName(role),
      ...(who.get(role)?.userIds.length === 0 ? { noContacts: true as const } : {}),
    });
    const alsoNext = alsoDue.map((a) => ({ roles: a.roles.map(shown), unless: a.unless }));
    const toWho = escalateTo ? who.get(escalateTo.role) : undefined;
    // The rounds of nobody acknowledging ran out: the card says paging stopped, and what to do.
    const stopped = pagingStopped(incident, this.runbook, new Date());
    return {
      paged: s.paged.map((p) => ({
        roleName: this.roleName(p.role),
        at: p.at,
        ...(p.skipped ? { skipped: true } : {}),
        ...(p.declarer ? { declarer: p.declarer } : {}),
        ...(p.declarerOnly ? { declarerOnly: true } : {}),
        ...(p.going ? { going: p.going } : {}),
        ...(p.failed ? { failed: p.failed } : {}),
        ...(p.missed ? { missed: p.missed } : {}),
        ...(p.unreachable ? { unreachable: p.unreachable } : {}),
        ...(p.reachedNobody ? { reachedNobody: true as const } : {}),
        ...byNameOf(p.role),
      })),
      next: s.next
        ? {
            roleName: this.roleName(s.next.role),
            reason: ruleReason(s.next.rule, this.runbook, incident),
            unless: ruleUnless(s.next.rule, this.runbook),
            dueAt: s.next.dueAt,
            ...(nextWho ? { who: nextWho } : {}),
            // Paged already (Escalate now, another rule): its timer pages it again, which the card says. A page that
            // reached nobody of the role does not count: nobody had the first.
            ...(s.paged.some((p) => p.role === s.next!.role && !p.skipped && !p.failed && !p.reachedNobody)
              ? { again: true }
              : {}),
            ...(withNext.length ? { with: withNext.map(shown) } : {}),
            ...(alsoNext.length ? { also: alsoNext } : {}),
          }
        : null,
      escalateTo: escalateTo && toWho ? { ...escalateTo, who: toWho } : escalateTo,
      ...(stopped ? { stopped } : {}),
      ...(this.notifications ? { notified: this.notifications.cardLines(linesRead) } : {}),
      ...(sections ? { sectionsRead } : {}),
    };
  }

  /** Who the roles the card names would page now; nothing (logged) when it cannot be read: the card shows roles. */
  async whoIsOn(roles: (string | null)[]): Promise<Map<string, OnCallPeople>> {
    const wanted = [...new Set(roles.filter((r): r is string => Boolean(r)))];
    if (wanted.length === 0) return new Map();
    try {
      return await this.oncall.onCallNow(wanted, new Date());
    } catch (err) {
      this.log.warn('could not read who is on call for the card', err);
      return new Map();
    }
  }

  /**
   * A page of `role`'s Escalate to … (see PageMessage.escalateTo): the role after it in the contact order that the
   * card's Escalate now would offer (nextEscalation, one function for both): not paged (nor asked for) yet, `taken`,
   * and not one whose people on call all run the incident already; none past the last. A role paged already is not
   * offered: pressing it would page nobody (a round paging on-call again with senior DevOps offered senior DevOps).
   * `who`: who is on call, as a redraw of many DMs reads it once for all (see PageDmNames.whoIsOn); else read here.
   */
  async escalateFrom(
    incident: Incident,
    role: string,
    taken: ReadonlySet<string>,
    who?: () => Promise<ReadonlyMap<string, OnCallPeople>>,
  ): Promise<{ escalateTo?: { role: string; roleName: string } }> {
    const next = await this.nextEscalation(incident, taken, who, role);
    return next ? { escalateTo: next } : {};
  }

  /**
   * The role Escalate now pages when none is named, and the card's button names (one function for both): the next of
   * the contact order not `taken`, passing over a role whose people on call now are all on the incident already, its
   * commander or who acknowledged it (see nextRoleToPage): reopened, paging on-call who runs the incident tells them
   * nothing. `who`: the people on call as read already (the card's), or how to read them once for many (a redraw's);
   * else read here, and only when needed. `after`: a page of that role's (its DM's Escalate to …), only the roles after
   * it in the contact order.
   */
  async nextEscalation(
    incident: Incident,
    taken: ReadonlySet<string>,
    who?: ReadonlyMap<string, OnCallPeople> | (() => Promise<ReadonlyMap<string, OnCallPeople>>),
    after?: string,
  ): Promise<{ role: string; roleName: string } | null> {
    const onIncident = new Set(
      [incident.commanderId, incident.acknowledgedAt ? incident.acknowledgedBy : null].filter((u): u is string =>
        Boolean(u),
      ),
    );
    const { order } = this.runbook.escalation;
    const from = after === undefined ? order : order.includes(after) ? order.slice(order.indexOf(after) + 1) : [];
    const left = from.filter((r) => !taken.has(r));
    const read = () => (typeof who === 'function' ? who() : (who ?? this.whoIsOn(left)));
    const people = onIncident.size && left.length ? await read() : new Map<string, OnCallPeople>();
    const role = nextRoleToPage(
      this.runbook,
      taken,
      (r) => {
        const on = people.get(r)?.userIds ?? [];
        return on.length > 0 && on.every((u) => onIncident.has(u));
      },
      after,
    );
    return role ? { role, roleName: this.roleName(role) } : null;
  }
}
