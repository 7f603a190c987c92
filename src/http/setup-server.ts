import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { HealthRoute } from './health.js';

const MANIFEST = fileURLToPath(new URL('../../manifest.yml', import.meta.url));

export const SETUP_INSTRUCTIONS = `The bot has no Slack credentials yet, so it is running in set-up mode.

To connect it to Slack:
  1. Go to https://api.slack.com/apps -> Create New App -> From an app manifest,
     pick your workspace and paste manifest.yml (also served at /manifest.yml here).
  2. Install the app to the workspace (Install App), then set:
       SLACK_BOT_TOKEN       Bot User OAuth Token (xoxb-...), from OAuth & Permissions
     and, for HTTP mode (Slack calls https://<your-host>/slack/events):
       SLACK_SIGNING_SECRET  Signing Secret, from Basic Information -> App Credentials
     or, for Socket Mode (no public URL needed; enable Socket Mode in the app settings):
       SLACK_APP_TOKEN       App-level token (xapp-...) with the connections:write scope
  3. Optionally INCIDENTS_CHANNEL (a channel ID such as C0123456789, or a name such as
     #incidents) to announce incidents, and DATABASE_URL for Postgres (without it an
     embedded database is kept in DATA_DIR).
  4. Run npm start again.
`;

/** With no credentials, `npm start` still serves something useful: the instructions, the manifest and health. */
export function startSetupServer(port: number, host: string | undefined, routes: HealthRoute[]): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (route) {
      void route.handler(req, res);
      return;
    }
    if (req.method === 'GET' && path === '/manifest.yml') {
      res.writeHead(200, { 'content-type': 'text/yaml; charset=utf-8' });
      res.end(readFileSync(MANIFEST, 'utf8'));
      return;
    }
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(SETUP_INSTRUCTIONS);
      return;
    }
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: 'not_configured',
        message: 'Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN); see GET /',
      }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
