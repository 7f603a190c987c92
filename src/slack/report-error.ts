import { randomBytes } from 'node:crypto';
import type { Logger } from '@slack/bolt';
import { changedInRequest } from '../audit/request-context.js';
import { declaredInRequest } from '../incidents/declared-in-request.js';
import { AlreadyDoneError, DomainError, type Phrase, plainText } from '../incidents/errors.js';
import type { ContactName } from '../incidents/follow-up-ports.js';
import type { Incident } from '../incidents/types.js';
import { DatabaseBusyError, DatabaseUnavailableError } from '../store/db.js';
import { renderDeclaredThenFailed } from '../templates/notices.js';
import { peopleList, renderPhrase } from '../templates/text.js';
import { AnswerNotShownError } from './slack-errors.js';

/**
 * What was asked, for the words said when the database cannot be reached: a declaration (go on by hand: open a
 * channel, page on-call), an acknowledgement (say it in the channel, or the next role is paged once the bot is back),
 * what pages people (nobody was paged: page them by hand), a status update (post it by hand), another change in an
 * incident, or a read (nothing was lost; where to look meanwhile).
 */
export type WhenDown = 'declare' | 'ack' | 'page' | 'update' | 'change' | 'read';

const ASK_ADMIN = "Ask an admin to check the bot's /health endpoint.";

/** A status update the database did not take: what to do by hand. */
export const UPDATE_NOT_POSTED = `Your update could not be posted: the bot's database cannot be reached. Post it in the incident channel by hand with the communication template (status, affected, current impact, what is being done, next update), and again here once the bot answers. ${ASK_ADMIN}`;

/** The database cannot be reached: what the person should do by hand, by what they asked. */
export const DATABASE_UNAVAILABLE: Record<WhenDown, string> = {
  declare: `:warning: This could not be recorded: the bot's database cannot be reached. Follow the runbook by hand for now: open a channel, page on-call, and post updates with the communication template. ${ASK_ADMIN}`,
  ack: `:warning: Your acknowledgement could not be recorded: the bot's database cannot be reached. Say in the incident channel that you are on it, and acknowledge again once the bot answers: until then it counts the page as unanswered, and pages the next role when it is back. ${ASK_ADMIN}`,
  page: `:warning: This could not be recorded, and nobody was paged: the bot's database cannot be reached. Page by hand whom it would have (the next role in the runbook's contact order not yet paged; for SEV-0 or a data-loss risk, senior DevOps and the CTO) and say so in the incident channel; do it again here once the bot answers. ${ASK_ADMIN}`,
  update: `:warning: ${UPDATE_NOT_POSTED}`,
  change: `:warning: This could not be recorded: the bot's database cannot be reached. Follow the runbook by hand for now: say in the incident channel what you did, and do it again here once the bot answers. ${ASK_ADMIN}`,
  read: `:warning: This could not be read: the bot's database cannot be reached; nothing was changed. Open incidents keep their channels (named \`inc-…\`), with their cards and latest updates. ${ASK_ADMIN}`,
};

/** The words for what would have paged, naming the runbook's contact order (read without the database). */
export function pageByHandText(order: readonly string[]): string {
  if (order.length === 0) return DATABASE_UNAVAILABLE.page;
  return `:warning: This could not be recorded, and nobody was paged: the bot's database cannot be reached. Page by hand whom it would have, in the runbook's contact order: ${order.join(', then ')} (the first not yet paged); say so in the incident channel, and do it again here once the bot answers. ${ASK_ADMIN}`;
}

/** The words for a declaration (kept under this name: the most common case). */
export const DATABASE_UNAVAILABLE_TEXT = DATABASE_UNAVAILABLE.declare;

/** Every database connection is in use: nothing was done, and a minute later it will likely work. */
export const DATABASE_BUSY_TEXT =
  ':warning: The bot is overloaded right now and nothing was changed. Try again in a minute; if this is a real incident, follow the runbook by hand meanwhile.';

/**
 * The database failed (cannot be reached, or every connection in use) after the request had made a change: what it
 * asked is partly or wholly recorded, so "could not be recorded" or "nothing was changed, try again" would be false.
 */
export const DATABASE_FAILED_AFTER_CHANGE = `:warning: What you asked was recorded, in part or in whole, then the bot's database stopped answering. Look in the channel to see what was done before you try again, and do by hand meanwhile what is missing (the runbook says how). ${ASK_ADMIN}`;

/**
 * The one place that turns an error into words for the person who acted. Domain errors are shown as they are (the
 * people they list told apart by `names`, see renderPhrase); anything unexpected gets a short reference id, and the
 * stack goes to the log under the same id. Unexpected, or the database failing, it says that nothing was changed (or
 * could not be recorded) only when the request changed nothing so far (no write to the database committed:
 * notingChanges); after a change, that it was done.
 */
