/**
 * The baseline for the benches: a Bolt app that does nothing but ack `/incident`, every button or select click
 * (block_actions) and every modal submission (view_submission). Same Bolt version, same receiver (HTTPReceiver),
 * same signature checks as the bot; no database, no services, no other listeners.
 *
 * Plain JavaScript, run by plain node like the built bot (dist/app.js), so neither pays for a TypeScript loader.
 *
 * Env: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL (the fake Slack), PORT (0 picks a free one).
 * Prints `Bare Bolt listening on http://127.0.0.1:<port>/slack/events` when ready.
 */
import { App } from '@slack/bolt';

const token = process.env.SLACK_BOT_TOKEN;
const signingSecret = process.env.SLACK_SIGNING_SECRET;
const slackApiUrl = process.env.SLACK_API_URL;
if (!token || !signingSecret || !slackApiUrl) {
  console.error('bare-bolt needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL');
  process.exit(1);
}

const app = new App({ token, signingSecret, clientOptions: { slackApiUrl } });
app.command('/incident', async ({ ack }) => ack());
app.action(/.*/, async ({ ack }) => ack());
app.view(/.*/, async ({ ack }) => ack());

const server = await app.start({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
const { port } = server.address();
console.log(`Bare Bolt listening on http://127.0.0.1:${port}/slack/events`);

const stop = () => {
  app.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
