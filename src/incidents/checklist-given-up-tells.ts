import type { Playbook } from '../runbook/playbooks.js';
import { checklistGivenUpTold, tellChecklistGivenUpAt } from '../store/checklist-post.repo.js';
import type { Database } from '../store/db.js';
import type { UnpostedChecklist } from './checklist-messages.js';
import { channelOf } from './playbook-host.js';
import type { ChecklistGivenUp, Logger, PlaybookChat } from './ports.js';
import { type DoublingRetries, retryWaitMs } from './retry-schedule.js';

/**
 * The telling that a checklist was given up (ChecklistMessages): a direct message to its person, with Slack's last
 * answer and what to do. Durable: its row is due (tell_due_at, in Postgres) until Slack takes it, tried again by the
 * sweep with `retries` (doubling waits) while Slack (or the network) refuses it, then given up with an error in the
 * log. A try after the first looks first for what an earlier one may have sent before its answer was lost (or its process
 * died): found, it is not said again. Said twice only when Slack's history cannot be read; never not at all.
 */
export class GivenUpTells {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'tellChecklistGivenUp' | 'findChecklistGivenUp'>,
    private readonly playbooks: readonly Playbook[],
    private readonly log: Logger,
    private readonly retries: DoublingRetries,
  ) {}

  /** Tells `c`'s person (its `tellAttempts`-th telling, held by this process); `name` is how the log names it. */
  async tell(c: UnpostedChecklist, name: string): Promise<void> {
    const done = () =>
      checklistGivenUpTold(this.db, c.key).catch((e) =>
        this.log.warn(`could not record that ${name} was told given up; it may be told again`, e),
      );
    if (!c.tell) {
      this.log.warn(`${name} was given up, and nobody is there to tell`);
      await done();
      return;
    }
    const given = this.given(c);
    try {
      // An earlier try (this one's tellAttempts counts it) may have been taken with its answer lost.
      if (c.tellAttempts > 1 && (await this.chat.findChecklistGivenUp(c.tell, given, c.marker, c.since))) {
        this.log.info(`${name}: its earlier telling of ${c.tell} was taken after all (found in Slack); not said again`);
        await done();
        return;
      }
      await this.chat.tellChecklistGivenUp(c.tell, given, c.marker);
    } catch (err) {
      const wait = retryWaitMs(this.retries, c.tellAttempts);
      if (wait === null) {
        this.log.error(
          `could not tell ${c.tell} that ${name} was given up, after ${c.tellAttempts} tries; nobody is told`,
          err,
        );
        await done();
        return;
      }
      this.log.warn(
        `could not tell ${c.tell} that ${name} was given up (try ${c.tellAttempts}); again in ${wait} ms`,
        err,
      );
      await tellChecklistGivenUpAt(this.db, c.key, new Date(Date.now() + wait)).catch((e) =>
        this.log.warn(`could not plan telling that ${name} was given up again; its hold will run out`, e),
      );
      return;
    }
    await done();
  }

  private given(c: UnpostedChecklist): ChecklistGivenUp {
    return {
      ...(c.host.kind === 'run'
        ? { kind: 'run' as const, runId: c.host.run.id }
        : { kind: 'attached' as const, incidentNumber: c.host.incident.number, private: c.host.incident.private }),
      playbookId: c.playbookId,
      playbookTitle: this.playbooks.find((p) => p.id === c.playbookId)?.title ?? c.playbookId,
      channelId: channelOf(c.host),
      error: c.givenUpWhy ?? 'unknown',
      attempts: c.attempts,
    };
  }
}
