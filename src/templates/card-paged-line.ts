import type { EscalationView } from '../incidents/ports.js';
import { neverReachedWho, unreachableWho } from './never-reached.js';
import { mention, mrkdwnClip, slackAgo } from './text.js';

type Page = EscalationView['paged'][number];

/** People named at most for one role (or person paged by name) Slack could not reach; the rest are counted. */
const UNREACHED_SHOWN = 5;

/** A page that went out (not skipped, not the declarer's alone, not being sent, not given up). */
const wentOut = (p: Page) => !p.skipped && !p.declarerOnly && !p.going && !p.failed;

/**
 * The card's escalation line's first part: who has been paged and how it went (paged, being paged, failed, never
 * reached, could not reach, could not page (its page reached nobody), no contacts, the declarer on call who was sent
 * no page), parts joined (`text`); and the roles whose page reached nobody (`notReached`). Pure.
 */
export function pagedLine(escalation: EscalationView): { text: string; notReached: string[] } {
  // Each role once, in the order first paged: how many times and the last (rounds page on-call again and again).
  const byRole = new Map<string, { roleName: string; at: Date; times: number }>();
  for (const p of escalation.paged) {
    // A role with nobody to page, or whose only person is the declarer (sent no page): not said to be paged. Nor one
    // whose page has not gone out (being sent, or given up), or went out and reached nobody: said apart below.
    if (!wentOut(p) || p.reachedNobody) continue;
    const seen = byRole.get(p.roleName);
    if (seen) {
      seen.times += 1;
      if (p.at > seen.at) seen.at = p.at;
    } else byRole.set(p.roleName, { roleName: p.roleName, at: p.at, times: 1 });
  }
  const reached = [...byRole.values()];
  const skipped = [...new Set(escalation.paged.filter((p) => p.skipped).map((p) => p.roleName))];
  // Paged since (a later page went out): a page given up before is not the role's state any more.
  const pagedLater = (d: Page) => escalation.paged.some((p) => p.roleName === d.roleName && wentOut(p) && p.at > d.at);
  // Not once the role has been paged since and reached someone (an override put another person on call, who was
  // paged): the card would still say the role's page went to nobody but the declarer. A later page that reached
  // nobody either is not one: what the earlier said still holds, and is said beside it.
  const reachedLater = (d: Page) =>
    escalation.paged.some((p) => p.roleName === d.roleName && wentOut(p) && !p.reachedNobody && p.at > d.at);
  const declarers = escalation.paged.flatMap((p) =>
    p.declarer && !reachedLater(p) ? [{ declarer: p.declarer, roleName: p.roleName }] : [],
  );
  // Pages not gone out yet: being paged, not paged (as PagerDuty says "triggered" before "notified"). Slack's last
  // answer when a try failed, so nobody takes a page stuck on Slack for one on its way.
  const going = new Map<string, string | null>();
  for (const p of escalation.paged) if (p.going) going.set(p.roleName, p.going.error ?? going.get(p.roleName) ?? null);
  const paging = going.size
    ? `:hourglass_flowing_sand: Paging: ${[...going]
        .map(([role, error]) =>
          error
            ? `${mrkdwnClip(role, 60)} (not sent yet: ${mrkdwnClip(error, 100)}; trying again)`
            : mrkdwnClip(role, 60),
        )
        .join(', ')}`
    : null;
  // Given up before it went (its DMs failing try after try), and not paged since: the role was not paged, and
  // Escalate now offers it again (or its next round pages it).
  const failedRoles = new Map<string, string | null>();
  for (const p of escalation.paged)
    if (p.failed && !pagedLater(p) && !going.has(p.roleName)) failedRoles.set(p.roleName, p.failed.error);
  const failed = failedRoles.size
    ? `:warning: Page failed, not sent: ${[...failedRoles]
        .map(([role, error]) => `${mrkdwnClip(role, 60)}${error ? ` (${mrkdwnClip(error, 100)})` : ''}`)
        .join(
          ', ',
        )}: page ${failedRoles.size === 1 ? 'it' : 'them'} again with \`/incident escalate ${failedRoles.size === 1 ? mrkdwnClip([...failedRoles.keys()][0]!, 60) : '<role>'}\`, or call ${failedRoles.size === 1 ? 'its people' : 'their people'}`
    : null;
  // Paged, but some of its people never reached (their DMs failing till its job's last try), and not paged since:
  // named, with Slack's answer, so that someone reaches them another way.
  const neverReached = escalation.paged.flatMap((p) => {
    if (!p.missed?.userIds.length || reachedLater(p)) return [];
    const { people, shared } = neverReachedWho(p.missed, (e) => ` (${mrkdwnClip(e, 100)})`);
    return [`${people} of ${mrkdwnClip(p.roleName, 60)}${shared}`];
  });
  const missed = neverReached.length
    ? `:warning: Never reached: ${neverReached.join('; ')}: call them or reach them another way`
    : null;
  // A role whose last page that went out reached nobody at all (Slack could not reach any of its people), not being
  // paged now: not paged, said so, with how to page it again (`/incident escalate <role>` pages such a role again).
  const notReached = new Set(
    escalation.paged.flatMap((p) =>
      p.reachedNobody && !p.byName && !reachedLater(p) && !going.has(p.roleName) ? [p.roleName] : [],
    ),
  );
  // Slack said some of its people cannot be messaged at all (user_not_found …), and the role not reached since: named,
  // with Slack's answer and what it means, so that the runbook's contacts are fixed: of which role, or paged by name
  // (the ID typed to fix, not the runbook's). Each role's (or person's) once, over all its pages since it last reached
  // someone (two pages that reached nobody lose neither's people), each person once with the latest answer.
  const unreachableOf = new Map<string, { byName: boolean; roleName: string; answers: Map<string, string | null> }>();
  for (const p of escalation.paged) {
    if (!p.unreachable?.userIds.length || reachedLater(p)) continue;
    const key = `${p.byName ? 'name' : 'role'}:${p.roleName}`;
    const of = unreachableOf.get(key) ?? { byName: p.byName === true, roleName: p.roleName, answers: new Map() };
    const { userIds, errors } = p.unreachable;
    for (const [n, u] of userIds.entries()) of.answers.set(u, errors[n] ?? of.answers.get(u) ?? null);
    unreachableOf.set(key, of);
  }
  const whoOf = (of: { byName: boolean; answers: Map<string, string | null> }) => {
    const ids = [...of.answers.keys()];
    const shown = ids.slice(0, UNREACHED_SHOWN);
    const more = ids.length > shown.length ? ` +${ids.length - shown.length} more` : '';
    return `${unreachableWho(
      shown,
      shown.map((u) => of.answers.get(u) ?? null),
      (a) => ` (${a})`,
      of.byName,
    )}${more}`;
  };
  const couldNot = [...unreachableOf.values()].flatMap((of) =>
    !of.byName && notReached.has(of.roleName)
      ? []
      : [`${whoOf(of)} ${of.byName ? 'paged by name' : `of ${mrkdwnClip(of.roleName, 60)}`}`],
  );
  const unreached = couldNot.length ? `:warning: Could not reach: ${couldNot.join('; ')}` : null;
  // Paged before and reached someone then: it is its later page that reached nobody ("again").
  const notPaged = [...notReached].map((role) => {
    const of = unreachableOf.get(`role:${role}`);
    return `${mrkdwnClip(role, 60)}${byRole.has(role) ? ' again' : ''}: nobody of it was reached${of ? `, Slack could not reach ${whoOf(of)}` : ''}`;
  });
  const one = notPaged.length === 1;
  const couldNotPage = notPaged.length
    ? `:warning: Could not page ${notPaged.join('; ')}: page ${one ? 'it' : 'them'} again with \`/incident escalate ${one ? mrkdwnClip([...notReached][0]!, 60) : '<role>'}\` once that is fixed, or call ${one ? 'its' : 'their'} people`
    : null;
  const text = [
    reached.length
      ? `:pager: Paged: ${reached.map((p) => `${mrkdwnClip(p.roleName, 60)}${p.times > 1 ? ` ×${p.times} (last ${slackAgo(p.at)})` : ` (${slackAgo(p.at)})`}`).join(', ')}`
      : declarers.length || going.size || notReached.size
        ? null
        : ':pager: Nobody paged yet',
    paging,
    couldNotPage,
    failed,
    missed,
    unreached,
    // A role without contacts was not paged: the card must not say it was (the channel has the fix).
    skipped.length ? `:warning: Not paged (no contacts): ${skipped.map((r) => mrkdwnClip(r, 60)).join(', ')}` : null,
    // The declarer on call for a role: their declaration reached them, and sent them no page (the channel says so).
    ...declarers.map(
      (d) =>
        `${reached.length ? '' : ':pager: '}${mention(d.declarer)} declared this and is on call for ${mrkdwnClip(d.roleName, 60)}, so was not sent a page`,
    ),
  ]
    .filter(Boolean)
    .join('  ·  ');
  return { text, notReached: [...notReached] };
}
