/**
 * Requests the way Slack sends them to an app: signed, form-encoded slash commands and interactivity payloads.
 * Used by end-to-end tests to drive the real Bolt app over HTTP (`POST {baseUrl}/slack/events`).
 */
import { createHmac, randomBytes } from 'node:crypto';

export const TEST_TEAM_ID = 'T0TEST';
export const TEST_TEAM_DOMAIN = 'testteam';
export const TEST_APP_ID = 'A0TESTAPP';
/** Slack's legacy verification token (still sent in every payload; Bolt ignores it). */
export const TEST_VERIFICATION_TOKEN = 'legacyVerificationTok3n';
export const TEST_REPORTER_ID = 'U0REPORTER';
export const TEST_GENERAL_CHANNEL_ID = 'C0GENERAL';

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

/** Overrides for {@link makeSlashCommand}: anything, but `response_url` must come from the test (`fake.responseUrl()`). */
export type SlashCommandInput = Partial<SlashCommandFields> & Pick<SlashCommandFields, 'response_url'>;

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

/** A realistic slash command (`/incident` from `U0REPORTER` in `#general`), with a unique trigger_id. */
export function makeSlashCommand(overrides: SlashCommandInput): SlashCommandFields {
  return {
    token: TEST_VERIFICATION_TOKEN,
    team_id: TEST_TEAM_ID,
    team_domain: TEST_TEAM_DOMAIN,
    channel_id: TEST_GENERAL_CHANNEL_ID,
    channel_name: 'general',
    user_id: TEST_REPORTER_ID,
    user_name: 'reporter',
    command: '/incident',
    text: '',
    api_app_id: TEST_APP_ID,
    is_enterprise_install: 'false',
    trigger_id: makeTriggerId(),
    ...overrides,
  };
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

/**
 * Sends a slash command (defaults from {@link makeSlashCommand}, overridden by `fields`) to the app.
 * The result carries the fields actually `sent` (e.g. to find its trigger_id).
 */
export async function postSlashCommand(
  baseUrl: string,
  signingSecret: string,
  fields: SlashCommandInput,
  opts: PostOptions = {},
): Promise<SlackAppResponse & { sent: SlashCommandFields }> {
  const sent = makeSlashCommand(fields);
  const res = await postToSlackApp(
    baseUrl,
    signingSecret,
    encodeSlashCommand(sent),
    'application/x-www-form-urlencoded',
    opts,
  );
  return { ...res, sent };
}

// -------------------------------------------------------------------------------------------------------------------
// Interactivity

/** Encodes an interactivity payload as Slack does: a single form field `payload` holding the JSON. */
export function encodeInteraction(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Sends an interactivity payload (block_actions, view_submission, ...) to the app. */
export async function postInteraction(
  baseUrl: string,
  signingSecret: string,
  payload: object,
  opts: PostOptions = {},
): Promise<SlackAppResponse> {
  return postToSlackApp(baseUrl, signingSecret, encodeInteraction(payload), 'application/x-www-form-urlencoded', opts);
}

function userObject(userId: string, teamId: string): { id: string; username: string; name: string; team_id: string } {
  const name = userId.replace(/^[UW]0?/, '').toLowerCase() || 'user';
  return { id: userId, username: name, name, team_id: teamId };
}

function plainText(text: string): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text, emoji: true };
}

function actionTs(): string {
  const now = Date.now();
  return `${Math.floor(now / 1000)}.${String((now % 1000) * 1000 + Math.floor(Math.random() * 1000)).padStart(6, '0')}`;
}

export interface BlockActionInput {
  userId: string;
  channelId: string;
  /** ts of the message holding the button/select. */
  messageTs: string;
  actionId: string;
  blockId: string;
  /** Button value. */
  value?: string;
  /** For a `static_select`: the chosen option (makes the action a static_select instead of a button). */
  selectedOption?: { value: string; text: string };
  responseUrl: string;
  triggerId?: string;
  teamId?: string;
  channelName?: string;
  /** The message as Slack would echo it (e.g. `fake.messagesIn(channel)[0]`); text/blocks default to empty. */
  message?: { text?: string | undefined; blocks?: unknown[] | undefined; thread_ts?: string | undefined };
  /** Button label (default 'Button'). */
  buttonText?: string;
  /** `state.values` of the message (default `{}`). */
  stateValues?: Record<string, Record<string, unknown>>;
}

