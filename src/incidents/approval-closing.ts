import type { Queryable } from '../store/db.js';
import { type ApprovalClosing, closePendingApprovals, type StepApproval } from '../store/step-approval.repo.js';
import { recordStepEvent } from './playbook-host.js';

export type { ApprovalClosing } from '../store/step-approval.repo.js';

/** A step as a timeline line names it: its playbook's title and its text; null when the runbook has it no more. */
export type StepNamer = (playbookId: string, stepKey: string) => { title: string; text: string } | null;

/**
 * Closes the requests still waiting (see closePendingApprovals) and puts each on its host's timeline
 * (`approval_closed`: "Approval request #N for <step> closed: <why>"), in the caller's transaction: once, as only the
 * requests this statement closed are returned.
 */
export async function closeApprovals(q: Queryable, c: ApprovalClosing, name: StepNamer): Promise<StepApproval[]> {
  const closed = await closePendingApprovals(q, c);
  for (const a of closed) {
    const named = name(a.playbookId, a.stepKey);
    await recordStepEvent(q, c.host, 'approval_closed', c.by, {
      approval: a.id,
      playbook: a.playbookId,
      step: a.stepKey,
      ...(named ? { title: named.title, text: named.text.slice(0, 300) } : {}),
      why: c.why,
      ...(c.reason === null ? {} : { reason: c.reason }),
    });
  }
  return closed;
}
