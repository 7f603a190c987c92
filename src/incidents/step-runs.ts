import type { CheckContext } from '../ops/output-checks.js';
import type { Playbook, PlaybookStep, RunnableStep } from '../runbook/playbooks.js';
import type { Queryable } from '../store/db.js';
import type { HostRef, PlaybookHost } from './playbook-host.js';
import type { RunView } from './ports.js';

/** A step's run as it ended, with the whole output (redacted). */
export interface RunResult {
  view: RunView;
  full: string;
  /** The run's message (in the playbook's thread), where its output is; null when it could not be posted. */
  ts?: string | null;
}

/**
 * One run of a step: whose (an incident's, or a playbook run's outside one), which, with what (the argv filled in),
 * asked for by whom, approved by whom (or nobody).
 */
export interface StepRun {
  host: PlaybookHost;
  playbook: Playbook;
  step: RunnableStep;
  key: string;
  target: string[];
  userId: string;
  approvedBy: string | null;
  /** The approval request it carries out, when approved: every drawing of the request says how this run ended. */
  approvalId?: number;
  /** What the step's output check knows besides the output: the rollback it verifies, when it follows one. */
  checkContext?: CheckContext;
}

/**
 * What approvals, rollback and verification need from running steps (the playbook service): find a step, fill it in,
 * run it. `execute` runs exactly one step; `perform` is a step a person asked for, with what follows it (the
 * post-deployment verification after a rollback).
 */
export interface StepRuns {
  step(playbookId: string, key: string): { playbook: Playbook; step: PlaybookStep };
  /** An incident or a run outside one, as it is now. */
  host(ref: HostRef): Promise<PlaybookHost>;
  /** Throws when this person is not in the host's channel; `doing` is what they may not do, in words. */
  checkMember(host: PlaybookHost, userId: string, doing: string): Promise<void>;
  /** How someone outside the host's channel gets in (join it, or ask to be added to a private one), in words. */
  wayIn(host: PlaybookHost): Promise<string>;
  /** Whether anyone may join the host's channel (a public incident's): then the bot may add someone to it. */
  openToJoin(host: PlaybookHost): Promise<boolean>;
  /**
   * Throws when the playbook is not this host's to work any more (detached from the incident). In a transaction (`q`),
   * the attachment stays locked until it ends.
   */
  checkWorkable(host: PlaybookHost, playbookId: string, q?: Queryable): Promise<void>;
  /** The argv (or URL) a step runs with these values as typed. */
  target(step: RunnableStep, values: Record<string, string>): string[];
  /** The values as typed, from the values an approval request carries (some sealed); throws when one cannot be opened. */
  openParams(step: RunnableStep, values: Record<string, string>): Record<string, string>;
  /** What a person is shown of a target (the command as the runbook names it), secrets masked. */
  shown(step: RunnableStep, target: string[]): string[];
  /** Masks secrets in a text shown to a person: by pattern, and by value the ones the bot knows. */
  mask(text: string): string;
  execute(run: StepRun): Promise<RunResult>;
  perform(run: StepRun): Promise<RunResult>;
}
