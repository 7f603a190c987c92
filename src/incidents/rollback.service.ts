import { deploymentTyped, findRollbackTarget, isUnhealthy, parseDeployments } from '../ops/deployments.js';
import { ROLLBACK, ROLLBACK_STEPS } from '../runbook/rollback-playbook.js';
import type { Database } from '../store/db.js';
import { DomainError } from './errors.js';
import { incidentOrThrow } from './find-incident.js';
import type { PlaybookService } from './playbook.service.js';
import { type PlaybookHost, placeOf } from './playbook-host.js';
import type { AskedVersion, PlaybookChat } from './ports.js';

export interface RollbackOptions {
  /** How to read `atom-cli deployments` (DEPLOYMENTS_PATTERN); the default fits the CLI's table. */
  deploymentsPattern?: string;
}

/**
 * The runbook's Rollback Procedures in two clicks: list the recent deployments, then roll back to one and run the
 * post-deployment verification. Each command is a step of the built-in rollback playbook, run and recorded like any.
 */
export class RollbackService {
  constructor(
    private readonly db: Database,
    private readonly chat: PlaybookChat,
    private readonly playbooks: PlaybookService,
    private readonly opts: RollbackOptions = {},
  ) {}

  /**
   * Roll back, step 1: runs `atom-cli deployments` (recorded like any run) and posts the recent versions, the current
   * one marked, each with a "Roll back to vN" button. Someone who may not roll back (not a responder, or the incident
   * is resolved) is refused here, as any step is at its first click, not after picking a version and confirming.
   */
  async showDeployments(incidentId: number, userId: string, typed?: string | null): Promise<void> {
    const incident = await incidentOrThrow(this.db, incidentId);
    await this.showDeploymentsAt({ kind: 'incident', incident }, userId, typed);
  }

  /**
   * The same for any host: an incident, or a playbook run outside one (a deployment whose post-deployment verification
   * failed offers its rollback so), whose buttons then carry the run.
   */
  async showDeploymentsAt(host: PlaybookHost, userId: string, typed?: string | null): Promise<void> {
    await this.playbooks.checkMayRun(host, ROLLBACK.id, ROLLBACK_STEPS.rollback, userId);
    const { playbook, step } = this.playbooks.step(ROLLBACK.id, ROLLBACK_STEPS.deployments);
    if (step.type !== 'command') throw new Error('rollback playbook is malformed');
    const { view, full } = await this.playbooks.execute({
      host,
      playbook,
      step,
      key: ROLLBACK_STEPS.deployments,
      target: this.playbooks.target(step, {}),
      userId,
      approvedBy: null,
    });
    if (view.state !== 'succeeded') return; // the run message says what went wrong
    const deployments = parseDeployments(
      full,
      this.opts.deploymentsPattern ? { pattern: this.opts.deploymentsPattern } : {},
    );
    if (deployments.length === 0) {
      throw new DomainError(
        'no_deployments',
        "Couldn't read any version from `atom-cli deployments`. If its format changed, set DEPLOYMENTS_PATTERN (a regular expression with a named group `version`, and optionally `current`, `status` and `date`).",
      );
    }
    // A version typed with the command is answered on the list: its button to press (confirming there), or why none.
    const shown = deployments.slice(0, 10);
    const meant = typed ? deploymentTyped(shown, typed) : undefined;
    const asked: AskedVersion | undefined = typed
      ? {
          typed,
          version: meant?.version ?? null,
          answer: !meant ? 'unknown' : meant.current ? 'current' : isUnhealthy(meant) ? 'unhealthy' : 'offered',
        }
      : undefined;
    await this.chat.postDeployments(
      placeOf(host),
      shown.map((d) => (isUnhealthy(d) ? { ...d, unhealthy: true as const } : d)),
      findRollbackTarget(deployments)?.version ?? null,
      host.kind === 'run' ? host.run.id : null,
      asked,
    );
  }

  /**
   * Roll back, step 2: `atom-cli rollback <version>` (responders only), then the runbook's post-deployment
   * verification (POST_DEPLOYMENT_VERIFICATION), each check reported pass or fail with its expected result.
   */
  async rollbackTo(incidentId: number, version: string, userId: string): Promise<void> {
    const host = await this.playbooks.host({ kind: 'incident', id: incidentId });
    await this.rollbackAt(host, version, userId);
  }

  /** Roll back, step 2, for any host (an incident, or a playbook run outside one). */
  async rollbackAt(host: PlaybookHost, version: string, userId: string): Promise<void> {
    await this.playbooks.run(host, ROLLBACK.id, ROLLBACK_STEPS.rollback, userId, { version });
  }
}