/** A `block_actions` payload for a button click (or static_select choice) on a message, shaped like Slack's. */
export function makeBlockAction(input: BlockActionInput): Record<string, unknown> {
  const teamId = input.teamId ?? TEST_TEAM_ID;
  const action: Record<string, unknown> = input.selectedOption
    ? {
        type: 'static_select',
        action_id: input.actionId,
        block_id: input.blockId,
        selected_option: { text: plainText(input.selectedOption.text), value: input.selectedOption.value },
        action_ts: actionTs(),
      }
    : {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId,
        text: plainText(input.buttonText ?? 'Button'),
        ...(input.value !== undefined ? { value: input.value } : {}),
        action_ts: actionTs(),
      };
  const message: Record<string, unknown> = {
    type: 'message',
    subtype: 'bot_message',
    user: 'UBOT',
    bot_id: 'BBOT',
    app_id: TEST_APP_ID,
    team: teamId,
    ts: input.messageTs,
    text: input.message?.text ?? '',
    blocks: input.message?.blocks ?? [],
  };
  if (input.message?.thread_ts !== undefined) message.thread_ts = input.message.thread_ts;
  return {
    type: 'block_actions',
    user: userObject(input.userId, teamId),
    api_app_id: TEST_APP_ID,
    token: TEST_VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: false,
      ...(input.message?.thread_ts !== undefined ? { thread_ts: input.message.thread_ts } : {}),
    },
    trigger_id: input.triggerId ?? makeTriggerId(),
    team: { id: teamId, domain: TEST_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: input.channelName ?? 'incident-channel' },
    message,
    state: { values: input.stateValues ?? {} },
    response_url: input.responseUrl,
    actions: [action],
  };
}

export interface ViewSubmissionInput {
  userId: string;
  callbackId: string;
  privateMetadata: string;
  /** `view.state.values`: `{ [blockId]: { [actionId]: { type, value | selected_option | ... } } }`. See {@link stateValue}. */
  values: Record<string, Record<string, unknown>>;
  /** The view ID (e.g. from the fake's views.open answer); a fresh one by default. */
  viewId?: string;
  teamId?: string;
  /** The view's blocks as opened (default `[]`). */
  blocks?: unknown[];
  title?: string;
  /** Response URLs, when the modal has `response_url_enabled` inputs. */
  responseUrls?: { block_id: string; action_id: string; channel_id: string; response_url: string }[];
  triggerId?: string;
}

let viewCounter = 0;

