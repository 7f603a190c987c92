import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { register as registerForms } from './incident-forms.view.js';
import { registerConfirm, registerDeny, register as registerRun } from './playbook-run.view.js';

export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  registerForms(app, deps);
  registerRun(app, deps);
  registerDeny(app, deps);
  registerConfirm(app, deps);
}
