import type { HostRef } from '../../src/incidents/playbook-host.js';
import type { StepRunInput } from '../../src/store/step-run.repo.js';

/** A run of Web Down's `atom-cli status` step `stepKey` on `host`, asked for by U1 with no approval: as recorded. */
export const statusRunInput = (host: HostRef, stepKey: string): StepRunInput & { approvedBy: null } => ({
  host,
  playbookId: 'web-down',
  stepKey,
  kind: 'command',
  target: ['atom-cli', 'status'],
  requestedBy: 'U1',
  approvedBy: null,
});
