/**
 * Requests the way Slack sends them to an app, with the tests' defaults: a slash command from `U0REPORTER` in
 * `#general`. Signing and the payload builders are the local Slack's (src/local-slack/requests.ts), re-exported here.
 */
import { randomBytes } from 'node:crypto';
import { actionTs, plainText, userObject } from '../../src/local-slack/interactions.js';
import {
  encodeSlashCommand,
  makeTriggerId,
  type PostOptions,
  postToSlackApp,
  type SlackAppResponse,
  type SlashCommandFields,
  TEAM_DOMAIN,
  VERIFICATION_TOKEN,
} from '../../src/local-slack/requests.js';
import { APP_ID, TEAM_ID } from '../../src/local-slack/workspace.js';

export {
  type BlockActionInput,
  encodeInteraction,
  makeBlockAction,
  makeMessageShortcut,
  makeViewSubmission,
  postInteraction,
  stateValue,
  type ViewSubmissionInput,
} from '../../src/local-slack/interactions.js';
export {
  encodeSlashCommand,
  makeTriggerId,
  type PostOptions,
  postToSlackApp,
  type SlackAppResponse,
  type SlackSignatureHeaders,
  type SlashCommandFields,
  signSlackRequest,
  TEAM_DOMAIN as TEST_TEAM_DOMAIN,
  VERIFICATION_TOKEN as TEST_VERIFICATION_TOKEN,
} from '../../src/local-slack/requests.js';

export const TEST_TEAM_ID = TEAM_ID;
export const TEST_APP_ID = APP_ID;
export const TEST_REPORTER_ID = 'U0REPORTER';
export const TEST_GENERAL_CHANNEL_ID = 'C0GENERAL';

/** Overrides for {@link makeSlashCommand}: anything, but `response_url` must come from the test (`fake.responseUrl()`). */
export type SlashCommandInput = Partial<SlashCommandFields> & Pick<SlashCommandFields, 'response_url'>;

/** A realistic slash command (`/incident` from `U0REPORTER` in `#general`), with a unique trigger_id. */
export function makeSlashCommand(overrides: SlashCommandInput): SlashCommandFields {
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEST_TEAM_ID,
    team_domain: TEAM_DOMAIN,
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
// Events API

let eventCounter = 0;

/** An Events API envelope (`event_callback`) around `event`, shaped like Slack's. */
export function makeEventCallback(event: Record<string, unknown>, teamId = TEST_TEAM_ID): Record<string, unknown> {
  eventCounter++;
  return {
    token: VERIFICATION_TOKEN,
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
    token: VERIFICATION_TOKEN,
    container: { type: 'view', view_id: viewId },
    trigger_id: input.triggerId ?? makeTriggerId(),
    team: { id: teamId, domain: TEAM_DOMAIN },
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
