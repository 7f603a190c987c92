import { type CheckContext, OUTPUT_CHECKS, rolledBackTo, runningVersion } from '../ops/output-checks.js';
import { stepsOf } from '../runbook/playbook-steps.js';
import type { CommandStep, Playbook, PlaybookStep } from '../runbook/playbooks.js';
import {
  POST_DEPLOYMENT_VERIFICATION,
  ROLLBACK,
  ROLLBACK_STEPS,
  rollbackVersionNamed,
  type VerificationCheck,
} from '../runbook/rollback-playbook.js';
import { DomainError } from './errors.js';
import { type PlaybookHost, placeOf } from './playbook-host.js';
import type { CheckResult, PlaybookChat, RetryAnswer, RollbackVerdict, RunView } from './ports.js';
import type { RunResult, StepRuns } from './step-runs.js';

/** One check to run: as POST_DEPLOYMENT_VERIFICATION writes it, and the playbook step it is recorded as. */
interface PlacedCheck extends VerificationCheck {
  playbook: Playbook;
  key: string;
}

/** The built-in post-deployment verification, recorded as steps of the built-in rollback playbook. */
const BUILT_IN: readonly PlacedCheck[] = POST_DEPLOYMENT_VERIFICATION.map((c, i) => ({
  ...c,
  playbook: ROLLBACK,
  key: ROLLBACK_STEPS.verify[i]!,
}));

/** A deployment (`atom-cli deploy …`): the post-deployment verification follows it once it succeeded. */
export function isDeployStep(step: PlaybookStep): step is CommandStep {
  return step.type === 'command' && step.run[0] === 'atom-cli' && step.run[1] === 'deploy';
}

/**
 * A playbook's own post-deployment verification: its steps the bot runs that state the runbook's expected result
 * (`expect`), in order. Empty: the playbook lists none, and the built-in verification follows its deploy and rollback
 * steps instead (checksAfter).
 */
export function verificationOf(playbook: Playbook): PlacedCheck[] {
  return stepsOf(playbook).flatMap(({ key, step }) =>
    step.type !== 'text' && step.expect
      ? [
          {
            name: step.type === 'http' ? `GET ${step.path}` : step.run.join(' '),
            step,
            expected: step.expect,
            playbook,
            key,
          },
        ]
      : [],
  );
}

/**
 * What verifies a deploy or rollback step of this playbook: its own checks (so its checklist ticks them), or, when it
 * lists none, the runbook's whole Post-Deployment Verification, built in. Never nothing: every deploy is verified.
 */
export function checksAfter(playbook: Playbook): readonly PlacedCheck[] {
  const own = verificationOf(playbook);
  return own.length > 0 ? own : BUILT_IN;
}

/**
 * The runbook's post-deployment verification after a rollback or a deployment (checksAfter: the playbook's own checks,
 * so its checklist ticks them, else the built-in ones, recorded as steps of the built-in rollback playbook): each check
 * is run and recorded, then one message reports pass or fail for each, with the expected result.
 */
export class PostDeploymentVerification {
  /**
   * What the deployment history says of a version now (RollbackService sets it: it reads the history), asked after a
   * rollback failed, so its message names the version to try again with only when a rollback to it is offered.
   */
  retryAnswer: (version: string) => Promise<RetryAnswer> = async () => 'unread';

  /**
   * What is known already, without reading the history again, of a version a rollback failed to reach: what the host's
   * last list of deployments said of it (RollbackService sets it), else 'unread'. The failure is said with it at once.
   */
  knownAnswer: (host: PlaybookHost, version: string) => Promise<RetryAnswer> = async () => 'unread';

  constructor(
    private readonly chat: PlaybookChat,
    private readonly runs: Pick<StepRuns, 'target' | 'execute' | 'mask'>,
    /**
     * Keeps how a rollback ended on its host's timeline (`rollback_verified`), by whom it was asked; may return what
     * follows once it is said (the lists of deployments, marked out of date with the record, redrawn).
     */
    private readonly record: (
      host: PlaybookHost,
      userId: string,
      verdict: RollbackVerdict,
    ) => Promise<void | (() => Promise<void>)> = async () => {},
  ) {}

