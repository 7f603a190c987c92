import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { register as registerAlerts } from './alert.actions.js';
import { register as registerCard } from './incident-card.actions.js';
import { register as registerPlaybook } from './playbook.actions.js';

export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  registerCard(app, deps);
  registerPlaybook(app, deps);
  registerAlerts(app, deps);
}
