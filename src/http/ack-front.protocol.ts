import type { AlertsSettings } from '../config.js';
import type { AlertLevel, AlertRule } from '../incidents/alert-types.js';
import type { PostgresConnection } from '../store/db.js';
import type { NotFoundPaths } from './not-found.js';

/** What the bot's thread and its acknowledging front (ack-front.worker.ts) tell each other. */

/** The alert hooks, when the front serves them: how senders prove who they are, the runbook's rows, the inbox. */
export interface FrontAlerts {
  settings: Pick<AlertsSettings, 'token' | 'signingSecret' | 'qstash'>;
  rules: AlertRule[];
  connection: PostgresConnection;
  /** Whether the bot's pool prepares its statements (DATABASE_PREPARE): the front's does the same. */
  prepare: boolean;
  /** Connections of the front's pool (at most FRONT_ALERT_CONNECTIONS) opened at start and kept open however idle. */
  keepOpen: number;
  duplicateWindowMs: number;
}

/**
 * The database, for the front to read whether the incident of a resolve form or a status update form is resolved
 * (FORM_CHECKS's `ifOpen`): it answers the form itself when it is not, and passes it to the bot, which refuses it
 * inline, when it is.
 */
export interface FrontIncidents {
  connection: PostgresConnection;
  prepare: boolean;
}

/** Connections the front's alert pool opens at most. */
export const FRONT_ALERT_CONNECTIONS = 10;

/** Given to the front when it starts. */
export interface FrontInit {
  /** The public port (0: any free one) and address (every interface when null). */
  port: number;
  host: string | null;
  /** The bot's own HTTP server on 127.0.0.1, where everything not answered by the front goes. */
  innerPort: number;
  signingSecret: string;
  /** Where Slack posts its requests. */
  slackPath: string;
  keepAliveMs: number;
  /** How long a request may take to arrive whole before it is answered 408 (the default when null). */
  requestTimeoutMs: number | null;
  /** Set when the front serves the alert hooks (a database it can reach, a way for senders to prove who they are). */
  alerts: FrontAlerts | null;
  /** Set when the front may read incidents (null: every form whose answer depends on its incident goes to the bot). */
  incidents: FrontIncidents | null;
  /** The hooks not configured (their 404 comes before a body too large is refused: hookRefusedBeforeBody). */
  unservedHooks: string[];
  /** The paths the bot serves and what its 404 lists: a path none serves is refused before its body is asked for. */
  notFound: NotFoundPaths;
  /**
   * The CPU priority (nice) the front runs at: the process's, taken before the bot's thread lowered its own (WORK_NICE).
   * A front started again from that thread would inherit the lowered one; it takes this back at start. Null where a
   * priority is the whole process's (not Linux): the front leaves it as it is.
   */
  priority: number | null;
}

/** A Slack request the front has answered (an empty 200), for the bot to act on. */
export interface FrontRequest {
  t: 'request';
  body: string;
  contentType: string;
  retryNum: string | null;
  retryReason: string | null;
}

export type FrontReport =
  | FrontRequest
  | { t: 'listening'; address: string; family: string; port: number }
  | { t: 'error'; message: string; code: string | null }
  | { t: 'log'; level: 'warn' | 'debug'; msg: string }
  /** The front could not take the priority it was given (raising one can need privileges): it runs at `nice`. */
  | { t: 'priority'; wanted: number; nice: number; message: string }
  /** A delivery the front wrote to the alert inbox (not a resend): its source, its group and its alerts' levels. */
  | { t: 'alerts'; source: string; groupKey: string; levels: AlertLevel[] }
  | { t: 'closed' };

export type ToFront = { t: 'close' };