  /**
   * After a rollback step of `playbook` ran (`target`, as run, and its result): reports that it failed, or verifies
   * and reports every check. The checks that read the running version (`running_version`) compare it with the version
   * rolled back to: the one named, else the one the rollback's output says, or a release it says it made from it.
   */
  async afterRollback(
    host: PlaybookHost,
    playbook: Playbook,
    target: string[],
    rolled: RunResult,
    userId: string,
  ): Promise<RollbackVerdict> {
    const command = ['atom-cli', ...target.slice(1)].map(this.runs.mask).join(' ');
    const named = rollbackVersionNamed(target);
    // A rollback naming no version (the runbook's emergency one) is titled with the version its output says.
    const version = named ?? rolledBackTo(rolled.full) ?? 'the previous release';
    const { view } = rolled;
    if (view.state !== 'succeeded') {
      const detail = view.detail ?? `exit ${view.exitCode}`;
      const verdict: RollbackVerdict = {
        version,
        result: 'not_run',
        running: null,
        failed: [{ name: command, detail }],
      };
      const afterSaid = await this.record(host, userId, verdict);
      await this.report(host, version, [{ name: command, ok: false, expected: 'exit 0', detail }], verdict, afterSaid);
      return verdict;
    }
    const rolledBack = { version: named ?? rolledBackTo(rolled.full), output: rolled.full };
    const checks = await this.verify(host, userId, checksAfter(playbook), { rolledBack });
    const failed = checks.filter((c) => !c.ok && !c.unchecked);
    const verdict: RollbackVerdict = {
      version,
      result: failed.length ? 'failed' : checks.some((c) => c.unchecked) ? 'unchecked' : 'passed',
      running: checks.find((c) => c.running)?.running ?? null,
      failed: failed.map((c) => ({ name: c.name, detail: c.detail })),
    };
    // On the record before it is said: a click on an old list's button reads it. What follows the record (the lists
    // of deployments it marked out of date, redrawn) is done once it is said, before the history is read again.
    const afterSaid = await this.record(host, userId, verdict);
    await this.report(host, version, checks, verdict, afterSaid);
    return verdict;
  }

  /**
   * Says how a rollback ended at once. A failure names the version to try again with as far as is known already (the
   * last list of deployments); then, after `afterSaid`, the history is read again (up to 2 s) and the message shown
   * again when that says otherwise (the version is not in it, say). A history that cannot be read changes nothing.
   */
  private async report(
    host: PlaybookHost,
    version: string,
    checks: CheckResult[],
    verdict: RollbackVerdict,
    afterSaid: void | (() => Promise<void>),
  ): Promise<void> {
    const failed = verdict.result === 'failed' || verdict.result === 'not_run';
    const place = placeOf(host);
    let ts: string | undefined;
    let known: RetryAnswer | undefined;
    try {
      known = failed ? await this.knownAnswer(host, version).catch((): RetryAnswer => 'unread') : undefined;
      ts = await this.chat.postVerification(place, version, checks, verdict, known);
    } finally {
      await afterSaid?.();
    }
    if (!failed || !ts) return;
    const fresh = await this.retryAnswer(version);
    if (fresh === 'unread' || fresh === known) return;
    // What was said stands when Slack refuses: it named no version the history was seen to offer.
    await this.chat.updateVerification(place, ts, version, checks, verdict, fresh).catch(() => undefined);
  }

  /**
   * After a deployment step succeeded: runs the deploying playbook's verification (checksAfter), reports each check,
   * and returns whether no check failed (one that could not be run, as not configured, is told to be checked by hand,
   * and does not bring the rollback offer with it).
   */
  async afterDeploy(host: PlaybookHost, playbook: Playbook, shown: string, userId: string): Promise<boolean> {
    const results = await this.verify(host, userId, checksAfter(playbook));
    await this.chat.postVerification(placeOf(host), { deployed: shown }, results);
    return results.every((r) => r.ok || r.unchecked);
  }

  /**
   * Runs every check, one after another; a check that cannot run is not checked, with the reason. `context`: what
   * the checks that read output know besides it (the rollback verified, if it is one).
   */
  async verify(
    host: PlaybookHost,
    userId: string,
    checks: readonly PlacedCheck[] = BUILT_IN,
    context: CheckContext = {},
  ): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const check of checks) {
      const { name, expected } = check;
      let run: { view: RunView; full: string };
      try {
        const target = this.runs.target(check.step, {});
        run = await this.runs.execute({
          host,
          playbook: check.playbook,
          step: check.step,
          key: check.key,
          target,
          userId,
          approvedBy: null,
          checkContext: context,
        });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({ name, expected, ok: false, unchecked: true, detail: err.message });
        continue;
      }
      const { view, full } = run;
      const ran = view.state === 'succeeded';
      // The built-in checks' output is read here; a step of the runbook file reads its own (`check`) as it runs, and
      // is read again here for what the report says of it (what was expected, whether it could be checked at all).
      const output = check.output ?? (check.step.type === 'command' ? check.step.check : undefined);
      const verdict = output && view.exitCode === 0 ? OUTPUT_CHECKS[output](full, context) : null;
      const running = output === 'running_version' && view.exitCode === 0 ? runningVersion(full) : null;
      results.push({
        ...(running ? { running } : {}),
        name,
        expected: verdict?.expected ?? expected,
        ok: verdict ? verdict.ok && ran : ran,
        ...(ran && verdict?.unchecked ? { unchecked: true as const } : {}),
        detail: verdict?.detail ?? view.detail ?? (view.exitCode !== null ? `exit ${view.exitCode}` : view.state),
      });
    }
    return results;
  }
}
