/**
 * Requests the way Slack sends them to an app, with the tests' defaults: a slash command from `U0REPORTER` in
 * `#general`. Signing and the payload builders are the local Slack's (src/local-slack/requests.ts), re-exported here.
 */
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
