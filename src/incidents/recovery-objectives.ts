import type { Playbook } from '../runbook/playbooks.js';
import type { ObjectivesView } from './ports.js';
import type { Incident, RecoveryTime } from './types.js';

/**
 * When service was restored, as a recovery time objective counts it: when the incident was mitigated (the service back,
 * by a workaround or a fix), or resolved without being mitigated first. Null while it is investigating, a mitigation
 * undone (back to Investigating) included: the recovery counts on.
 */
export function recoveredAt(i: Pick<Incident, 'status' | 'mitigatedAt' | 'resolvedAt'>): Date | null {
  return recovery(i)?.at ?? null;
}

/** recoveredAt, and how: mitigated, or resolved at once (resolving stamps the mitigation then too). */
export function recovery(
  i: Pick<Incident, 'status' | 'mitigatedAt' | 'resolvedAt'>,
): { at: Date; by: 'mitigated' | 'resolved' } | null {
  if (i.status === 'investigating') return null;
  const at = i.mitigatedAt ?? i.resolvedAt;
  if (!at) return null;
  return { at, by: i.resolvedAt && at.getTime() >= i.resolvedAt.getTime() ? 'resolved' : 'mitigated' };
}

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
