import { EMPTY_USER_GROUP, type NeverReached } from '../incidents/ports.js';
import { mention, mrkdwnClip } from './text.js';

/**
 * The people a page never reached, each with Slack's answer to their DM (`answer` draws one): an answer all of them
 * share is said once, after them all (`shared`), where the line says it; else each person's follows them. `who` shows
 * a person (a mention by default). Pure.
 */
export function neverReachedWho(
  m: NeverReached,
  answer: (error: string) => string,
  who: (id: string) => string = mention,
): { people: string; shared: string } {
  const errorOf = (i: number) => m.errors[i] ?? null;
  const first = errorOf(0);
  if (m.userIds.every((_, i) => errorOf(i) === first)) {
    return { people: m.userIds.map(who).join(', '), shared: first ? answer(first) : '' };
  }
  const people = m.userIds.map((u, i) => {
    const error = errorOf(i);
    return `${who(u)}${error ? answer(error) : ''}`;
  });
  return { people: people.join(', '), shared: '' };
}

const NO_SUCH_USER = 'no such Slack user';
/** Said after NO_SUCH_USER for a contact of a role (the runbook's), not for a person paged by name. */
const FIX_CONTACTS = "fix the ID in the runbook's escalation contacts";
const A_BOT = 'a bot cannot be paged';
const DEACTIVATED = 'deactivated';
const NO_SUCH_GROUP = "no such user group: fix the group ID in the runbook's escalation contacts";
const NO_GROUP_SCOPE =
  "the bot may not read user groups: reinstall the app with the manifest's scopes (usergroups:read)";

/** What Slack's answer for a person it says cannot be messaged at all means, in plain words, for those it has one. */
const UNREACHABLE_HINTS: Readonly<Record<string, string>> = {
  user_not_found: NO_SUCH_USER,
  users_not_found: NO_SUCH_USER,
  invalid_users: NO_SUCH_USER,
  no_user: NO_SUCH_USER,
  channel_not_found: NO_SUCH_USER,
  cannot_dm_bot: A_BOT,
  user_is_bot: A_BOT,
  user_disabled: DEACTIVATED,
  account_inactive: DEACTIVATED,
  user_is_restricted: 'a guest account the bot may not message',
  // A user group in a role's contacts that Slack would not expand (usergroups.users.list).
  no_such_subteam: NO_SUCH_GROUP,
  subteam_not_found: NO_SUCH_GROUP,
  missing_scope: NO_GROUP_SCOPE,
  not_allowed_token_type: NO_GROUP_SCOPE,
};

/** A user group Slack expanded to nobody (EMPTY_USER_GROUP): not an answer of Slack's, said as what it means alone. */
const EMPTY_GROUP =
  "the group has nobody in it: add people to it in Slack, or fix the group ID in the runbook's escalation contacts";

/**
 * Slack's answer for a person it says cannot be messaged (user_not_found …), with what it means where it is known, as
 * plain text (a document's; unreachableAnswer is the mrkdwn one): `user_not_found: no such Slack user: fix the ID …`
 * (`byName`: a person paged by name, not a runbook contact, so without the runbook's fix); for a user group with
 * nobody in it, what to do alone. Pure.
 */
export function unreachableMeaning(error: string, byName = false): string {
  if (error === EMPTY_USER_GROUP) return EMPTY_GROUP;
  const hint = Object.hasOwn(UNREACHABLE_HINTS, error) ? UNREACHABLE_HINTS[error] : undefined;
  const fix = hint === NO_SUCH_USER && !byName ? `: ${FIX_CONTACTS}` : '';
  return hint ? `${error}: ${hint}${fix}` : error;
}

/** unreachableMeaning for Slack: escaped, clipped to `max` characters. Pure. */
export function unreachableAnswer(error: string, byName = false, max = 200): string {
  return mrkdwnClip(unreachableMeaning(error, byName), max);
}

/** A contact Slack could not reach: a person as a mention, a user group that could not be expanded as its ID. */
export const unreachableContact = (id: string) => (/^[UW]/.test(id) ? mention(id) : `\`${mrkdwnClip(id, 40)}\``);

/**
 * The contacts a page could not reach at all (`ids`), each with Slack's answer and what it means (`errors`, in the same
 * order; none known: none said), as `answer` wraps it; `byName` as unreachableAnswer's. A user group with nobody in it
 * (no answer of Slack's) is said with what to do, in brackets, not as `answer` wraps Slack's. Pure.
 */
export function unreachableWho(
  ids: readonly string[],
  errors: readonly (string | null)[] | undefined,
  answer: (said: string) => string,
  byName = false,
): string {
  const { people, shared } = neverReachedWho(
    { userIds: [...ids], errors: ids.map((_, i) => errors?.[i] ?? null) },
    (e) => (e === EMPTY_USER_GROUP ? ` (${unreachableAnswer(e)})` : answer(unreachableAnswer(e, byName))),
    unreachableContact,
  );
  return `${people}${shared}`;
}
