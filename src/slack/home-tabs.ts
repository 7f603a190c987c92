import type { WebClient } from '@slack/web-api';
import type { HomeService } from '../incidents/home.service.js';
import type { Logger } from '../incidents/ports.js';
import type { SeverityDefs } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { renderHome } from '../templates/app-home.js';
import { toChatPlatformError } from './slack-errors.js';

/** Home tabs refreshed for one incident change at most (the people part of it). */
const PEOPLE_PER_CHANGE = 100;

export interface HomeTabsOptions {
  /** The bot's own user, which has no Home tab of its own. */
  botUserId?: string;
  /** Background refreshes running at once: they never compete with incident work for more than this. */
  maxActive?: number;
  /**
   * How long refreshes asked for wait to gather: an incident change is a burst (the card, then each page, each a
   * refresh), and one publish per person covers the whole burst.
   */
  settleMs?: number;
  /**
   * A person's tab is refreshed at most once in this long (default 5 s): under a stream of changes (people clicking
   * on many incidents at once) the tab is published once per interval with the latest view, not once per change.
   * Opening the tab always publishes it at once.
   */
  minIntervalMs?: number;
  /**
   * Background publishes a minute, at most, with bursts of up to `burst` (default 100 a minute, bursts of 20):
   * views.publish is a Tier 4 method (100+ a minute per workspace), and a tab refresh never spends what the
   * incident work needs.
   */
  perMinute?: number;
  burst?: number;
}

/**
 * People's Home tabs: published when a person opens theirs (app_home_opened) and refreshed for the people part of an
 * incident whenever it changes. A Home tab is a view of the database that the next opening rebuilds, so a refresh is
 * best-effort and kept in memory only: never waited on, never retried after a restart. Refreshes asked for wait a
 * moment to gather, one person's once however often asked, and a few run at a time, after which the next are taken:
 * under a burst of changes they stay a small, bounded load beside the incident work.
 */
export class HomeTabs {
  /** People whose tab is to be refreshed, by `team:user`, in the order asked. */
  private readonly queue = new Map<string, { teamId: string; userId: string }>();
  /** Incidents changed since their people were last looked up (id -> team): looked up together once settled. */
  private readonly changed = new Map<number, string>();
  /** People whose tab is being published now. */
  private readonly publishing = new Set<string>();
  private active = 0;
  private settling = false;
  /** Work started and not finished: incidents' people being looked up, the settle wait, tabs being published. */
  private readonly busy = new Set<Promise<void>>();
  private readonly maxActive: number;
  private readonly settleMs: number;
  private readonly minIntervalMs: number;
  /** When each person's tab was last published in the background, by `team:user` (forgotten after the interval). */
  private readonly publishedAt = new Map<string, number>();
  /** The token bucket of background publishes. */
  private tokens: number;
  private tokensAt = Date.now();
  private readonly perMinute: number;
  private readonly burst: number;
  /** The pending wake-up for people held back by the interval or the bucket: when, and its timer. */
  private wake: { at: number; timer: NodeJS.Timeout; done: () => void } | null = null;

  constructor(
    private readonly client: WebClient,
    private readonly home: HomeService,
    private readonly severities: SeverityDefs,
    private readonly log: Logger,
    private readonly opts: HomeTabsOptions = {},
  ) {
    this.maxActive = opts.maxActive ?? 2;
    this.settleMs = opts.settleMs ?? 250;
    this.minIntervalMs = opts.minIntervalMs ?? 5000;
    this.perMinute = opts.perMinute ?? 100;
    this.burst = opts.burst ?? 20;
    this.tokens = this.burst;
  }

  /** Builds and publishes a person's Home tab now. */
  async publish(teamId: string, userId: string, calling?: () => void): Promise<void> {
    const data = await this.home.view(teamId, userId);
    const view = renderHome(data, new Date(), this.severities, userId);
    calling?.();
    try {
      await this.client.views.publish({ user_id: userId, view });
    } catch (err) {
      throw toChatPlatformError(err, 'show your Home tab');
    }
  }

  /** Refreshes these people's Home tabs in the background. */
  refresh(teamId: string, userIds: readonly string[]): void {
    for (const userId of new Set(userIds)) {
      if (!/^[UW][A-Z0-9]{2,}$/.test(userId) || userId === this.opts.botUserId) continue;
      const key = `${teamId}:${userId}`;
      if (!this.queue.has(key)) this.queue.set(key, { teamId, userId });
    }
    this.settle();
  }

