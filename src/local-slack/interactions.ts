/**
 * Interactivity payloads and Events API requests as Slack sends them: a button clicked or an option chosen
 * (block_actions), a modal submitted (view_submission), the bot mentioned (app_mention); and the `state.values` entries
 * of each kind of input.
 */
import { randomBytes } from 'node:crypto';
import {
  makeTriggerId,
  type PostOptions,
  postToSlackApp,
  type SlackAppResponse,
  TEAM_DOMAIN,
  VERIFICATION_TOKEN,
} from './requests.js';
import { APP_ID, TEAM_ID } from './workspace.js';

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

export function userObject(
  userId: string,
  teamId: string,
  userName?: string,
): { id: string; username: string; name: string; team_id: string } {
  const name = userName ?? (userId.replace(/^[UW]0?/, '').toLowerCase() || 'user');
  return { id: userId, username: name, name, team_id: teamId };
}

export function plainText(text: string): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text, emoji: true };
}

export function actionTs(): string {
  const now = Date.now();
  return `${Math.floor(now / 1000)}.${String((now % 1000) * 1000 + Math.floor(Math.random() * 1000)).padStart(6, '0')}`;
}

export interface BlockActionInput {
  userId: string;
  /** The user's name (default: made from the ID, `U0ALICE` is `alice`). */
  userName?: string;
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
  /** The button's style, echoed as Slack does. */
  style?: 'primary' | 'danger';
  /** The message is an ephemeral one (only the clicker sees it): Slack says so in the container. */
  ephemeral?: boolean;
}

/** A `block_actions` payload for a button click (or static_select choice) on a message, shaped like Slack's. */
export function makeBlockAction(input: BlockActionInput): Record<string, unknown> {
  const teamId = input.teamId ?? TEAM_ID;
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
        ...(input.style ? { style: input.style } : {}),
        action_ts: actionTs(),
      };
  const message: Record<string, unknown> = {
    type: 'message',
    subtype: 'bot_message',
    user: 'UBOT',
    bot_id: 'BBOT',
    app_id: APP_ID,
    team: teamId,
    ts: input.messageTs,
    text: input.message?.text ?? '',
    blocks: input.message?.blocks ?? [],
  };
  if (input.message?.thread_ts !== undefined) message.thread_ts = input.message.thread_ts;
  return {
    type: 'block_actions',
    user: userObject(input.userId, teamId, input.userName),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: input.ephemeral ?? false,
      ...(input.message?.thread_ts !== undefined ? { thread_ts: input.message.thread_ts } : {}),
    },
    trigger_id: input.triggerId ?? makeTriggerId(),
    team: { id: teamId, domain: TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: input.channelName ?? 'incident-channel' },
    message,
    state: { values: input.stateValues ?? {} },
    response_url: input.responseUrl,
    actions: [action],
  };
}

export interface MessageShortcutInput {
  /** The shortcut's callback id (manifest.yml's message shortcuts). */
  callbackId: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  /**
   * The message it is used on, as Slack echoes it: its ts and author, its text, and what an integration's message holds
   * instead (attachments, blocks, a bot_id).
   */
  message: { ts: string; user?: string; text?: string } & Record<string, unknown>;
  responseUrl: string;
  triggerId?: string;
  teamId?: string;
}

/** A `message_action` payload (a message shortcut, from a message's ⋮ menu), shaped like Slack's. */
export function makeMessageShortcut(input: MessageShortcutInput): Record<string, unknown> {
  const teamId = input.teamId ?? TEAM_ID;
  return {
    type: 'message_action',
    token: VERIFICATION_TOKEN,
    action_ts: actionTs(),
    team: { id: teamId, domain: TEAM_DOMAIN },
    user: userObject(input.userId, teamId, input.userName),
    channel: { id: input.channelId, name: input.channelName ?? 'general' },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: input.callbackId,
    trigger_id: input.triggerId ?? makeTriggerId(),
    response_url: input.responseUrl,
    message_ts: input.message.ts,
    message: { type: 'message', ...input.message },
  };
}

export interface ViewSubmissionInput {
  userId: string;
  /** The user's name (default: made from the ID). */
  userName?: string;
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
  /** The view's hash as Slack last gave it. */
  hash?: string;
  /** Labels of the modal's buttons (default Submit and Cancel). */
  submit?: string;
  close?: string;
}

let viewCounter = 0;

/** A `view_submission` payload for a submitted modal, shaped like Slack's. */
export function makeViewSubmission(input: ViewSubmissionInput): Record<string, unknown> {
  const teamId = input.teamId ?? TEAM_ID;
  viewCounter++;
  const viewId = input.viewId ?? `VSUB${String(viewCounter).padStart(6, '0')}`;
  return {
    type: 'view_submission',
    team: { id: teamId, domain: TEAM_DOMAIN },
    user: userObject(input.userId, teamId, input.userName),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: input.triggerId ?? makeTriggerId(),
    view: {
      id: viewId,
      team_id: teamId,
      type: 'modal',
      blocks: input.blocks ?? [],
      private_metadata: input.privateMetadata,
      callback_id: input.callbackId,
      state: { values: input.values },
      hash: input.hash ?? `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      title: plainText(input.title ?? 'Incident'),
      clear_on_close: false,
      notify_on_close: false,
      close: plainText(input.close ?? 'Cancel'),
      submit: plainText(input.submit ?? 'Submit'),
      previous_view_id: null,
      root_view_id: viewId,
      app_id: APP_ID,
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
// Events

let eventCounter = 0;

/** An Events API `app_mention`: someone wrote `<@UBOT> …` in a channel. Sent as JSON, signed like the rest. */
export function makeAppMention(input: {
  userId: string;
  channelId: string;
  text: string;
  ts: string;
  botUserId: string;
  threadTs?: string;
}): Record<string, unknown> {
  eventCounter++;
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEAM_ID,
    api_app_id: APP_ID,
    type: 'event_callback',
    event_id: `Ev${Date.now().toString(36).toUpperCase()}${eventCounter}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'app_mention',
      user: input.userId,
      text: input.text,
      ts: input.ts,
      channel: input.channelId,
      event_ts: input.ts,
      ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
    },
    authorizations: [{ team_id: TEAM_ID, user_id: input.botUserId, is_bot: true }],
  };
}
