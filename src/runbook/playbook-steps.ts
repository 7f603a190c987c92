import { DEFAULT_SECTION_NAMES, type Playbook, type PlaybookStep } from './playbooks.js';
import { PHASES, type PlaybookPhase, stepKey } from './rollback-playbook.js';

/** One step in the order a playbook lists them: its key (`mitigation.2`), phase, number in its phase (from 1). */
export interface PlacedStep {
  key: string;
  phase: PlaybookPhase;
  /** Its number in its phase, as the playbook message shows it (1, 2, …). */
  number: number;
  step: PlaybookStep;
}

/** Every step of a playbook, detection first, then mitigation, then resolution. */
export function stepsOf(playbook: Playbook): PlacedStep[] {
  return PHASES.flatMap((phase) =>
    playbook[phase].map((step, i) => ({ key: stepKey(phase, i), phase, number: i + 1, step })),
  );
}

/** The step a key names (`mitigation.2`), or null when the playbook has no such step. */
export function findStep(playbook: Playbook, key: string): PlaybookStep | null {
  const [phase, index] = key.split('.');
  if (!PHASES.includes(phase as PlaybookPhase) || !/^\d{1,3}$/.test(index ?? '')) return null;
  return playbook[phase as PlaybookPhase][Number(index)] ?? null;
}

/** A section's name as the checklist shows it: the playbook's own (`sections` in the runbook file), else the phase's. */
export function sectionName(playbook: Playbook, phase: string): string {
  return (playbook.phaseLabels ?? DEFAULT_SECTION_NAMES)[phase as PlaybookPhase] ?? phase;
}
