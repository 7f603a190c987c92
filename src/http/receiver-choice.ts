import type { HTTPReceiver, HTTPReceiverOptions, Logger, SocketModeReceiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import { FrontedHttpReceiver, type FrontedReceiverOptions } from './ack-front.js';
import { type AckObserver, SlackHttpReceiver, SlackSocketReceiver } from './slack-receiver.js';

/** How long idle connections stay open: longer than a proxy or load balancer in front keeps its own (AWS's ALB: 60 s),
 * so it never sends a request on a connection this server has just closed (with Node's 5 s, bench/mixed lost one
 * request in 12,000 to ECONNRESET). */
export const KEEP_ALIVE_MS = 65_000;

export interface ReceiverSetup {
  port: number;
  /** The address the HTTP server listens on (HOST); every interface when unset. */
  host?: string;
  clientOptions: WebClientOptions;
  customRoutes: NonNullable<HTTPReceiverOptions['customRoutes']>;
  logLevel: NonNullable<HTTPReceiverOptions['logLevel']>;
  logger?: Logger;
  onAck?: AckObserver;
  /** HTTP mode: answer Slack's requests from a thread of their own (ack-front.ts). */
  ackThread?: boolean;
  /** How long a request may take to arrive whole before it is answered 408 (DEFAULT_REQUEST_TIMEOUT_MS when unset). */
  requestTimeoutMs?: number;
  /** With the front: how much lower the CPU priority of the bot's own thread is (nice steps). */
  workNice?: number;
  /** With the front: the alert hooks for it to serve, and who is told of each delivery it writes. */
  frontAlerts?: Pick<FrontedReceiverOptions, 'alerts' | 'onAlerts'>;
  /** With the front: the database for it to read incidents (to answer the resolve and status update forms itself). */
  frontIncidents?: FrontedReceiverOptions['incidents'];
}

/** The App options that choose its receiver: Socket Mode with an app token, HTTP with a signing secret. */
export function slackReceiver(
  slack: Config['slack'],
  {
    port,
    host,
    clientOptions,
    customRoutes,
    logLevel,
    logger,
    onAck,
    ackThread,
    workNice = 0,
    frontAlerts,
    frontIncidents = null,
    requestTimeoutMs,
  }: ReceiverSetup,
): { socketMode?: true; receiver: HTTPReceiver | SocketModeReceiver } {
  const common = {
    customRoutes,
    logLevel,
    ...(logger ? { logger } : {}),
    ...(onAck ? { onAck } : {}),
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
  };
  if (slack.mode === 'socket') {
    // loadConfig chose Socket Mode because there is an app token.
    const receiver = new SlackSocketReceiver({
      appToken: slack.appToken ?? '',
      ...(host ? { host } : {}),
      installerOptions: { port, clientOptions },
      ...common,
    });
    return { socketMode: true, receiver };
  }
  // loadConfig requires a signing secret in HTTP mode; the receiver refuses to be built without one.
  const options = { signingSecret: slack.signingSecret ?? '', keepAliveMs: KEEP_ALIVE_MS, ...common };
  return {
    receiver: ackThread
      ? new FrontedHttpReceiver({ ...options, workNice, ...frontAlerts, incidents: frontIncidents })
      : new SlackHttpReceiver(options),
  };
}
