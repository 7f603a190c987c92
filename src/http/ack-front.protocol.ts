/** What the bot's thread and its acknowledging front (ack-front.worker.ts) tell each other. */

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
  | { t: 'closed' };

export type ToFront = { t: 'close' };