export function errorText(
  err: unknown,
  logger: Pick<Logger, 'error'>,
  whenDown: WhenDown | { text: string } = 'change',
  names: ReadonlyMap<string, ContactName> = new Map(),
): string {
  if (err instanceof AlreadyDoneError) return `:information_source: ${renderPhrase(err.phrase, names)}`;
  const declared = declaredInRequest();
  if (declared) return declaredThenFailed(declared, err, logger, names);
  const changed = changedSoFar(whenDown);
  if ((err instanceof DatabaseUnavailableError || err instanceof DatabaseBusyError) && changed) {
    logger.error("the database failed after the request's change was made", err);
    return DATABASE_FAILED_AFTER_CHANGE;
  }
  if (err instanceof DatabaseUnavailableError) {
    logger.error('the database cannot be reached', err);
    return typeof whenDown === 'string' ? DATABASE_UNAVAILABLE[whenDown] : whenDown.text;
  }
  if (err instanceof DatabaseBusyError) {
    logger.error('the database connection pool is exhausted', err);
    return DATABASE_BUSY_TEXT;
  }
  if (err instanceof DomainError) return `:warning: ${renderPhrase(err.phrase, names)}`;
  const ref = newRef();
  if (err instanceof AnswerNotShownError) {
    logger.error(`[ref ${ref}] ${err.message}`, err.cause);
    return `:x: The bot's answer could not be shown to you (reference ${ref}). What you asked may have been done: look in the channel before you try again, and give the reference to whoever runs the bot.`;
  }
  // A change the request already made (the incident changed, a step recorded as run) stays made: "nothing was changed,
  // try again" would have the person do it twice (a second rollback).
  if (changed) {
    logger.error(`[ref ${ref}] unexpected error after the request's change was made`, err);
    return `:x: What you asked was done, but something went wrong on the bot's side afterwards (reference ${ref}). Look in the channel before you try again; give the reference to whoever runs the bot.`;
  }
  logger.error(`[ref ${ref}] unexpected error`, err);
  return `:x: Something went wrong on the bot's side (reference ${ref}). Nothing was changed by this request, so you can try again; if it keeps failing, follow the runbook by hand and give the reference to whoever runs the bot.`;
}

/** A short reference id, said to the person and logged with the stack. */
const newRef = () => randomBytes(3).toString('hex').toUpperCase();

/**
 * The words for any failure after the request's declaration made its incident whole (declaredInRequest): the incident
 * exists, so they name it and its channel, whatever failed (the answer refused by Slack, the database lost, anything
 * unexpected); "nothing was changed, try again" would have the person declare it a second time.
 */
function declaredThenFailed(
  incident: Incident,
  err: unknown,
  logger: Pick<Logger, 'error'>,
  names: ReadonlyMap<string, ContactName>,
): string {
  const ref = newRef();
  const failed =
    err instanceof AnswerNotShownError
      ? "the bot's answer could not be shown to you"
      : err instanceof DatabaseUnavailableError || err instanceof DatabaseBusyError
        ? "the bot's database stopped answering afterwards"
        : err instanceof DomainError
          ? `then: ${renderPhrase(err.phrase, names).replace(/\.$/, '')}`
          : "something went wrong on the bot's side afterwards";
  const cause = err instanceof AnswerNotShownError ? err.cause : err;
  logger.error(`[ref ${ref}] incident #${incident.number} (id ${incident.id}) was declared, then this failed`, cause);
  return renderDeclaredThenFailed(incident, failed, ref);
}

/**
 * Whether the request has made a change so far (notingChanges). Not for a declaration: it writes its incident before
 * the channel is made, and on a failure before the incident is whole gives that up itself (DeclarationService: nothing
 * is kept, or, the database lost, the declarer is told later how it ended), so its own words stand; once whole, the
 * incident is named (declaredThenFailed).
 */
function changedSoFar(whenDown: WhenDown | { text: string }): boolean {
  return whenDown !== 'declare' && changedInRequest();
}

/**
 * An error in words for a form's inline error, which Slack shows as plain text: no mrkdwn marks, no emoji codes, and
 * no mentions, so the people and user groups it names are shown by `names` (see inlineRefusalText), as `@Name` and
 * `@handle`; by id only when a name could not be had. A refusal read before the ack keeps the form open with the reason
 * under a field.
 */
