import type { Logger, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { noteError } from '../audit/outcome.js';
import { noteOutcome } from '../audit/request-context.js';
import type { Message } from '../templates/incident-card.js';
import type { ListenerDeps } from './deps.js';
import { type ContactNames, reportErrors, type WhenDown } from './report-error.js';
import { BUSY_TEXT, type WorkGate, type WorkGates } from './work-gate.js';

/** Says something privately to the person who acted: a line of text, or a rendered message. */
export type Tell = (msg: string | Message) => Promise<unknown>;

const asMessage = (msg: string | Message) => (typeof msg === 'string' ? { text: msg } : msg);

/** Private reply through the request's response_url: slash commands and buttons on messages. */
export function replyTo(respond: RespondFn): Tell {
  return (msg) => respond({ response_type: 'ephemeral', replace_original: false, ...asMessage(msg) });
}

/** Private message in a channel (or thread): modal submissions, which have no response_url. */
export function ephemeralIn(client: WebClient, channel: string, user: string, threadTs?: string): Tell {
  return (msg) =>
    client.chat.postEphemeral({ channel, user, ...(threadTs ? { thread_ts: threadTs } : {}), ...asMessage(msg) });
}

/**
 * What a listener's work returns. A change the services recorded but could not fully show in Slack comes back with
 * `warnings` (ChangeResult), which the person is told; a result that changed nothing carries why in `unchanged`
 * (Unchanged: someone else commands, the role was paged already, the same declaration moments ago), recorded as the
 * request's outcome, `noop`. Anything else is not looked at: the work is recorded as done (`ok`).
 */
export type WorkResult = Promise<unknown>;

const unchangedOf = (r: unknown): string | undefined => {
  const u = (r as { unchanged?: unknown } | null | undefined)?.unchanged;
  return typeof u === 'string' ? u : undefined;
};

const warningsOf = (r: unknown): string[] => {
  const w = (r as { warnings?: unknown } | null | undefined)?.warnings;
  return Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : [];
};

export interface AfterAckArgs {
  /** Bolt's ack, called without a payload once the request is admitted. */
  ack: () => Promise<void>;
  /**
   * The listener's deps: the work gates (`gate`) and the names of people (`names`) are taken from them unless given
   * apart.
   */
  deps?: Pick<ListenerDeps, 'gate' | 'notes'>;
  /** Needed for `admit: 'gate'` and `'heavy'` (or `deps`). */
  gate?: WorkGates;
  logger: Pick<Logger, 'error' | 'warn'>;
  tell: Tell;
  /** Who people are (namesFrom), so that an error listing two people of one name tells them apart by handle. */
  names?: ContactNames;
  /** Where an error is told when `tell` cannot take it (reportErrors); by default nowhere else. */
  tellElse?: Tell;
}

/** The names of people and user groups, by id, as the listeners' deps know them (cached users.info), for afterAck. */
function namesFrom(deps: Pick<ListenerDeps, 'notes'>): ContactNames {
  return (ids) => deps.notes.contactNames(ids);
}

export interface AfterAckOptions {
  /**
   * `gate`: the work takes a place in the light gate (many at once, a long queue), refused only when that is full.
   * `heavy`: a place in the heavy gate (declarations: few at once, a short queue, held back while the process is busy).
   * `always`: it runs at once, outside the gates; the caller says why.
   */
  admit: 'gate' | 'heavy' | 'always';
  /**
   * How to refuse when the gate is full, in place of the ack (a command answers in its ack, a form shows the error
   * inline). Default: ack, then tell BUSY_TEXT.
   */
  refuse?: () => Promise<void>;
  /** What a partly shown change says before its warnings: "Recorded" (default), "Update recorded", "Resolved". */
  done?: string;
  /**
   * What was asked, for the words said when the database cannot be reached (default: a change), or those words
   * themselves.
   */
  whenDown?: WhenDown | { text: string };
}

/**
 * The one pipeline every listener runs after parsing: admission, ack (well within Slack's 3 s, before any slow I/O),
 * the work, its warnings, and any error in words through `tell` (errorText: domain errors as they are, database
 * outages as "follow the runbook by hand", anything else with a reference id).
 */
export async function afterAck(
  { ack, deps, gate = deps?.gate, logger, tell, names = deps && namesFrom(deps), tellElse }: AfterAckArgs,
  work: () => WorkResult,
  { admit, refuse, done = 'Recorded', whenDown = 'change' }: AfterAckOptions,
): Promise<void> {
  let ticket: ReturnType<WorkGate['reserve']> | undefined;
  if (admit !== 'always') {
    if (!gate) throw new Error(`afterAck: admit '${admit}' needs the work gates`);
    ticket = (admit === 'heavy' ? gate.heavy : gate.light).reserve();
    if (!ticket) {
      noteOutcome('refused', `overloaded: the ${admit === 'heavy' ? 'heavy' : 'light'} work gate is full`);
      if (refuse) return refuse();
      await ack();
      await tell(BUSY_TEXT).catch((err) => logger.warn('could not send the busy notice', err));
      return;
    }
  }
  await ack();
  const run = () =>
    reportErrors(
      logger,
      tell,
      async () => {
        let result: unknown;
        try {
          result = await work();
        } catch (err) {
          noteError(err); // how it ended, for the request's audit row
          throw err;
        }
        const warnings = warningsOf(result);
        const unchanged = unchangedOf(result);
        if (unchanged !== undefined) noteOutcome('noop', unchanged);
        else noteOutcome('ok', warnings.length ? warnings.join('; ') : undefined);
        if (warnings.length) await tell(`:warning: ${done}, but ${warnings.join('; ')}.`);
      },
      whenDown,
      names,
      tellElse,
    );
  const working = ticket ? ticket.run(run) : run();
  gate?.inFlight.track(working);
  await working;
}