  /**
   * An incident changed: refresh the Home tabs of the people part of it. The people of every incident changed while
   * refreshes gather are looked up together, in one statement, when they have gathered: under a stream of changes,
   * one lookup per settle wait rather than one per change.
   */
  incidentChanged(incident: Incident): void {
    this.changed.set(incident.id, incident.teamId);
    this.settle();
  }

  /** Queues the people of the incidents changed meanwhile. */
  private async lookUpChanged(): Promise<void> {
    if (this.changed.size === 0) return;
    const incidents = [...this.changed];
    this.changed.clear();
    try {
      const people = await this.home.peopleOf(incidents.map(([id]) => id));
      for (const [id, teamId] of incidents) this.refresh(teamId, (people.get(id) ?? []).slice(0, PEOPLE_PER_CHANGE));
    } catch (err) {
      const ids = incidents.map(([id]) => id).join(', ');
      this.log.warn(`could not list the people of incidents ${ids} to refresh Home tabs`, err);
    }
  }

  /** Resolves once nothing is being refreshed or waiting to be (for an orderly stop, before the database closes). */
  async idle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy]);
  }

  /** Drops what waits (held back by the interval or the bucket): for a stop that does not wait for them. */
  forget(): void {
    this.queue.clear();
    this.changed.clear();
    if (this.wake) {
      clearTimeout(this.wake.timer);
      this.wake.done();
      this.wake = null;
    }
  }

  /** Takes a token for a background publish, if the bucket has one. */
  private takeToken(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) * this.perMinute) / 60_000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Pumps again at `at` (the earliest of the wake-ups asked for). */
  private wakeAt(at: number): void {
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) {
      clearTimeout(this.wake.timer);
      this.wake.done();
    }
    let done!: () => void;
    const waited = new Promise<void>((r) => (done = r));
    const timer = setTimeout(
      () => {
        this.wake = null;
        done();
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    this.wake = { at, timer, done };
    this.track(waited);
  }

  private track(work: Promise<void>): void {
    this.busy.add(work);
    work.finally(() => this.busy.delete(work)).catch(() => {});
  }

  /**
   * Lets the refreshes asked for gather for a moment, then looks up the people of the incidents changed meanwhile and
   * starts them (one wait at a time; changes that come during the lookup wait for the next).
   */
  private settle(): void {
    if (this.settling || (this.queue.size === 0 && this.changed.size === 0)) return;
    this.settling = true;
    this.track(
      new Promise<void>((resolve) => setTimeout(resolve, this.settleMs).unref())
        .then(() => this.lookUpChanged())
        .then(() => {
          this.settling = false;
          this.pump();
          if (this.changed.size > 0) this.settle();
        }),
    );
  }

  /**
   * Starts queued refreshes while fewer than `maxActive` run; each that ends takes the next. A person whose tab is
   * being published waits for that one to end, so their latest view is always the one published last.
   */
  private pump(): void {
    const now = Date.now();
    for (const [key, at] of this.publishedAt) if (now - at >= this.minIntervalMs) this.publishedAt.delete(key);
    let nextAt = Number.POSITIVE_INFINITY;
    for (const [key, job] of this.queue) {
      if (this.active >= this.maxActive) return;
      if (this.publishing.has(key)) continue;
      const last = this.publishedAt.get(key);
      if (last !== undefined) {
        nextAt = Math.min(nextAt, last + this.minIntervalMs);
        continue;
      }
      if (!this.takeToken(now)) {
        nextAt = Math.min(nextAt, now + Math.ceil(60_000 / this.perMinute));
        break;
      }
      this.publishedAt.set(key, now);
      this.queue.delete(key);
      this.publishing.add(key);
      this.active++;
      this.track(
        // The interval counts from the call to Slack (its limit), not from reading the view, which takes a while.
        this.publish(job.teamId, job.userId, () => this.publishedAt.set(key, Date.now()))
          .catch((err) => this.log.warn(`could not refresh the Home tab of ${job.userId}`, err))
          .finally(() => {
            this.active--;
            this.publishing.delete(key);
            this.pump();
          }),
      );
    }
    if (nextAt !== Number.POSITIVE_INFINITY) this.wakeAt(nextAt);
  }
}
