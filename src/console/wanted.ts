/** Whether `npm start` opens the console: asked for (`--console`), or no Slack credentials and a person at the keys. */
export function consoleWanted(argv: string[], env: NodeJS.ProcessEnv, stdinIsTTY: boolean): boolean {
  if (argv.includes('--console')) return true;
  const set = (k: string) => Boolean(env[k]?.trim());
  const credentials = set('SLACK_BOT_TOKEN') || set('SLACK_APP_TOKEN') || set('SLACK_SIGNING_SECRET');
  return !credentials && stdinIsTTY;
}
