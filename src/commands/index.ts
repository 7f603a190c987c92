import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { INCIDENT_COMMAND, register as registerIncident } from './incident.command.js';

/** Every slash command the app listens to; a test checks this against manifest.yml. */
export const COMMANDS = [INCIDENT_COMMAND] as const;

export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  registerIncident(app, deps);
}
