import { OUTPUT_CHECKS } from '../ops/output-checks.js';
import { POST_DEPLOYMENT_VERIFICATION, ROLLBACK, ROLLBACK_STEPS } from '../runbook/rollback-playbook.js';
import { DomainError } from './errors.js';
import { type PlaybookHost, placeOf } from './playbook-host.js';
import type { CheckResult, PlaybookChat, RunView } from './ports.js';
import type { StepRuns } from './step-runs.js';

/**
 * The runbook's post-deployment verification after a rollback: each check of POST_DEPLOYMENT_VERIFICATION is run
 * and recorded as a step of the built-in rollback playbook, then one message reports pass or fail for each, with the
 * expected result.
 */
export class PostDeploymentVerification {
  constructor(
    private readonly chat: PlaybookChat,
    private readonly runs: Pick<StepRuns, 'target' | 'execute' | 'mask'>,
  ) {}

  /** After a rollback step ran (`target`, as run): reports that it failed, or verifies and reports every check. */
  async afterRollback(host: PlaybookHost, target: string[], rolled: RunView, userId: string): Promise<void> {
    const command = ['atom-cli', ...target.slice(1)].map(this.runs.mask).join(' ');
    const version = target.slice(2).find((a) => !a.startsWith('-')) ?? 'the previous release';
    if (rolled.state !== 'succeeded') {
      await this.chat.postVerification(placeOf(host), version, [
        { name: command, ok: false, expected: 'exit 0', detail: rolled.detail ?? `exit ${rolled.exitCode}` },
      ]);
      return;
    }
    await this.chat.postVerification(placeOf(host), version, await this.verify(host, userId));
  }

  /** Runs every check, one after another; a check that cannot run fails with the reason. */
  async verify(host: PlaybookHost, userId: string): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const [i, check] of POST_DEPLOYMENT_VERIFICATION.entries()) {
      const { name, expected } = check;
      let run: { view: RunView; full: string };
      try {
        const target = this.runs.target(check.step, {});
        run = await this.runs.execute({
          host,
          playbook: ROLLBACK,
          step: check.step,
          key: ROLLBACK_STEPS.verify[i]!,
          target,
          userId,
          approvedBy: null,
        });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({ name, expected, ok: false, detail: `not checked: ${err.message}` });
        continue;
      }
      const { view, full } = run;
      const ran = view.state === 'succeeded';
      const verdict = ran && check.output ? OUTPUT_CHECKS[check.output](full) : null;
      results.push({
        name,
        expected,
        ok: ran && (verdict?.ok ?? true),
        detail: verdict?.detail ?? view.detail ?? (view.exitCode !== null ? `exit ${view.exitCode}` : view.state),
      });
    }
    return results;
  }
}
