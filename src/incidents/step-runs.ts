import type { Playbook, PlaybookStep, RunnableStep } from '../runbook/playbooks.js';
import type { RunView } from './ports.js';
import type { Incident } from './types.js';

/** A step's run as it ended, with the whole output (redacted). */
export interface RunResult {
  view: RunView;
  full: string;
}

/** One run of a step: which, with what (the argv filled in), asked for by whom, approved by whom (or nobody). */
export interface StepRun {
  incident: Incident;
  playbook: Playbook;
  step: RunnableStep;
  key: string;
  target: string[];
  userId: string;
  approvedBy: string | null;
}

/**
 * What approvals, rollback and verification need from running steps (the playbook service): find a step, fill it in,
 * run it. `execute` runs exactly one step; `perform` is a step a person asked for, with what follows it (the
 * post-deployment verification after a rollback).
 */
export interface StepRuns {
  step(playbookId: string, key: string): { playbook: Playbook; step: PlaybookStep };
  target(step: RunnableStep, values: Record<string, string>): string[];
  /** What a person is shown of a target (the command as the runbook names it), secrets masked. */
  shown(step: RunnableStep, target: string[]): string[];
  /** Masks secrets in a text shown to a person: by pattern, and by value the ones the bot knows. */
  mask(text: string): string;
  execute(run: StepRun): Promise<RunResult>;
  perform(run: StepRun): Promise<RunResult>;
}
