import { sectionName, stepsOf } from '../runbook/playbook-steps.js';
import type { Playbook } from '../runbook/playbooks.js';
import type { StepCheck } from '../store/step-check.repo.js';
import type { LastStepRun } from '../store/step-run.repo.js';
import type { NotDoneStep, StepStatus } from './ports.js';

/**
 * A playbook as a checklist: each step's status from what was recorded. A text step is what a person ticked (Done,
 * or Skip with a reason). A command or HTTP step is done when its last run succeeded (running or failed before then);
 * a person may skip it, with a reason, rather than run it.
 */
export function stepStatuses(
  playbook: Playbook,
  checks: readonly StepCheck[],
  runs: readonly LastStepRun[],
): Record<string, StepStatus> {
  const out: Record<string, StepStatus> = {};
  for (const { key, step } of stepsOf(playbook)) {
    const check = checks.find((c) => c.stepKey === key);
    if (check) {
      out[key] = { state: check.state, by: check.checkedBy, at: check.checkedAt, reason: check.reason, byRun: false };
      continue;
    }
    const run = step.type === 'text' ? undefined : runs.find((r) => r.stepKey === key);
    if (!run) continue;
    out[key] = {
      state: run.state === 'succeeded' ? 'done' : run.state === 'running' ? 'running' : 'failed',
      by: run.requestedBy,
      at: run.at,
      reason: null,
      byRun: true,
      approvedBy: run.approvedBy,
      ...(run.state === 'stopped' || run.state === 'lost' ? { cutShort: true } : {}),
      ...(run.state === 'failed' && run.signal ? { signal: run.signal } : {}),
      ...(run.found ? { found: run.found } : {}),
      ...(run.found && run.foundSoFar ? { foundSoFar: true } : {}),
      ...(run.messageGivenUpWhy ? { messageGivenUpWhy: run.messageGivenUpWhy } : {}),
    };
  }
  return out;
}

export interface Progress {
  total: number;
  done: number;
  skipped: number;
  /** The first step neither done nor skipped, in the playbook's order; null when every step is. */
  next: { key: string; phase: string; number: number; text: string } | null;
  complete: boolean;
}

/** "4 of 9 done", how many were skipped, and what is next. */
export function progressOf(playbook: Playbook, statuses: Readonly<Record<string, StepStatus>>): Progress {
  const steps = stepsOf(playbook);
  const state = (key: string) => statuses[key]?.state ?? 'open';
  const done = steps.filter((s) => state(s.key) === 'done').length;
  const skipped = steps.filter((s) => state(s.key) === 'skipped').length;
  const next = steps.find((s) => state(s.key) !== 'done' && state(s.key) !== 'skipped');
  return {
    total: steps.length,
    done,
    skipped,
    next: next ? { key: next.key, phase: next.phase, number: next.number, text: next.step.text } : null,
    complete: steps.length > 0 && !next,
  };
}

/**
 * Before running `key`: the steps of the playbook's required sections (`sections: { detection: { required: true } }`)
 * that come before it and are neither done nor skipped, when it is a step that changes production (destructive); none
 * for any other step, or a playbook that requires no section. A skip (with its reason) counts as dealt with.
 */
export function notDoneBefore(
  playbook: Playbook,
  statuses: Readonly<Record<string, StepStatus>>,
  key: string,
): NotDoneStep[] {
  const required = playbook.requiredSections ?? [];
  if (!required.length) return [];
  const steps = stepsOf(playbook);
  const at = steps.findIndex((s) => s.key === key);
  const target = steps[at];
  if (target?.step.type !== 'command' || !target.step.destructive) return [];
  return steps
    .slice(0, at)
    .filter((s) => s.phase !== target.phase && required.includes(s.phase))
    .filter((s) => {
      const state = statuses[s.key]?.state ?? 'open';
      return state !== 'done' && state !== 'skipped';
    })
    .map((s) => ({ key: s.key, section: sectionName(playbook, s.phase), number: s.number, text: s.step.text }));
}

/** Longest text of a step kept in a run's record of the required steps it ran without. */
const NOT_DONE_TEXT_MAX = 300;

/**
 * The required steps a run ran without, as its records keep them: its `step_run` event and what its message shows
 * (end_shown, shown_so_far), in one shape, each step's text cut to fit. Read back with notDoneOfRecord.
 */
export function notDoneRecord(steps: readonly NotDoneStep[]): NotDoneStep[] {
  return steps.map((s) => ({
    key: s.key,
    section: s.section,
    number: s.number,
    text: s.text.slice(0, NOT_DONE_TEXT_MAX),
  }));
}

/**
 * A recorded `notDone` read back (see notDoneRecord): the `step_run` events written before it was one shape name each
 * step's key `step`, and are read the same. An entry of neither shape is left out; anything not a list is none.
 */
export function notDoneOfRecord(v: unknown): NotDoneStep[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((e: unknown) => {
    if (e === null || typeof e !== 'object') return [];
    const s = e as Record<string, unknown>;
    const key = typeof s.key === 'string' ? s.key : s.step;
    return typeof key === 'string' && typeof s.section === 'string' && typeof s.number === 'number'
      ? [{ key, section: s.section, number: s.number, text: typeof s.text === 'string' ? s.text : '' }]
      : [];
  });
}
