/**
 * Words for a person, in pieces: text, people named by id (users U…/W…, user groups S…), and links. The domain never
 * writes chat markup; the chat surface renders people and links its own way (in Slack: mentions and `<url|label>`).
 */
/**
 * Words of the domain's own, people, links, and `{ typed }`: text a person typed (a title), shown as it was, never
 * read as markup.
 */
export type Phrase = readonly (
  | string
  | { people: readonly string[] }
  | { link: string; label: string }
  /** `max`: the most characters shown of it (default 200). */
  | { typed: string; max?: number }
  /** A name from the runbook file (a role, a playbook), shown bold and safe for mrkdwn; `max` as for typed (100). */
  | { name: string; max?: number }
  /** A Slack channel by id: its link where Slack renders it; "its channel" in plain text (a form's error, a log). */
  | { channel: string }
)[];

/** A phrase as plain text, people by id: for logs and records. */
export function plainText(phrase: Phrase): string {
  return phrase
    .map((p) =>
      typeof p === 'string'
        ? p
        : 'people' in p
          ? p.people.join(', ')
          : 'typed' in p
            ? p.typed
            : 'name' in p
              ? p.name
              : 'channel' in p
                ? 'its channel'
                : `${p.label} (${p.link})`,
    )
    .join('');
}

/** An error fit to show a person: `message` says what happened and, where they can act, what to do. */
export class DomainError extends Error {
  /** The message in pieces, for the chat surface to render; `message` is the same as plain text. */
  readonly phrase: Phrase;

  constructor(
    readonly code: string,
    message: string | Phrase,
  ) {
    super(typeof message === 'string' ? message : plainText(message));
    this.phrase = typeof message === 'string' ? [message] : message;
    this.name = 'DomainError';
  }
}

/** Parameter values that do not fit their kinds, by parameter name; nothing was run. */
export class ParamsError extends DomainError {
  constructor(readonly errors: Record<string, string>) {
    super(
      'bad_params',
      `Nothing was run: ${Object.entries(errors)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`,
    );
  }
}

/**
 * No incident has the id asked for. `existed`: the id was given to an incident once (a half-made declaration removed
 * since), or never was (a made-up or mistyped id): see incidentIdIssued.
 */
export class IncidentNotFoundError extends DomainError {
  constructor(existed: boolean) {
    super('incident_not_found', existed ? 'That incident no longer exists.' : 'There is no such incident.');
  }
}

/** Something that works only in an incident channel was asked elsewhere; `message` says where to go instead. */
export class NotAnIncidentChannelError extends DomainError {
  constructor(message: string) {
    super('not_incident_channel', message);
  }
}

/** Slack refused a call we needed; the message names what to fix where possible. */
export class ChatPlatformError extends DomainError {
  constructor(
    readonly slackError: string,
    message: string,
    /** For `http_error`: the HTTP status Slack answered with (no `ok: false` body). */
    readonly httpStatus?: number,
  ) {
    super('chat_platform_error', message);
  }
}

/** What a failure is recorded as: Slack's answer (its error code, `not_in_channel`), or else the error's message. */
export function slackAnswerOf(err: unknown): string {
  return err instanceof ChatPlatformError ? err.slackError : err instanceof Error ? err.message : String(err);
}

/**
 * Slack's answers after which it may have done what it was asked (a post may be up): it failed partway (`internal_error`,
 * `fatal_error`: Slack says some of the call may have succeeded), was unwell (`service_unavailable`, `request_timeout`,
 * a 5xx after retries: `http_error`), or its answer never came (`request_error`: a timeout, a connection lost).
 */
const MAY_HAVE_BEEN_DONE = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'http_error',
  'request_error',
]);

/**
 * Whether a failed call to the chat platform may have been done all the same, its answer an error or lost: anything but
 * a refusal Slack answered in so many words (not_in_channel, channel_not_found, is_archived, invalid_auth,
 * missing_scope, ratelimited…), or an HTTP 4xx (400, 403, 404…: the request refused before it was done), after which
 * it certainly did nothing. An error of unknown kind may have, and so may a 5xx.
 */
export function mayHaveBeenDone(err: unknown): boolean {
  if (!(err instanceof ChatPlatformError)) return true;
  if (err.slackError === 'http_error' && err.httpStatus !== undefined) return err.httpStatus >= 500;
  return MAY_HAVE_BEEN_DONE.has(err.slackError);
}

/** The incident already is in the state asked for (double click, second person). Not an error, just a note. */
export class AlreadyDoneError extends DomainError {
  constructor(message: string | Phrase) {
    super('already_done', message);
  }
}

/** Said after "this incident is resolved" where someone tried to work on it: how to work on it again. */
export const REOPEN_HINT = 'To work on it again, type `/incident reopen [why]` in its channel.';

/** The refusal of work on a resolved incident: why (`why`, "already resolved" by default), then how to reopen it. */
export function resolvedError(why = 'This incident is already resolved.'): AlreadyDoneError {
  return new AlreadyDoneError(`${why} ${REOPEN_HINT}`);
}