/** A `view_submission` payload for a submitted modal, shaped like Slack's. */
export function makeViewSubmission(input: ViewSubmissionInput): Record<string, unknown> {
  const teamId = input.teamId ?? TEST_TEAM_ID;
  viewCounter++;
  const viewId = input.viewId ?? `VSUB${String(viewCounter).padStart(6, '0')}`;
  return {
    type: 'view_submission',
    team: { id: teamId, domain: TEST_TEAM_DOMAIN },
    user: userObject(input.userId, teamId),
    api_app_id: TEST_APP_ID,
    token: TEST_VERIFICATION_TOKEN,
    trigger_id: input.triggerId ?? makeTriggerId(),
    view: {
      id: viewId,
      team_id: teamId,
      type: 'modal',
      blocks: input.blocks ?? [],
      private_metadata: input.privateMetadata,
      callback_id: input.callbackId,
      state: { values: input.values },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      title: plainText(input.title ?? 'Incident'),
      clear_on_close: false,
      notify_on_close: false,
      close: plainText('Cancel'),
      submit: plainText('Submit'),
      previous_view_id: null,
      root_view_id: viewId,
      app_id: TEST_APP_ID,
      external_id: '',
      app_installed_team_id: teamId,
      bot_id: 'BBOT',
    },
    response_urls: input.responseUrls ?? [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** Builders for entries of `state.values[blockId][actionId]`, as Slack reports each input element. */
export const stateValue = {
  plainText: (value: string | null) => ({ type: 'plain_text_input', value }),
  staticSelect: (value: string, text: string = value) => ({
    type: 'static_select',
    selected_option: { text: plainText(text), value },
  }),
  noSelection: (type = 'static_select') => ({ type, selected_option: null }),
  radio: (value: string, text: string = value) => ({
    type: 'radio_buttons',
    selected_option: { text: plainText(text), value },
  }),
  checkboxes: (options: { value: string; text?: string }[]) => ({
    type: 'checkboxes',
    selected_options: options.map((o) => ({ text: plainText(o.text ?? o.value), value: o.value })),
  }),
  usersSelect: (userId: string | null) => ({ type: 'users_select', selected_user: userId }),
  multiUsersSelect: (userIds: string[]) => ({ type: 'multi_users_select', selected_users: userIds }),
  conversationsSelect: (channelId: string | null) => ({
    type: 'conversations_select',
    selected_conversation: channelId,
  }),
  datetimepicker: (unixSeconds: number | null) => ({ type: 'datetimepicker', selected_date_time: unixSeconds }),
  number: (value: string | null) => ({ type: 'number_input', value }),
};

// -------------------------------------------------------------------------------------------------------------------
// Events API

let eventCounter = 0;

/** An Events API envelope (`event_callback`) around `event`, shaped like Slack's. */
export function makeEventCallback(event: Record<string, unknown>, teamId = TEST_TEAM_ID): Record<string, unknown> {
  eventCounter++;
  return {
    token: TEST_VERIFICATION_TOKEN,
    team_id: teamId,
    api_app_id: TEST_APP_ID,
    event,
    type: 'event_callback',
    event_id: `Ev${String(eventCounter).padStart(8, '0')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** `app_home_opened` as Slack sends it when `userId` opens the app's Home (or Messages) tab. */
export function makeAppHomeOpened(userId: string, tab: 'home' | 'messages' = 'home'): Record<string, unknown> {
  return {
    type: 'app_home_opened',
    user: userId,
    channel: `D${userId.slice(1)}`,
    tab,
    event_ts: `${Math.floor(Date.now() / 1000)}.000100`,
  };
}

/** Sends an Events API event to the app, signed, as JSON. */
export function postEvent(
  baseUrl: string,
  signingSecret: string,
  event: Record<string, unknown>,
  opts: PostOptions = {},
): Promise<SlackAppResponse> {
  return postToSlackApp(baseUrl, signingSecret, JSON.stringify(makeEventCallback(event)), 'application/json', opts);
}

/**
 * A `block_actions` payload for a button on the app's Home tab, shaped like Slack's: the container is the view, and
 * there is no channel, message or response_url.
 */
export function makeHomeAction(input: {
  userId: string;
  actionId: string;
  blockId: string;
  value?: string;
  viewId?: string;
  triggerId?: string;
  teamId?: string;
}): Record<string, unknown> {
  const teamId = input.teamId ?? TEST_TEAM_ID;
  const viewId = input.viewId ?? 'VHOME0001';
  return {
    type: 'block_actions',
    user: userObject(input.userId, teamId),
    api_app_id: TEST_APP_ID,
    token: TEST_VERIFICATION_TOKEN,
    container: { type: 'view', view_id: viewId },
    trigger_id: input.triggerId ?? makeTriggerId(),
    team: { id: teamId, domain: TEST_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    view: {
      id: viewId,
      team_id: teamId,
      type: 'home',
      blocks: [],
      private_metadata: '',
      callback_id: '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      root_view_id: viewId,
      app_id: TEST_APP_ID,
      external_id: '',
      app_installed_team_id: teamId,
      bot_id: 'BBOT',
    },
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId,
        text: plainText('Button'),
        ...(input.value !== undefined ? { value: input.value } : {}),
        action_ts: actionTs(),
      },
    ],
  };
}
