import type { Database } from '../store/db.js';
import {
  claimRunMessages,
  giveRunMessageUp,
  onlyChecklistDue,
  redrawRunMessageAt,
  runMessageDrawn,
} from '../store/run-message.repo.js';
import type { EndedRun } from '../store/step-run.repo.js';
import type { Checklists } from './checklist.service.js';
import { DomainError, slackAnswerOf } from './errors.js';
import { endedStateOf, endedView, findLostRunMessage, stepOfRun } from './lost-runs.js';
import { type PlaybookHost, placeOf } from './playbook-host.js';
import type { Logger, PlaybookChat } from './ports.js';
import { REDRAW_BATCH, REDRAW_LEASE_MS, redrawLater } from './redraw-retries.js';
import type { StepRuns } from './step-runs.js';
import type { Sweep } from './timer-loop.js';

/**
 * The timer loop's redraws of run messages that may still say "Running": a run that ended (its end recorded by its
 * process, or recorded lost by LostRuns, or stopped with the bot) is drawn once by the process that recorded it, and
 * Slack refusing that update (rate limited, a 5xx, a timeout) or the process dying first left it so for good. Each
 * round draws the due ones as they ended, from the record (with what their message showed besides: EndedRun.shown),
 * with growing waits, until Slack takes one (or gives up, logged). A run with no message on the record whose look-up
 * failed (LostRuns: Slack's history unreadable) is looked for again the same way: found, recorded and drawn; not there,
 * left; still unreadable after the attempts, given up (logged, and marked on the run with Slack's last answer, never
 * looked for again: its message, if any, may say "Running" for good), and its playbook's checklist redrawn, so its step's
 * line says why at once; that drawing refused, the run stays due and the checklist is drawn again the same way. So is
 * the checklist of a run recorded lost that Slack would not redraw then (LostRuns: EndedRun.checklistDue), after its
 * message's drawing or look-up when that is due too.
 */
export class RunMessageRedraws implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'updateRun' | 'findRunPost'>,
    private readonly checklists: Pick<Checklists, 'redraw'>,
    private readonly runs: Pick<StepRuns, 'host' | 'step'>,
    private readonly log: Logger = console,
  ) {}

  async sweep(): Promise<void> {
    const due = await claimRunMessages(this.db, REDRAW_BATCH, REDRAW_LEASE_MS);
    for (const r of due) await this.redraw(r);
  }

  private async redraw(r: EndedRun & { attempts: number }): Promise<void> {
    // Claimed while due: it carries the mark it read.
    let mark = r.mark ?? 0;
    let failed: unknown;
    let host: PlaybookHost | null = null;
    try {
      // An incident or run no longer there has nothing to show.
      const state = endedStateOf(r.state);
      host = state
        ? await this.runs.host(r.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)))
        : null;
      if (host && state && (r.checklistDue === 'only' || (!r.threadTs && r.messageGivenUpWhy))) {
        // Its look-up given up (giveUp), or its message needing nothing: due until its checklist's step line (saying
        // why, or that it was lost) is drawn.
        await this.checklists.redraw(host, r.playbookId, { focus: r.stepKey });
        await runMessageDrawn(this.db, r.id, mark);
        return;
      }
      let run: EndedRun = r;
      if (host && state && !r.threadTs) {
        // Its look-up failed before: looked for again (Slack's history still unreadable is thrown, tried again below),
        // unless that was given up (giveRunMessageUp).
        const found = await findLostRunMessage(this.db, this.chat, host, r);
        if (found) {
          run = found;
          mark = found.mark ?? mark;
        }
      }
      if (host && run.threadTs && state) {
        await this.chat.updateRun(placeOf(host), run.threadTs, endedView({ ...run, state }, stepOfRun(this.runs, run)));
      }
      if (host && state && r.checklistDue) {
        // Recorded lost, its checklist refused then (LostRuns): drawn after its message; refused again, only it is left.
        await this.checklists.redraw(host, r.playbookId, { focus: r.stepKey }).catch(async (e) => {
          await onlyChecklistDue(this.db, r.id, mark);
          throw e;
        });
      }
      await runMessageDrawn(this.db, r.id, mark);
      return;
    } catch (e) {
      this.log.warn(`could not draw step run ${r.id}'s message again`, e);
      failed = e;
    }
    await redrawLater(
      {
        what: `step run ${r.id}'s message`,
        goal:
          r.checklistDue === 'only'
            ? `showing it ${r.state} in its checklist`
            : r.threadTs
              ? `showing it ${r.state}`
              : r.messageGivenUpWhy
                ? 'showing why it was not found in its checklist'
                : `looking for it (its process posted it without recording where); it may say "Running" for good`,
        attempts: r.attempts,
        // A look-up given up is marked so on the run, with Slack's last answer: never looked up again.
        done: () =>
          r.threadTs || r.messageGivenUpWhy || r.checklistDue === 'only'
            ? runMessageDrawn(this.db, r.id, mark)
            : this.giveUp(r, mark, slackAnswerOf(failed), host),
        again: (at) => redrawRunMessageAt(this.db, r.id, at),
      },
      this.log,
    );
  }

  /**
   * A look-up given up: marked on the run with `why`, and its playbook's checklist (the incident's attached one, or the
   * playbook run's) redrawn, its step in view, so its line says why now rather than at the checklist's next drawing.
   * The run stays due until that drawing takes: Slack refusing it (or this process dying first) leaves it to the
   * sweep, which draws the checklist again with its waits. The host is looked up again when the failure was that.
   */
  private async giveUp(r: EndedRun, mark: number, why: string, known: PlaybookHost | null): Promise<void> {
    await giveRunMessageUp(this.db, r.id, mark, why, REDRAW_LEASE_MS);
    try {
      // An incident or run no longer there has nothing to show.
      const host =
        known ??
        (endedStateOf(r.state)
          ? await this.runs.host(r.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)))
          : null);
      if (host) await this.checklists.redraw(host, r.playbookId, { focus: r.stepKey });
    } catch (e) {
      this.log.warn(
        `could not show why step run ${r.id}'s message was not found in its checklist; drawn again later`,
        e,
      );
      return;
    }
    await runMessageDrawn(this.db, r.id, mark);
  }
}
