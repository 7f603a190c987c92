import {
  type Deployment,
  deploymentTyped,
  findRollbackTarget,
  isUnhealthy,
  parseDeployments,
} from '../ops/deployments.js';
import type { CommandStep } from '../runbook/playbooks.js';
import { ROLLBACK, ROLLBACK_STEPS } from '../runbook/rollback-playbook.js';
import type { Database } from '../store/db.js';
import { lastRollbackSince } from '../store/step-run.repo.js';
import { DomainError } from './errors.js';
import { incidentOrThrow } from './find-incident.js';
import type { PlaybookService } from './playbook.service.js';
import { hostRef, type PlaybookHost, placeOf } from './playbook-host.js';
import type {
  AskedVersion,
  OfferedVersion,
  PastRollback,
  PlaybookChat,
  RetryAnswer,
  RollbackVerdict,
  ShownDeployments,
} from './ports.js';
import type { RollbackLists } from './rollback-lists.js';

/** How many deployments the list shows, and a version typed is looked for among: the recent ones. */
const RECENT = 10;

/** How long a form's check of a typed version waits for `atom-cli deployments`: Slack wants its answer within 3 s. */
const HISTORY_PEEK_MS = 2_000;

/**
 * What a version typed means against the recent deployments (newest first): the deployment meant, and whether a
 * rollback is offered to it (not the current one, not one whose deployment did not succeed, not one missing). The one
 * rule of the rollback list, `/incident rollback vN` and a playbook step's `version` parameter.
 */
export function askVersion(recent: readonly Deployment[], typed: string): AskedVersion {
  const meant = deploymentTyped(recent, typed);
  return {
    typed,
    version: meant?.version ?? null,
    answer: !meant ? 'unknown' : meant.current ? 'current' : isUnhealthy(meant) ? 'unhealthy' : 'offered',
  };
}

/** The versions a rollback is offered to, newest first, the last good one before the current marked. */
export function offeredVersions(recent: readonly Deployment[]): OfferedVersion[] {
  const lastGood = findRollbackTarget(recent)?.version;
  return recent
    .filter((d) => !d.current && !isUnhealthy(d))
    .map((d) => ({ version: d.version, lastGood: d.version === lastGood }));
}

/**
 * A step's `version` parameters read against the deployment history: those refused (each with what it means and the
 * versions to choose from), or, when the history could not be read, why (the confirmation says so; the person decides).
 */
