import type { Playbook } from '../runbook/playbooks.js';
import type { ObjectivesView } from './ports.js';
import type { RecoveryTime } from './types.js';

/**
 * The recovery objectives of the first playbook attached to an incident that has any, shown on its card each time it
 * is rendered (see CardSections), so every refresh shows the time elapsed against the RTO; and its RTO, which the
 * incident keeps for the reminders of its bounds (`Incident.recovery`).
 */
export class RecoveryObjectiveCards {
  private readonly withObjectives: readonly Playbook[];

  constructor(playbooks: readonly Playbook[]) {
    this.withObjectives = playbooks.filter((p) => p.objectives);
  }

  /** Whether any playbook has objectives: when none does, a card never shows them and nothing need be read. */
  any(): boolean {
    return this.withObjectives.length > 0;
  }

  /** What the card shows for an incident with these playbooks attached (first attached first). */
  of(attachedIds: readonly string[]): ObjectivesView | undefined {
    const pb = this.first(attachedIds);
    return pb?.objectives ? { playbookTitle: pb.title, ...pb.objectives } : undefined;
  }

  /** The RTO the incident keeps (`Incident.recovery`): that of the playbook whose objectives its card shows. */
  recoveryOf(attachedIds: readonly string[]): RecoveryTime | null {
    const pb = this.first(attachedIds);
    const rto = pb?.objectives?.rto;
    return pb && rto ? { playbook: pb.id, minMs: rto.minMs, maxMs: rto.maxMs } : null;
  }

  private first(attachedIds: readonly string[]): Playbook | undefined {
    return attachedIds.map((id) => this.withObjectives.find((p) => p.id === id)).find((p) => p !== undefined);
  }

  /** Whether attaching this playbook changes what the card shows. */
  shows(playbookId: string): boolean {
    return this.withObjectives.some((p) => p.id === playbookId);
  }
}
