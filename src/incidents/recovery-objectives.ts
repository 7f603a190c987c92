import type { Playbook } from '../runbook/playbooks.js';
import type { Queryable } from '../store/db.js';
import { activePlaybookIds } from '../store/step-run.repo.js';
import type { AlertCardView } from './alert-types.js';
import type { EscalationView, IncidentChat, ObjectivesView } from './ports.js';
import type { Incident } from './types.js';

/**
 * The recovery objectives of the first playbook attached to an incident that has any, read when its card is rendered,
 * so every refresh shows the time elapsed against the RTO.
 */
export class RecoveryObjectiveCards {
  constructor(
    private readonly db: Queryable,
    private readonly playbooks: readonly Playbook[],
  ) {}

  private readonly withObjectives = () => this.playbooks.filter((p) => p.objectives);

  async view(incidentId: number): Promise<ObjectivesView | undefined> {
    const candidates = this.withObjectives();
    if (candidates.length === 0) return undefined;
    const attached = await activePlaybookIds(this.db, incidentId);
    const pb = attached.map((id) => candidates.find((p) => p.id === id)).find((p) => p !== undefined);
    return pb?.objectives ? { playbookTitle: pb.title, ...pb.objectives } : undefined;
  }

  /** Whether attaching this playbook changes what the card shows. */
  shows(playbookId: string): boolean {
    return this.withObjectives().some((p) => p.id === playbookId);
  }

  /** The incident chat with every card it posts or refreshes carrying the recovery objectives of its playbook. */
  decorate<C extends IncidentChat>(inner: C): IncidentChat {
    const cards = this;
    return Object.assign(Object.create(inner) as C, {
      async postCard(incident: Incident, escalation?: EscalationView, alerts?: AlertCardView) {
        return inner.postCard(incident, escalation, alerts, await cards.view(incident.id));
      },
      async refreshCard(incident: Incident, escalation?: EscalationView, alerts?: AlertCardView) {
        await inner.refreshCard(incident, escalation, alerts, await cards.view(incident.id));
      },
    });
  }
}