export type VersionCheck =
  | { kind: 'checked'; refused: { name: string; asked: AskedVersion; offered: OfferedVersion[] }[] }
  | { kind: 'unread'; why: string }
  | { kind: 'none' };

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
    /** The lists of deployments posted, redrawn out of date after a rollback or a deploy. */
    readonly lists: RollbackLists | null = null,
  ) {
    // A failed rollback names its version to try again with only when the history offers a rollback to it.
    playbooks.verification.retryAnswer = (version) => this.retryAnswer(version);
    playbooks.verification.knownAnswer = (host, version) => this.knownAnswer(host, version);
  }

  /** What the host's last list of deployments said of a version (no history read): 'unread' when it posted none. */
  async knownAnswer(host: PlaybookHost, version: string): Promise<RetryAnswer> {
    const last = await this.lists?.latest(host);
    if (!last) return 'unread';
    return askVersion(
      last.shown.deployments.map((d) => ({ ...d, raw: '' })),
      version,
    ).answer;
  }

  /** What the recent deployments say of a version a rollback failed to reach (read quietly, as checkVersions does). */
  async retryAnswer(version: string): Promise<RetryAnswer> {
    const recent = await this.peekRecent();
    return recent.kind === 'read' ? askVersion(recent.recent, version).answer : 'unread';
  }

  /** The recent deployments, read quietly (not recorded), or why they could not be. */
  private async peekRecent(): Promise<{ kind: 'read'; recent: Deployment[] } | { kind: 'unread'; why: string }> {
    const { step: list } = this.playbooks.step(ROLLBACK.id, ROLLBACK_STEPS.deployments);
    if (list.type !== 'command') throw new Error('rollback playbook is malformed');
    let read: Awaited<ReturnType<PlaybookService['peek']>>;
    try {
      read = await this.playbooks.peek(list, HISTORY_PEEK_MS);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return { kind: 'unread', why: err.message };
    }
    if (read.state === 'timed_out') return { kind: 'unread', why: 'it did not answer within 2 s' };
    if (read.state !== 'succeeded') return { kind: 'unread', why: `\`atom-cli deployments\` failed: ${read.detail}` };
    const recent = this.parse(read.full).slice(0, RECENT);
    if (recent.length === 0) return { kind: 'unread', why: 'no version could be read from `atom-cli deployments`' };
    return { kind: 'read', recent };
  }

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
    if (view.state !== 'succeeded') {
      // The run message says what went wrong; this says what the person can do still (as a step's form does).
      const why = view.detail ?? (view.exitCode !== null ? `exit ${view.exitCode}` : view.state);
      await this.chat.postHistoryUnread(placeOf(host), {
        typed: typed?.trim() || null,
        why: `\`atom-cli deployments\` ${view.state === 'timed_out' ? 'timed out' : 'failed'}: ${why}`,
        runId: host.kind === 'run' ? host.run.id : null,
      });
      return;
    }
    const deployments = this.parse(full);
    if (deployments.length === 0) {
      throw new DomainError(
        'no_deployments',
        "Couldn't read any version from `atom-cli deployments`. If its format changed, set DEPLOYMENTS_PATTERN (a regular expression with a named group `version`, and optionally `current`, `status`, `date` and `description`).",
      );
    }
    // A version typed with the command is answered on the list: its button to press (confirming there), or why none.
    const shown = deployments.slice(0, RECENT);
    const asked = typed ? askVersion(shown, typed) : undefined;
    const list: ShownDeployments = {
      deployments: shown.map(({ raw: _, ...d }) => (isUnhealthy(d) ? { ...d, unhealthy: true as const } : d)),
      suggested: findRollbackTarget(deployments)?.version ?? null,
      runId: host.kind === 'run' ? host.run.id : null,
      ...(asked ? { asked } : {}),
    };
    const ts = await this.chat.postDeployments(placeOf(host), list.deployments, list.suggested, list.runId, asked);
    await this.lists?.posted(host, ts, list);
  }

  private parse(output: string): Deployment[] {
    return parseDeployments(output, this.opts.deploymentsPattern ? { pattern: this.opts.deploymentsPattern } : {});
  }

  /**
   * A step's `version` parameters (their values as typed, or defaults) read against the recent deployments, as the
   * rollback list reads a version typed: the history read quietly (not recorded: a look before the form is answered).
   * Nothing to check when the step has no such parameter or none is given.
   */
  async checkVersions(step: CommandStep, values: Readonly<Record<string, string>>): Promise<VersionCheck> {
    const typed = Object.entries(step.params).flatMap(([name, spec]) => {
      const value = values[name] || spec.default;
      return spec.kind === 'version' && value ? [{ name, value }] : [];
    });
    if (typed.length === 0) return { kind: 'none' };
    const read = await this.peekRecent();
    if (read.kind === 'unread') return read;
    const { recent } = read;
    const offered = offeredVersions(recent);
    return {
      kind: 'checked',
      refused: typed
        .map(({ name, value }) => ({ name, asked: askVersion(recent, value), offered }))
        .filter((r) => r.asked.answer !== 'offered'),
    };
  }

  /**
   * Roll back, step 2: `atom-cli rollback <version>` (responders only), then the runbook's post-deployment
   * verification (POST_DEPLOYMENT_VERIFICATION), each check reported pass or fail with its expected result.
   */
  async rollbackTo(incidentId: number, version: string, userId: string): Promise<void> {
    const host = await this.playbooks.host({ kind: 'incident', id: incidentId });
    await this.rollbackAt(host, version, userId);
  }

  /**
   * Roll back, step 2, for any host (an incident, or a playbook run outside one): how it ended, as its verification
   * found (null when it did not run here: a second person's approval was asked for instead).
   */
  async rollbackAt(host: PlaybookHost, version: string, userId: string): Promise<RollbackVerdict | null> {
    const r = await this.playbooks.run(host, ROLLBACK.id, ROLLBACK_STEPS.rollback, userId, { version });
    return r.kind === 'ran' ? (r.verdict ?? null) : null;
  }

  /**
   * The newest rollback this host made after `since` (when a list of deployments was posted: a list older than it shows
   * versions that are no longer right), or null.
   */
  async rolledBackSince(host: PlaybookHost, since: Date): Promise<PastRollback | null> {
    const found = await lastRollbackSince(this.db, hostRef(host), since);
    if (!found) return null;
    const d = found.details;
    const result = ['passed', 'failed', 'unchecked', 'not_run'].includes(String(d.result))
      ? (d.result as RollbackVerdict['result'])
      : 'unchecked';
    const failed = Array.isArray(d.failed)
      ? (d.failed as Record<string, unknown>[]).map((f) => ({
          name: String(f.name ?? ''),
          detail: String(f.detail ?? ''),
        }))
      : [];
    return {
      at: found.at,
      by: found.by,
      verdict: {
        version: typeof d.version === 'string' ? d.version : '?',
        result,
        running: typeof d.running === 'string' ? d.running : null,
        failed,
      },
    };
  }
}
