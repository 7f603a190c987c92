/**
 * A run killed by a signal the bot did not send (RunView.signal: a crash, SIGSEGV; a kill from outside, SIGKILL):
 * labelled so wherever a failed run says "Failed", its state still `failed`. A run the bot stopped at its timeout keeps
 * "Timed out".
 */

/** A signal's name as recorded (`SIGSEGV`), or null: anything else a record holds is not shown. */
export function signalName(value: unknown): string | null {
  return typeof value === 'string' && /^SIG[A-Z0-9]{1,12}$/.test(value) ? value : null;
}

/** The signal a run in `state` was killed by, as signalName reads it: only a failed run is said to be killed. */
export function killedBy(state: unknown, signal: unknown): string | null {
  return state === 'failed' ? signalName(signal) : null;
}

/** "Killed (SIGSEGV)": the state label of a run killed by `signal`. */
export function killedLabel(signal: string): string {
  return `Killed (${signal})`;
}

/** A step_run record's state as the timeline and the post-mortem say it: `killed (SIGSEGV)` for a run killed so. */
export function recordedState(state: unknown, signal: unknown): string {
  const name = killedBy(state, signal);
  return name ? `killed (${name})` : typeof state === 'string' ? state : '';
}
