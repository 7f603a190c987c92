import type { WebClient } from '@slack/web-api';
import type { HomeService } from '../incidents/home.service.js';
import type { Logger } from '../incidents/ports.js';
import type { SeverityDefs } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { renderHome } from '../templates/app-home.js';
import { toChatPlatformError } from './slack-errors.js';

/** Home tabs refreshed for one incident change at most (the people part of it). */
const PEOPLE_PER_CHANGE = 100;

/**
 * People's Home tabs: published when a person opens theirs (app_home_opened) and refreshed for the people part of an
 * incident whenever it changes. A Home tab is a view of the database that the next opening rebuilds, so a refresh is
 * best-effort: never waited on, never retried after a restart. Refreshes of one person's tab run one at a time, and
 * those asked for meanwhile are done once, afterwards.
 */
export class HomeTabs {
  private readonly running = new Map<string, { again: boolean }>();
  /** Work started and not finished: incidents' people being looked up, tabs being published. */
  private readonly busy = new Set<Promise<void>>();

  constructor(
    private readonly client: WebClient,
    private readonly home: HomeService,
    private readonly severities: SeverityDefs,
    private readonly log: Logger,
    /** The bot's own user, which has no Home tab of its own. */
    private readonly botUserId?: string,
  ) {}

  /** Builds and publishes a person's Home tab now. */
  async publish(teamId: string, userId: string): Promise<void> {
    const data = await this.home.view(teamId, userId);
    const view = renderHome(data, new Date(), this.severities);
    try {
      await this.client.views.publish({ user_id: userId, view });
    } catch (err) {
      throw toChatPlatformError(err, 'show your Home tab');
    }
  }

  /** Refreshes these people's Home tabs in the background. */
  refresh(teamId: string, userIds: readonly string[]): void {
    for (const userId of new Set(userIds)) {
      if (!/^[UW][A-Z0-9]{2,}$/.test(userId) || userId === this.botUserId) continue;
      this.schedule(teamId, userId);
    }
  }

  /** An incident changed: refresh the Home tabs of the people part of it. */
  incidentChanged(incident: Incident): void {
    this.track(
      this.home
        .people(incident.id)
        .then((people) => this.refresh(incident.teamId, people.slice(0, PEOPLE_PER_CHANGE)))
        .catch((err) =>
          this.log.warn(`could not list the people of incident ${incident.id} to refresh Home tabs`, err),
        ),
    );
  }

  /** Resolves once nothing is being refreshed (for an orderly stop, before the database closes). */
  async idle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy]);
  }

  private track(work: Promise<void>): void {
    this.busy.add(work);
    work.finally(() => this.busy.delete(work)).catch(() => {});
  }

  private schedule(teamId: string, userId: string): void {
    const key = `${teamId}:${userId}`;
    const current = this.running.get(key);
    if (current) {
      current.again = true;
      return;
    }
    const state = { again: true };
    this.running.set(key, state);
    this.track(
      (async () => {
        while (state.again) {
          state.again = false;
          try {
            await this.publish(teamId, userId);
          } catch (err) {
            this.log.warn(`could not refresh the Home tab of ${userId}`, err);
          }
        }
        this.running.delete(key);
      })(),
    );
  }
}
