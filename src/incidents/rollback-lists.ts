import type { Database, Queryable } from '../store/db.js';
import {
  claimListsToRedraw,
  getRollbackList,
  getRollbackListById,
  insertRollbackList,
  latestRollbackList,
  listRedrawn,
  markListsOutOfDate,
  type RollbackList,
  redrawListAgainAt,
} from '../store/rollback-list.repo.js';
import { hostRef, type PlaybookHost, placeOf } from './playbook-host.js';
import type { ListOutOfDate, Logger, PlaybookChat, ShownDeployments } from './ports.js';
import { REDRAW_BATCH, REDRAW_LEASE_MS, redrawLater } from './redraw-retries.js';
import type { Sweep } from './timer-loop.js';

/**
 * The lists of deployments posted with Roll back buttons. A rollback or a deploy makes every one still showing buttons
 * out of date, not only the one clicked, nor only the host's (the history is the service's): each is marked so (durably) and redrawn, its buttons
 * gone, saying what happened; one Slack would not update is redrawn by the timer loop's sweep, with growing waits.
 */
export class RollbackLists implements Sweep {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<PlaybookChat, 'showDeploymentsOutOfDate'>,
    private readonly log: Logger = console,
  ) {}

  /** Keeps a list just posted, to redraw it once it is out of date. */
  async posted(host: PlaybookHost, ts: string, shown: ShownDeployments): Promise<void> {
    const place = placeOf(host);
    if (!place.channelId) return;
    await insertRollbackList(this.db, {
      host: hostRef(host),
      channelId: place.channelId,
      threadTs: place.threadTs ?? null,
      ts,
      shown,
    }).catch((e) => this.log.warn('could not keep the list of deployments posted; a rollback will not redraw it', e));
  }

  /** The host's newest list, out of date or not: the deployment history as it was last read for it. */
  latest(host: PlaybookHost): Promise<RollbackList | null> {
    return latestRollbackList(this.db, hostRef(host));
  }

  /** The list posted as this message, when it was kept. */
  find(channelId: string, ts: string): Promise<RollbackList | null> {
    return getRollbackList(this.db, channelId, ts);
  }

  /**
   * Every list still showing its buttons of the deployments this host changed (its own, and every open incident's:
   * see markListsOutOfDate) is out of date (`why`): marked so in the caller's transaction (`q`), with the record of
   * what changed them, so a crash before they are redrawn leaves them due to the sweep. Returns their redraw, to run
   * once that transaction is committed.
   */
  async mark(q: Queryable, host: PlaybookHost, why: ListOutOfDate): Promise<() => Promise<void>> {
    const lists = await markListsOutOfDate(q, hostRef(host), why);
    return async () => {
      for (const l of lists) {
        if (await this.redraw(l)) await listRedrawn(this.db, l.id).catch((e) => this.log.warn('listRedrawn failed', e));
      }
    };
  }

  /** Redraws one list out of date; false when Slack refused (to be tried again). */
  private async redraw(l: RollbackList): Promise<boolean> {
    if (!l.outOfDate) return true;
    try {
      await this.chat.showDeploymentsOutOfDate(
        { channelId: l.channelId, threadTs: l.threadTs },
        l.ts,
        l.shown,
        l.outOfDate,
      );
      return true;
    } catch (e) {
      this.log.warn(`could not show list of deployments ${l.id} out of date`, e);
      return false;
    }
  }

  async sweep(): Promise<void> {
    const due = await claimListsToRedraw(this.db, REDRAW_BATCH, REDRAW_LEASE_MS);
    for (const d of due) {
      const l = await getRollbackListById(this.db, d.id).catch(() => null);
      if (!l || (await this.redraw(l))) {
        await listRedrawn(this.db, d.id).catch((e) => this.log.warn('listRedrawn failed', e));
        continue;
      }
      await redrawLater(
        {
          what: `list of deployments ${d.id}`,
          goal: 'showing it out of date',
          attempts: d.attempts,
          done: () => listRedrawn(this.db, d.id),
          again: (at) => redrawListAgainAt(this.db, d.id, at),
        },
        this.log,
      );
    }
  }
}
