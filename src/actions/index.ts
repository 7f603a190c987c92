import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { register as registerActionItems } from './action-items.actions.js';
import { register as registerAlerts } from './alert.actions.js';
import { register as registerHome } from './app-home.actions.js';
import { register as registerChecklist } from './checklist.actions.js';
import { register as registerCard } from './incident-card.actions.js';
import { register as registerMessageShortcut } from './message-shortcut.actions.js';
import { register as registerOnCall } from './oncall.actions.js';
import { register as registerPlaybook } from './playbook.actions.js';
import { register as registerPostmortem } from './postmortem.actions.js';
import { register as registerPrivate } from './private-incident.actions.js';

export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  registerCard(app, deps);
  registerPlaybook(app, deps);
  registerChecklist(app, deps);
  registerPostmortem(app, deps);
  registerActionItems(app, deps);
  registerHome(app, deps);
  registerAlerts(app, deps);
  registerOnCall(app, deps);
  registerPrivate(app, deps);
  registerMessageShortcut(app, deps);
}
