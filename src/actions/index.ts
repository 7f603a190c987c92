import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../slack/deps.js';
import { register as registerCard } from './incident-card.actions.js';
import { register as registerPlaybook } from './playbook.actions.js';

export function register(app: App, deps: ListenerDeps): void {
  registerCard(app, deps);
  registerPlaybook(app, deps);
}
