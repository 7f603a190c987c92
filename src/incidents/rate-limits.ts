import { randomUUID } from 'node:crypto';
import { describeDuration } from '../runbook/duration.js';
import type { KeyValue, WindowTake } from '../store/kv.js';
import { DomainError } from './errors.js';

/** At most `limit` in each `windowMs` (written `5/1m` in the configuration); null: no limit. */
export interface RateSpec {
  limit: number;
  windowMs: number;
}

/** `5/1m`, `20/30s`; `off` or `0` for none. Null when the text is not one of these. */
export function parseRate(text: string): RateSpec | null | 'off' {
  const s = text.trim().toLowerCase();
  if (s === 'off' || s === '0') return 'off';
  const m = /^(\d+)\s*\/\s*(\d+)(ms|s|m|h)$/.exec(s);
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[3] as 'ms' | 's' | 'm' | 'h'];
  const limit = Number(m[1]);
  const windowMs = Number(m[2]) * unit;
  return limit > 0 && windowMs > 0 ? { limit, windowMs } : null;
}

/** Taken: `giveBack` returns it (what it was taken for did not happen); refused: when to try again. */
export type Take = { ok: true; giveBack: () => Promise<void> } | { ok: false; retryAfterMs: number; spec: RateSpec };

const NOTHING_TAKEN = async () => {};

/**
 * At most `limit` in any `windowMs` per subject, counted in the shared store so that every replica counts against the
 * same limit. The window slides (a log of when each was taken): a fixed window let twice the limit through across its
 * edge (5 at 12:00:59, 5 more at 12:01:00). A refusal takes nothing, and a take whose work did not happen can be given
 * back (`giveBack`), so neither counts. When the store cannot be reached the limit is off (GuardedKv logs it once): a
 * rate limit never stops the bot working.
 */
export class RateLimit {
  constructor(
    private readonly kv: KeyValue,
    private readonly name: string,
    private readonly spec: RateSpec | null,
    /**
     * This process's clock. A store shared by replicas counts the window by its own clock instead (replicas' clocks
     * drift apart); only the store in this process uses this one.
     */
    private readonly now: () => number = Date.now,
  ) {}

  get limit(): RateSpec | null {
    return this.spec;
  }

  async take(subject: string): Promise<Take> {
    if (!this.spec) return { ok: true, giveBack: NOTHING_TAKEN };
    const { limit, windowMs } = this.spec;
    const now = this.now();
    const key = `rate:${this.name}:${subject}`;
    const member = `${now}:${randomUUID()}`;
    let r: WindowTake;
    try {
      r = await this.kv.takeInWindow(key, member, now, windowMs, limit);
    } catch {
      return { ok: true, giveBack: NOTHING_TAKEN };
    }
    if (r.taken) return { ok: true, giveBack: () => this.kv.giveBackInWindow(key, member).catch(() => {}) };
    // One more fits once the oldest in the window leaves it, by the clock the window was counted with (the store's),
    // never later than a whole window: that clock is read once a minute and followed here, and an entry taken a moment
    // ago by a replica whose reading is a few ms ahead made the wait a few ms longer than the window.
    const wait = (r.oldestMs ?? r.nowMs) + windowMs - r.nowMs;
    return { ok: false, retryAfterMs: Math.min(windowMs, Math.max(1, wait)), spec: this.spec };
  }
}

/** Over a rate limit: nothing was done, and the person is told when to try again. */
export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterMs: number,
    message: string,
    /** The limit in words, for others than the person refused (`Slack lets the bot create only 20 channels a minute`). */
    readonly limit?: string,
    /** The limit's window (a minute): what waits past it is told again at most once in it. */
    readonly windowMs?: number,
  ) {
    super('rate_limited', message);
  }
}

/** "in 40 seconds": whole seconds, rounded up, at least one. */
export const tryAgainIn = (ms: number) => describeDuration(Math.max(1, Math.ceil(ms / 1000)) * 1000);

/** "minute", "30 seconds", "1 minute 30 seconds": the window as in "in the last …". */
const per = (spec: RateSpec) => describeDuration(spec.windowMs).replace(/^1 (\w+)$/, '$1');

