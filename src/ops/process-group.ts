/**
 * A runbook command runs as the leader of a process group of its own (spawned detached), so stopping it stops
 * whatever it started too: a wrapper script's child, a CLI's helper, a `sleep &` left in the background. Signalling
 * only the command would leave those running, orphaned, after the bot has reported the command killed.
 */

/**
 * Sends `signal` to every process of the group `pgid` leads; 0 only checks. False when the group is gone; a member
 * the bot may not signal (another user's) counts as there.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Groups being run or stopped, signalled when the bot exits: detached, nothing else would stop them. */
const live = new Set<number>();
let exitHooked = false;

/**
 * Records a running group so the bot's exit sends it SIGTERM, as a command's own subprocess is sent on exit
 * otherwise. Returns the function that forgets it (when it has ended).
 */
export function trackGroup(pgid: number): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const group of live) signalGroup(group, 'SIGTERM');
    });
  }
  live.add(pgid);
  return () => {
    live.delete(pgid);
  };
}

/**
 * Stops the whole group: SIGTERM now, then SIGKILL after `graceMs` to whatever of it is left, the leader or not
 * (a child that ignores SIGTERM outlives a leader that obeys it). Calls `done` once nothing is left to signal.
 */
export function terminateGroup(pgid: number, graceMs: number, done: () => void = () => {}): void {
  if (!signalGroup(pgid, 'SIGTERM')) {
    done();
    return;
  }
  setTimeout(() => {
    if (signalGroup(pgid, 0)) signalGroup(pgid, 'SIGKILL');
    done();
  }, graceMs);
}
