import type { Database } from '../store/db.js';
import { claimRunMessages, giveRunMessageUp, redrawRunMessageAt, runMessageDrawn } from '../store/run-message.repo.js';
import type { EndedRun } from '../store/step-run.repo.js';
import { DomainError, slackAnswerOf } from './errors.js';
import { endedStateOf, endedView, findLostRunMessage, stepOfRun } from './lost-runs.js';
import { placeOf } from './playbook-host.js';
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
 * looked for again: its message, if any, may say "Running" for good).
 */
export class RunMessageRedraws implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'updateRun' | 'findRunPost'>,
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
    try {
      // An incident or run no longer there has nothing to show.
      const state = endedStateOf(r.state);
      const host = state
        ? await this.runs.host(r.host).catch((e) => (e instanceof DomainError ? null : Promise.reject(e)))
        : null;
      let run: EndedRun = r;
      if (host && state && !r.threadTs && !r.messageGivenUpWhy) {
        // Its look-up failed before: looked for again (Slack's history still unreadable is thrown, tried again below),
        // unless that was given up (giveRunMessageUp).
        const found = await findLostRunMessage(this.db, this.chat, host, r);
        if (!found) {
          await runMessageDrawn(this.db, r.id, mark);
          return;
        }
        run = found;
        mark = found.mark ?? mark;
      }
      if (host && run.threadTs && state) {
        await this.chat.updateRun(placeOf(host), run.threadTs, endedView({ ...run, state }, stepOfRun(this.runs, run)));
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
        goal: r.threadTs
          ? `showing it ${r.state}`
          : `looking for it (its process posted it without recording where); it may say "Running" for good`,
        attempts: r.attempts,
        // A look-up given up is marked so on the run, with Slack's last answer: never looked up again.
        done: () =>
          r.threadTs
            ? runMessageDrawn(this.db, r.id, mark)
            : giveRunMessageUp(this.db, r.id, mark, slackAnswerOf(failed)),
        again: (at) => redrawRunMessageAt(this.db, r.id, at),
      },
      this.log,
    );
  }
}
