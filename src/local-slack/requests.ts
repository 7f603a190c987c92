/**
 * Requests the way Slack sends them to an app: signed (`v0` HMAC-SHA256 with the app's signing secret), form-encoded
 * slash commands and interactivity payloads (block_actions, view_submission) shaped like Slack's. The console turns
 * what a person types into these; the end-to-end tests drive the real Bolt app with them (`POST {baseUrl}/slack/events`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { APP_ID, TEAM_ID } from './workspace.js';

export const TEAM_DOMAIN = 'testteam';
/** Slack's legacy verification token (still sent in every payload; Bolt ignores it). */
export const VERIFICATION_TOKEN = 'legacyVerificationTok3n';

export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/** Signs a raw request body as Slack does (signing secret v0). `timestampSeconds` defaults to now. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const ts = String(timestampSeconds);
  const hex = createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': ts };
}

export interface PostOptions {
  /** Sent as `X-Slack-Retry-Num` (Slack's redelivery of an event it thinks timed out). */
  retryNum?: number;
  /** Sent as `X-Slack-Retry-Reason` (e.g. `http_timeout`). */
  retryReason?: string;
  /** Request timestamp in seconds (default now); the signature is computed for it. */
  timestamp?: number;
  /** Replaces the computed `X-Slack-Signature` (to test rejection of bad signatures). */
  signature?: string;
  /** Path on the app (default `/slack/events`). */
  path?: string;
  /** Abort the request after this many ms (default: no timeout). */
  timeoutMs?: number;
}

export interface SlackAppResponse {
  status: number;
  /** Response headers, lower-cased names. */
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: ack bodies have arbitrary shapes
  json?: any;
  /** Wall-clock time from sending the request to having read the whole response. */
  ms: number;
}

/** POSTs a signed request to the app at `${baseUrl}/slack/events`, as Slack would. */
export async function postToSlackApp(
  baseUrl: string,
  signingSecret: string,
  body: string,
  contentType: string,
  opts: PostOptions = {},
): Promise<SlackAppResponse> {
  const signed = signSlackRequest(signingSecret, body, opts.timestamp);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signed,
  };
  if (opts.signature !== undefined) headers['x-slack-signature'] = opts.signature;
  if (opts.retryNum !== undefined) headers['x-slack-retry-num'] = String(opts.retryNum);
  if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;

  const url = `${baseUrl.replace(/\/+$/, '')}${opts.path ?? '/slack/events'}`;
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: opts.timeoutMs !== undefined ? AbortSignal.timeout(opts.timeoutMs) : null,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  const result: SlackAppResponse = { status: res.status, headers: Object.fromEntries(res.headers.entries()), text, ms };
  if (text.length > 0) {
    try {
      result.json = JSON.parse(text);
    } catch {
      // not JSON (an empty ack, or plain text)
    }
  }
  return result;
}

// -------------------------------------------------------------------------------------------------------------------
// Slash commands

/** The form fields of a slash command request, in the order Slack sends them. All values are strings. */
export interface SlashCommandFields {
  token: string;
  team_id: string;
  team_domain: string;
  enterprise_id?: string;
  enterprise_name?: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: string;
  response_url: string;
  trigger_id: string;
}

const FIELD_ORDER: (keyof SlashCommandFields)[] = [
  'token',
  'team_id',
  'team_domain',
  'enterprise_id',
  'enterprise_name',
  'channel_id',
  'channel_name',
  'user_id',
  'user_name',
  'command',
  'text',
  'api_app_id',
  'is_enterprise_install',
  'response_url',
  'trigger_id',
];

let triggerCounter = 0;

/** A fresh trigger_id shaped like Slack's (`<digits>.<digits>.<hex>`), unique per call. */
export function makeTriggerId(): string {
  triggerCounter++;
  return `${Date.now()}${triggerCounter}.${1_000_000 + triggerCounter}.${randomBytes(16).toString('hex')}`;
}

/** Form-encodes slash command fields as Slack does (`application/x-www-form-urlencoded`, Slack's field order). */
export function encodeSlashCommand(fields: SlashCommandFields): string {
  const params = new URLSearchParams();
  for (const key of FIELD_ORDER) {
    const value = fields[key];
    if (value !== undefined) params.append(key, value);
  }
  return params.toString();
}

/** Who types a slash command, where, and where its private replies go. */
export interface SlashCommandInput {
  command: string;
  text: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
  responseUrl: string;
  /** Default: a fresh one. */
  triggerId?: string;
}

/** A slash command's fields as Slack sends them. */
export function slashCommandFields(i: SlashCommandInput): SlashCommandFields {
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEAM_ID,
    team_domain: TEAM_DOMAIN,
    channel_id: i.channelId,
    channel_name: i.channelName,
    user_id: i.userId,
    user_name: i.userName,
    command: i.command,
    text: i.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: i.responseUrl,
    trigger_id: i.triggerId ?? makeTriggerId(),
  };
}

/** Sends a slash command, signed, as Slack would. */
export function sendSlashCommand(
  baseUrl: string,
  signingSecret: string,
  fields: SlashCommandFields,
  opts: PostOptions = {},
): Promise<SlackAppResponse> {
  return postToSlackApp(baseUrl, signingSecret, encodeSlashCommand(fields), 'application/x-www-form-urlencoded', opts);
}