export function inlineErrorText(
  err: unknown,
  logger: Pick<Logger, 'error'>,
  names: ReadonlyMap<string, ContactName> = new Map(),
): string {
  return (err instanceof DomainError ? plainWithNames(err.phrase, names) : errorText(err, logger))
    .replace(/`/g, '')
    .replace(/^:[a-z_]+: /, '')
    .slice(0, 2000);
}

/** How long a form's refusal waits for the names of the people it names (Slack waits 3 s for the form's answer). */
const NAMES_WAIT_MS = 1000;

/** Names people and user groups by id for plain text (users.info, usergroups.list, cached): IncidentNotes.contactNames. */
export type ContactNames = (ids: readonly string[]) => Promise<Map<string, ContactName>>;

/**
 * inlineErrorText, the people and user groups the error names looked up first (briefly, people and groups each on
 * their own: a name not had in time shows as the id), for a form's inline error or a modal's plain text, where
 * `<@U…>` and `<!subteam^S…>` are not rendered.
 */
export async function inlineRefusalText(
  err: unknown,
  logger: Pick<Logger, 'error'>,
  contactNames: ContactNames,
): Promise<string> {
  const ids = err instanceof DomainError ? contactsIn(err.phrase) : [];
  return inlineErrorText(err, logger, await namesWithin(ids, contactNames));
}

/**
 * The names of the people and user groups `ids` gives, looked up briefly (people and groups each on their own): one
 * not had in time is left out, and shown by id or as a mention.
 */
async function namesWithin(ids: readonly string[], contactNames: ContactNames): Promise<Map<string, ContactName>> {
  const lookUp = (some: string[]) =>
    some.length
      ? within(contactNames(some), NAMES_WAIT_MS, new Map<string, ContactName>())
      : Promise.resolve(new Map<string, ContactName>());
  const [people, groups] = await Promise.all([
    lookUp(ids.filter((id) => /^[UW]/.test(id))),
    lookUp(ids.filter((id) => id.startsWith('S'))),
  ]);
  return new Map([...people, ...groups]);
}

/** The users (U…, W…) and user groups (S…) a phrase names. */
function contactsIn(phrase: Phrase): string[] {
  return [
    ...new Set(
      phrase.flatMap((p) => (typeof p === 'object' && 'people' in p ? p.people : [])).filter((id) => /^[UWS]/.test(id)),
    ),
  ];
}

/**
 * The users a phrase lists beside others: where mentions are shown, only they need their names (to tell apart two of
 * one name); a person named alone is a mention, which Slack shows by name.
 */
function listedTogether(phrase: Phrase): string[] {
  return [
    ...new Set(
      phrase
        .flatMap((p) => (typeof p === 'object' && 'people' in p && p.people.length > 1 ? p.people : []))
        .filter((id) => /^[UW]/.test(id)),
    ),
  ];
}

/**
 * A phrase as plain text, people by name (`@Priya Shah`) and user groups by handle (`@sre-leads`) where `names` has
 * them, by id where not; two people of one name in a list each followed by their handle (peopleList).
 */
function plainWithNames(phrase: Phrase, names: ReadonlyMap<string, ContactName>): string {
  return plainText(
    phrase.map((p) =>
      typeof p === 'object' && 'people' in p ? peopleList(p.people, names, (id, n) => (n ? `@${n.name}` : id)) : p,
    ),
  );
}

/** How long a form waits for the person's time zone (users.info, cached) before it opens or answers without it. */
export const ZONE_WAIT_MS = 1000;

/** What `p` gives, or `fallback` when it fails or takes longer than `ms`. */
export function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((r) => {
    timer = setTimeout(() => r(fallback), ms);
  });
  return Promise.race([p.catch(() => fallback), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs a listener's work after ack; any error reaches the person through `tell`, never silence, or through `tellElse`
 * when `tell` cannot take it (a declaration answered by response_url, which Slack refused: in the channel, else by
 * direct message). With `contactNames`, the people a domain error lists together are looked up first (briefly), so two
 * of one name are told apart.
 */
export async function reportErrors(
  logger: Pick<Logger, 'error'>,
  tell: (text: string) => Promise<unknown>,
  work: () => Promise<void>,
  whenDown: WhenDown | { text: string } = 'change',
  contactNames?: ContactNames,
  tellElse?: (text: string) => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    const together = contactNames && err instanceof DomainError ? listedTogether(err.phrase) : [];
    const names = contactNames && together.length ? await namesWithin(together, contactNames) : undefined;
    const text = errorText(err, logger, whenDown, names);
    try {
      await tell(text);
    } catch (tellErr) {
      if (!tellElse) {
        logger.error('could not tell the user about an error', tellErr, err);
        return;
      }
      try {
        await tellElse(text);
      } catch (elseErr) {
        logger.error('could not tell the user about an error', tellErr, elseErr, err);
      }
    }
  }
}
