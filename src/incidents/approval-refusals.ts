import type { RunnableStep } from '../runbook/playbooks.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Database } from '../store/db.js';
import { insertRefusedStep } from '../store/step-run.repo.js';
import type { ApprovalDms } from './approval-dms.js';
import { DomainError, type Phrase, plainText } from './errors.js';
import { playbookAct } from './playbook-acts.js';
import { type HostRef, type PlaybookHost, recordStepEvent } from './playbook-host.js';
import type { IncidentChat } from './ports.js';

/** Where a step is asked for: whose (an incident, a run outside one), which playbook and step, what it would run. */
export interface StepRequest {
  host: HostRef;
  playbookId: string;
  key: string;
  kind: RunnableStep['type'];
  shown: string[];
}

/**
 * Who may run a step that changes production (responders), and ask for or approve one that needs a second person
 * (approvers): each refusal is recorded, with its timeline event, and names who can.
 */
export class ApprovalRefusals {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<IncidentChat, 'resolveContacts'>,
    private readonly runbook: Runbook,
    /** Who could approve a request (`otherApprovers`). */
    private readonly dms: Pick<ApprovalDms, 'otherApprovers'>,
  ) {}

  /**
   * Why this person may not run (or ask to run) this step of this playbook, or null when they may. Refusals name who
   * can.
   */
  async refusal(playbookId: string, step: RunnableStep, userId: string): Promise<Phrase | null> {
    if (step.type !== 'command' || (!step.destructive && !step.approval)) return null;
    const { changes, may } = playbookAct(playbookId);
    const responders = this.runbook.access.responders;
    if (responders.length === 0) {
      return [
        `${changes} and only responders may ${may}, but no responders are configured: add them under \`access.responders\` in the runbook file.`,
      ];
    }
    if (await this.isIn(responders, userId)) return null;
    return [`${changes}; only responders may ${may}: `, { people: responders }, '.'];
  }

  /** Whether this person is among these contacts (people, or user groups Slack is asked about). */
  async isIn(contacts: string[], userId: string): Promise<boolean> {
    if (contacts.includes(userId)) return true;
    if (!contacts.some((c) => c.startsWith('S'))) return false;
    const { userIds } = await this.chat.resolveContacts(contacts);
    return userIds.includes(userId);
  }

  /** Records a refused attempt and its timeline event, then throws the refusal for the person who asked. */
  async recordRefusal(r: StepRequest, userId: string, phrase: Phrase): Promise<never> {
    const refusal = plainText(phrase);
    await this.db.transaction(async (tx) => {
      await insertRefusedStep(tx, {
        host: r.host,
        playbookId: r.playbookId,
        stepKey: r.key,
        kind: r.kind,
        target: r.shown,
        requestedBy: userId,
        refusal,
      });
      await recordStepEvent(tx, r.host, 'step_refused', userId, {
        playbook: r.playbookId,
        step: r.key,
        target: r.shown,
        refusal,
        // The refusal as the reply showed it (people named, not by id), for the timeline to show it the same way.
        refusalPhrase: phrase,
      });
    });
    throw new DomainError('not_allowed', phrase);
  }

  /**
   * Throws (and records) the refusal of a step that changes production on a resolved incident. Refused rather than
   * confirmed: a resolved incident is in its post-mortem, its escalation and updates are over, so a change to
   * production now belongs to an open incident, tracked, paged and announced as one: this one reopened (its trouble is
   * back), or a new one.
   */
  async checkOpen(host: PlaybookHost, r: StepRequest, step: RunnableStep, userId: string): Promise<void> {
    if (host.kind !== 'incident' || host.incident.status !== 'resolved') return;
    if (step.type !== 'command' || (!step.destructive && !step.approval)) return;
    await this.recordRefusal(r, userId, [
      `This incident is resolved, so nothing that changes production runs from it. If its trouble is back, reopen it first (\`/incident reopen [why]\`, or the card's Reopen); if this is for something new, declare a new incident (\`/incident sev2 <title>\`)${playbookAct(r.playbookId).elsewhere(r.playbookId)}.`,
    ]);
  }

  /**
   * Throws (and records) the refusal of a step that needs a second person when nobody could approve this person's
   * request: no approvers configured, or this person is the only one. At the first click, before any form, and again
   * before a request is posted. Returns who could approve it (null: not known, Slack could not say; undefined: the step
   * needs no approval), for the request to be sent to them without asking Slack again.
   */
  async checkApprovable(
    r: StepRequest,
    step: RunnableStep,
    userId: string,
  ): Promise<{ all: string[]; others: string[] } | null | undefined> {
    if (step.type !== 'command' || !step.approval) return undefined;
    const approvers = this.runbook.access.approvers;
    if (approvers.length === 0) {
      await this.recordRefusal(r, userId, [
        'This step needs approval by a second person, but no approvers are configured: add them under `access.approvers` in the runbook file.',
      ]);
    }
    const found = await this.dms.otherApprovers(userId);
    if (!found || found.others.length > 0) return found;
    return await this.recordRefusal(
      r,
      userId,
      found.all.length === 0
        ? [
            'This step needs approval by a second person, but nobody could be found among its approvers (',
            { people: approvers },
            '): add people under `access.approvers` in the runbook file.',
          ]
        : [
            'This step needs approval by a second person, and you are its only approver (',
            { people: approvers },
            '): add another under `access.approvers` in the runbook file, so that someone else can approve it.',
          ],
    );
  }

  /** Throws (and records) the refusal when this person may not run or ask for this step. */
  async checkAllowed(r: StepRequest, step: RunnableStep, userId: string): Promise<void> {
    const refused = await this.refusal(r.playbookId, step, userId);
    if (refused) await this.recordRefusal(r, userId, refused);
  }
}
