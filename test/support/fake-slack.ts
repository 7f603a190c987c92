/**
 * The tests' fake Slack Web API is the local Slack the console runs on (src/local-slack): the same server, under the
 * names the tests use.
 */
export {
  type Failure,
  LocalSlack as FakeSlack,
  type RecordedCall,
  type SlackArgs,
  type WaitOptions,
} from '../../src/local-slack/local-slack.js';
export {
  BOT_ID,
  BOT_USER_ID,
  type LocalChannel as FakeChannel,
  type LocalUser as FakeUser,
  type LocalView as FakeView,
  type StoredMessage,
  TEAM_ID,
} from '../../src/local-slack/workspace.js';
