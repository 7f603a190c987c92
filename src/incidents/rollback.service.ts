import { findRollbackTarget, parseDeployments } from '../ops/deployments.js';
import { redact } from '../ops/redact.js';
import { ROLLBACK, ROLLBACK_STEPS } from '../runbook/rollback-playbook.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import { DomainError, IncidentNotFoundError } from './errors.js';
import type { PlaybookService } from './playbook.service.js';
import type { PlaybookChat } from './ports.js';
import type { StepApprovals } from './step-approvals.service.js';
import type { Incident } from './types.js';

export interface RollbackOptions {
  /** How to read `atom-cli deployments` (DEPLOYMENTS_PATTERN); the default fits the CLI's table. */
  deploymentsPattern?: string;
  /** Whether HEALTH_BASE_URL is set: without it the health endpoints are reported not checked. */
  healthBaseUrl?: string;
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
    private readonly approvals: StepApprovals,
    private readonly opts: RollbackOptions = {},
  ) {}

  /**
   * Roll back, step 1: runs `atom-cli deployments` (recorded like any run) and posts the recent versions, the current
   * one marked, each with a "Roll back to vN" button.
   */
  async showDeployments(incidentId: number, userId: string): Promise<void> {
    const incident = await this.incident(incidentId);
    const { playbook, step } = this.playbooks.step(ROLLBACK.id, ROLLBACK_STEPS.deployments);
    if (step.type !== 'command') throw new Error('rollback playbook is malformed');
    const { view, full } = await this.playbooks.execute(
      incident,
      playbook,
      step,
      ROLLBACK_STEPS.deployments,
      this.playbooks.target(step, {}),
      userId,
      null,
    );
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
    await this.chat.postDeployments(
      incident,
      deployments.slice(0, 10),
      findRollbackTarget(deployments)?.version ?? null,
    );
  }

  /**
   * Roll back, step 2: `atom-cli rollback <version>` (responders only), then the runbook's post-deployment
   * verification: `atom-cli status`, the health endpoints and `atom-cli logs --lines 50`, each reported pass or fail.
   */
  async rollbackTo(incidentId: number, version: string, userId: string): Promise<void> {
    const incident = await this.incident(incidentId);
    const { playbook, step } = this.playbooks.step(ROLLBACK.id, ROLLBACK_STEPS.rollback);
    if (step.type !== 'command') throw new Error('rollback playbook is malformed');
    const target = this.playbooks.target(step, { version });
    await this.approvals.checkAllowed(
      { incidentId, playbookId: ROLLBACK.id, key: ROLLBACK_STEPS.rollback, kind: step.type, shown: target.map(redact) },
      step,
      userId,
    );
    const rolled = await this.playbooks.execute(
      incident,
      playbook,
      step,
      ROLLBACK_STEPS.rollback,
      target,
      userId,
      null,
    );
    if (rolled.view.state !== 'succeeded') {
      await this.chat.postVerification(incident, version, [
        {
          name: `atom-cli rollback ${version}`,
          ok: false,
          detail: rolled.view.detail ?? `exit ${rolled.view.exitCode}`,
        },
      ]);
      return;
    }
    const checks: { name: string; ok: boolean; detail: string }[] = [];
    for (const key of ROLLBACK_STEPS.verify) {
      const { step: check } = this.playbooks.step(ROLLBACK.id, key);
      if (check.type === 'text') continue;
      if (check.type === 'http' && !this.opts.healthBaseUrl) {
        checks.push({ name: `GET ${check.path}`, ok: false, detail: 'not checked: set HEALTH_BASE_URL' });
        continue;
      }
      const r = await this.playbooks.execute(
        incident,
        playbook,
        check,
        key,
        this.playbooks.target(check, {}),
        userId,
        null,
      );
      const name = check.type === 'http' ? `GET ${check.path}` : r.view.target.join(' ');
      checks.push({
        name,
        ok: r.view.state === 'succeeded',
        detail: r.view.detail ?? (r.view.exitCode !== null ? `exit ${r.view.exitCode}` : r.view.state),
      });
    }
    await this.chat.postVerification(incident, version, checks);
  }

  private async incident(id: number): Promise<Incident> {
    const i = await getIncident(this.db, id);
    if (!i) throw new IncidentNotFoundError();
    return i;
  }
}
