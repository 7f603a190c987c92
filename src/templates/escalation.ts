import type { KnownBlock } from '@slack/types';
import type { EscalateResult } from '../incidents/escalation.service.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { unreachableWho } from './never-reached.js';
import { escalateRef } from './payloads.js';
import { ago, boldName, mention, slackDate } from './text.js';

/** A list of people: `<@A>`, `<@A> and <@B>`, `<@A>, <@B> and <@C>`. */
function people(ids: readonly string[]): string {
  const m = ids.map(mention);
  return m.length > 1 ? `${m.slice(0, -1).join(', ')} and ${m.at(-1)}` : (m[0] ?? '');
}

/** "declared this and is on call … so was not sent a page", said to them or of them. */
function declared(declarer: string, role: string, actorId?: string): string {
  return declarer === actorId
    ? `You declared this and are on call for ${role}, so you were not sent a page`
    : `${mention(declarer)} declared this and is on call for ${role}, so was not sent a page`;
}

/**
 * The private reply to the person who escalated: whom it pages. After a hand-off, what the page will do (the same
 * people it pages and names as paged already in the channel, see peopleToPage). A role whose last page reached nobody:
 * that it is paged again, and whom Slack could not reach.
 */
export function renderEscalationReply(r: Extract<EscalateResult, { kind: 'paging' }>, now = new Date()): string {
  const h = r.handedOver;
  const role = boldName(r.roleName, 100);
  const nobody = r.reachedNobody;
  if (nobody)
    return `:arrow_double_up: ${role} was paged ${ago(nobody.at, now)} and that page reached nobody: Slack could not reach ${couldNot(nobody.unreachable, nobody.unreachableErrors)}. Paging ${role} again now.`;
  if (!h) return `:arrow_double_up: Paging ${role} now.`;
  const earlier = [
    h.was.length ? `${role} was paged ${ago(h.at, now)}, reaching ${people(h.was)}` : null,
    h.declarer ? declared(h.declarer, role) : null,
    h.unreachable?.length ? `Slack could not reach ${couldNot(h.unreachable, h.unreachableErrors)}` : null,
  ]
    .filter(Boolean)
    .join('; ');
  const isAre = (ids: readonly string[]) => (ids.length === 1 ? 'is' : 'are');
  const already = h.alreadyPaged.length
    ? `${people(h.alreadyPaged)} ${h.alreadyPaged.length === 1 ? 'was' : 'were'} paged for this incident already and ${isAre(h.alreadyPaged)} not paged again.`
    : '';
  if (h.fresh.length === 0)
    return `:information_source: Nobody new to page for ${role}${earlier ? ` (${earlier})` : ''}: ${already}`;
  return `:arrow_double_up: ${earlier ? `${earlier}. ` : ''}${people(h.fresh)} ${isAre(h.fresh)} on call now and ${isAre(h.fresh)} paged.${already ? ` ${already}` : ''}`;
}

/**
 * People Slack said cannot be messaged at all, each with its answer and what it means (user_not_found: no such Slack
 * user …), so that the runbook's contacts are fixed (`byName`: a person paged by name).
 */
function couldNot(ids: readonly string[], errors: readonly (string | null)[] | undefined, byName = false): string {
  return unreachableWho(ids, errors, (a) => ` (Slack answered ${a})`, byName);
}

/** Whom the page could not reach, said as such (they are not counted as paged), each with Slack's answer. */
function unreached(r: { unreachable?: string[]; unreachableErrors?: (string | null)[]; byName?: true }): string {
  return r.unreachable?.length
    ? `; Slack could not reach ${couldNot(r.unreachable, r.unreachableErrors, r.byName === true)}`
    : '';
}

/**
 * The private reply when the role meant had been paged meanwhile: who was paged, when and why, that nobody else was,
 * and a button to page the next role on purpose. Pure.
 */
export function renderAlreadyEscalated(
  r: Omit<Extract<EscalateResult, { kind: 'already' }>, 'unchanged'>,
  now: Date,
): Message {
  const role = boldName(r.roleName, 100);
  const when = ago(r.at, now);
  const why = r.by ? `escalated by ${mention(r.by)}` : r.reason ? `because ${r.reason}` : null;
  const head = r.skipped
    ? `:warning: ${role} has nobody to page: it was reached ${when}${why ? ` (${why})` : ''} with no contacts, so nobody was paged. Add contacts under \`escalation.roles\` in the runbook file.`
    : r.pending
      ? `:information_source: ${role} is already being paged (${[why, when].filter(Boolean).join(', ')}), so nobody else was paged.`
      : r.declarer && !r.reached?.length
        ? `:information_source: ${declared(r.declarer, role, r.actorId)}${unreached(r)}; nobody else was paged.`
        : `:information_source: ${role} was already paged ${when}${why ? ` (${why})` : ''}${r.reached?.length ? `, reaching ${people(r.reached)}` : ''}${r.declarer ? ` (${declared(r.declarer, role, r.actorId).replace(/^You/, 'you')})` : ''}${unreached(r)}, so nobody else was paged.${r.againAfter ? ` To page them again, ask again ${slackDate(r.againAfter)} or later.` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  if (r.next) {
    blocks.push({
      type: 'actions',
      block_id: `${BLOCK.escalateOffer}:${r.incidentId}`,
      elements: [
        button(
          ACTION.escalate,
          `Page ${r.next.roleName} now`,
          escalateRef.encode({ incidentId: r.incidentId, role: r.next.role }),
        ),
      ],
    });
  } else {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Every role in the contact order has been paged.' }],
    });
  }
  const next = r.next ? ` To page ${boldName(r.next.roleName, 100)} too, press the button.` : '';
  return { text: `${head}${next}`, blocks };
}
