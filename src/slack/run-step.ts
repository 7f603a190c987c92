import type { PlaybookHost } from '../incidents/playbook-host.js';
import type { ListenerDeps } from './deps.js';
import type { Tell } from './handle.js';

const APPROVAL_REQUESTED_TEXT = ':raised_hand: Approval requested: an approver must approve before it runs.';

/**
 * Runs a playbook step for the person who asked (a Run button, the parameters form, its confirmation), for an
 * incident or a playbook run outside one. The service checks again who may run it, on this host as it is.
 */
export async function runStep(
  deps: Pick<ListenerDeps, 'playbooks' | 'limits'>,
  tell: Tell,
  step: { host: PlaybookHost; playbookId: string; stepKey: string; params?: Record<string, string> | undefined },
  userId: string,
): Promise<void> {
  const { host, playbookId, stepKey, params } = step;
  await deps.limits.run(userId);
  const r = await deps.playbooks.run(host, playbookId, stepKey, userId, params);
  if (r.kind === 'approval_requested') await tell(APPROVAL_REQUESTED_TEXT);
}
