import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { register as registerAttachAlert } from './attach-alert.view.js';
import { register as registerDeclare } from './declare-incident.view.js';
import { register as registerForms } from './incident-forms.view.js';
import { register as registerOnCallOverride } from './oncall-override.view.js';
import { register as registerPlaybookForms } from './playbook-run.view.js';
import { register as registerPostmortem } from './postmortem.view.js';

export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  registerForms(app, deps);
  registerPlaybookForms(app, deps);
  registerPostmortem(app, deps);
  registerDeclare(app, deps);
  registerAttachAlert(app, deps);
  registerOnCallOverride(app, deps);
}
