import { claimStepPost, keepStepPost, keptStepPost, releaseStepPost } from '../store/alert-posts.repo.js';
import type { Database } from '../store/db.js';
import type { AlertChat, StormPlace } from './alert-ports.js';
import { NotYet } from './not-yet.js';
import type { Incident } from './types.js';

/**
 * Storm control's posts, each once however often its step runs (alert_step_posts): claimed before they are made, a
 * claim given back when Slack refuses the post, and a post an attempt whose process died may have made looked for
 * before it is made again. The storm steps (StormSteps) and the storm's incidents-channel message (StormMessage) post
 * through it.
 */
export class StepPosts {
  constructor(
    private readonly db: Database,
    private readonly chat: AlertChat,
  ) {}

  /**
   * A storm step's message in each of its places (the incident's channel, then the incidents channel), each once: the
   * post is claimed first (alert_step_posts), so a retry of the step (its process died after posting, or Slack refused
   * its other place) does not post it again where it went; a post Slack refuses gives its claim back, for the retry.
   * Each post carries its claim (`mark`): a claim taken over from an attempt whose process died looks first for the
   * post that attempt may have made before it recorded it, and keeps it (`adopt`: what else the step keeps of it).
   * Where the incidents channel's message went, by this attempt or an earlier one (null: none there).
   */
  async tellOnce(
    incident: Incident,
    key: string,
    post: (where: StormPlace, mark: string) => Promise<{ channel: string; ts: string } | null>,
    adopt?: (where: StormPlace, at: { channel: string; ts: string }) => Promise<void>,
    /** Where a dead attempt's post may be (by default, among the place's messages: findStepPost). */
    find: (where: StormPlace, mark: string, since: Date) => Promise<{ channel: string; ts: string } | null> = (
      where,
      mark,
      since,
    ) => this.chat.findStepPost(incident, where, mark, since),
    /** Where the step posts (by default both places). */
    places: readonly StormPlace[] = ['here', 'everyone'],
  ): Promise<{ channel: string; ts: string } | null> {
    let everyone: { channel: string; ts: string } | null = null;
    for (const where of places) {
      const claim = `${key}:${where}`;
      const mine = await this.claim(claim);
      if (!mine) {
        // Posted by an earlier attempt: where it went, for what the step keeps of it (joined: its message).
        if (where === 'everyone') everyone = await keptStepPost(this.db, claim);
        continue;
      }
      // Taken over from an attempt that died: it may have posted before it could record where.
      const found = mine.retakenFrom ? await find(where, claim, mine.retakenFrom) : null;
      if (found) {
        await adopt?.(where, found);
        await keepStepPost(this.db, claim, found);
        if (where === 'everyone') everyone = found;
        continue;
      }
      let at: { channel: string; ts: string } | null;
      try {
        at = await post(where, claim);
      } catch (err) {
        await releaseStepPost(this.db, claim).catch(() => {});
        throw err;
      }
      await keepStepPost(this.db, claim, at);
      if (where === 'everyone') everyone = at;
    }
    return everyone;
  }

  /**
   * Claims a step's post (claimStepPost): this attempt's claim when it posts it (`retakenFrom`: taken over from one
   * whose process died, claimed then), false when an earlier one did. One claimed lately and not posted may be on its
   * way from another attempt, or its process was killed: the step is tried again once that claim is stale (NotYet),
   * and then posts it, rather than take it for posted and lose it.
   */
  async claim(key: string): Promise<{ retakenFrom?: Date } | false> {
    const c = await claimStepPost(this.db, key);
    if (c.kind === 'pending')
      throw new NotYet(`the post ${key} was claimed and not yet posted; looking again then`, c.retryInMs + 100);
    return c.kind === 'mine' ? c : false;
  }
}