/** "a minute", "an hour", "every 30 seconds": the window as in "3 channels a minute". */
export const eachWindow = (spec: RateSpec) => {
  const w = per(spec);
  return /^\w+$/.test(w) ? `${w === 'hour' ? 'an' : 'a'} ${w}` : `every ${w}`;
};

/** "1 incident", "3 incidents": a count and its noun, singular or plural. */
export const counted = (n: number, noun: string) => `${n} ${n === 1 ? noun : `${noun}s`}`;

/**
 * What one person may do how often, across every replica: declarations, and runbook commands run. Checked before
 * anything is done, so a refusal leaves nothing behind (not even a used incident number).
 */
export class UserLimits {
  private readonly declarations: RateLimit;
  private readonly runs: RateLimit;

  constructor(
    kv: KeyValue,
    specs: { declare: RateSpec | null; run: RateSpec | null },
    /**
     * A declaration makes a channel: Slack's budget for them (ChannelBudget) is checked after the person's limit; what
     * `take` returns gives the channel back.
     */
    private readonly channels?: { take(): Promise<() => Promise<void>> },
  ) {
    this.declarations = new RateLimit(kv, 'declare', specs.declare);
    this.runs = new RateLimit(kv, 'run', specs.run);
  }

  /**
   * Throws RateLimitedError when `userId` has declared as many incidents as allowed in the window, or when Slack's
   * channel budget is spent. Else runs `declare`; when it throws, or `opened` says of its result that nothing was
   * opened (a repeat of a declaration just made, a retry), what it took is given back: a declaration that failed (Slack
   * down, the database gone) or repeated one does not count against the person trying again.
   */
  async declaring<T>(
    userId: string,
    declare: () => Promise<T>,
    opened: (r: T) => boolean,
    /** Over the limit: the answer to a repeat of a declaration just made (its incident, shown), else null. */
    repeat?: () => Promise<T | null>,
  ): Promise<T> {
    const r = await this.declarations.take(userId);
    if (!r.ok) {
      const again = await repeat?.();
      if (again) return again;
      throw this.refusal(r);
    }
    let channel: (() => Promise<void>) | undefined;
    try {
      channel = await this.channels?.take();
    } catch (err) {
      await r.giveBack();
      throw err;
    }
    const giveBack = () => Promise.all([r.giveBack(), channel?.()]);
    let result: T;
    try {
      result = await declare();
    } catch (err) {
      await giveBack();
      throw err;
    }
    if (!opened(result)) await giveBack();
    return result;
  }

  /**
   * The refusal `userId` would get declaring now, or null: asked before a declare form is closed, so that a person over
   * the limit keeps what they typed (the form shows it, and the refusal says so) instead of losing it with the form.
   * Nothing is counted.
   */
  async declarationRefusal(userId: string): Promise<RateLimitedError | null> {
    const r = await this.declarations.take(userId);
    if (r.ok) {
      await r.giveBack();
      return null;
    }
    return this.refusal(r, 'form');
  }

  private refusal(
    { retryAfterMs, spec }: { retryAfterMs: number; spec: RateSpec },
    where: 'command' | 'form' = 'command',
  ): RateLimitedError {
    const said = `You have declared ${counted(spec.limit, 'incident')} in the last ${per(spec)}, as many as the bot allows one person.`;
    const wait = tryAgainIn(retryAfterMs);
    return new RateLimitedError(
      retryAfterMs,
      where === 'form'
        ? `${said} Try again in ${wait} (this form keeps what you typed), or ask someone else to declare.`
        : `${said} Nothing was opened; try again in ${wait}. If these are separate real incidents, ask someone else to declare meanwhile.`,
    );
  }

  /** Throws RateLimitedError when `userId` has run as many runbook commands as allowed in the window. */
  async run(userId: string): Promise<void> {
    const r = await this.runs.take(userId);
    if (!r.ok) {
      throw new RateLimitedError(
        r.retryAfterMs,
        `You have run ${counted(r.spec.limit, 'runbook command')} in the last ${per(r.spec)}, as many as the bot allows one person. Nothing was run; try again in ${tryAgainIn(r.retryAfterMs)}.`,
      );
    }
  }
}
