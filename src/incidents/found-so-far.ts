import type { RunFound } from '../store/step-run.repo.js';
import type { Logger } from './ports.js';

/** How often at most a running step's checklist line is shown again with the lines found so far. */
export const FOUND_SHOWN_EVERY_MS = 3_000;

/**
 * While a step that looks for lines runs: its count so far ("34 of 200 lines have "ERROR" so far") handed to `show`
 * (which keeps it with the run and shows the checklist again) when it changed, at most every `everyMs`, the latest
 * count shown once the wait is over, as the run's own message says it as it goes. Never two shows at once; none
 * begins after `stop` (one under way may end after it: `show` must not undo the run's end).
 */
export function foundSoFar(
  show: (found: RunFound) => Promise<void>,
  log: Logger,
  everyMs: number = FOUND_SHOWN_EVERY_MS,
): { seen(found: RunFound): void; stop(): void } {
  const keyOf = (f: RunFound) => `${f.matched}/${f.total}`;
  let latest: RunFound | null = null;
  let shownKey = '';
  let lastAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let chain: Promise<void> = Promise.resolve();
  const flush = () => {
    timer = null;
    if (stopped || !latest || keyOf(latest) === shownKey) return;
    const found = latest;
    shownKey = keyOf(found);
    lastAt = Date.now();
    chain = chain.then(() => show(found)).catch((e) => log.warn('could not show the lines found so far', e));
  };
  return {
    seen(found) {
      latest = found;
      if (stopped || timer || keyOf(found) === shownKey) return;
      timer = setTimeout(flush, Math.max(0, lastAt + everyMs - Date.now()));
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
