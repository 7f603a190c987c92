import type { OutputCheck } from '../runbook/rollback-playbook.js';
import { sameRelease } from './deployments.js';

/** What a check read in a command's output: whether it passes, and what it saw. */
export interface OutputVerdict {
  ok: boolean;
  detail: string;
  /**
   * What it found is not in the output (`ok` false): neither a pass nor a failure, to be checked by hand (`detail`
   * says what). The command's run itself succeeded.
   */
  unchecked?: true;
  /** What it expected, when the rollback it follows says (`v57 (or v59 made from it)`); else the check's own words. */
  expected?: string;
}

/**
 * The rollback a check follows, if it follows one: the version asked for (null when the command named none and its
 * output did not say) and the rollback's output (redacted), which may name the release it made from that version.
 */
export interface RolledBack {
  version: string | null;
  output: string;
}

/** What a check knows besides the output it reads: the rollback it follows, if any. */
export interface CheckContext {
  rolledBack?: RolledBack;
}

/** A line that reports an error: ERROR, Error, FATAL, a Traceback, an exception (RuntimeError, IOException…). */
const ERROR_LINE = /(?:error|exception)\b|\b(?:fatal|traceback)\b/i;

/** The lines of a log that report errors, in order. */
export function errorLines(output: string): string[] {
  return output.split('\n').filter((line) => ERROR_LINE.test(line));
}

/**
 * Each machine in a table such as `atom-cli nodes list` prints, with its state: the STATE (or STATUS) column read at
 * the header's position, the machine named by its ID column. Null when there is no such header.
 */
export function machineStates(output: string): { id: string; state: string }[] | null {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => /\b(STATE|STATUS)\b/.test(l));
  if (at === -1) return null;
  const header = lines[at]!;
  const stateCol = header.search(/\b(STATE|STATUS)\b/);
  const idCol = header.search(/\bID\b/);
  const word = (line: string, col: number) => (/^\S+/.exec(line.slice(col)) ?? [''])[0];
  return lines
    .slice(at + 1)
    .filter((l) => l.trim())
    .map((l, i) => ({ id: idCol === -1 ? `machine ${i + 1}` : word(l, idCol), state: word(l, stateCol) }));
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The version `atom-cli status` says is running (its `Version  = v58` line), or null when it shows none. */
export function runningVersion(status: string): string | null {
  return /^[ \t]*Version[ \t]*[=:][ \t]*(\S+)[ \t]*$/im.exec(status)?.[1] ?? null;
}

/**
 * The releases a rollback's output says it made from `version`, as a CLI does that rolls back by releasing the old
 * image again under a new number (Fly.io, Heroku): `Release v59 created from v57`.
 */
export function releasesMadeFrom(rollback: string, version: string): string[] {
  const made = /\brelease[ \t]+(v?\d+)[ \t]+(?:created|made)[ \t]+from[ \t]+(?:release[ \t]+)?(v?\d+)\b/gi;
  return [...rollback.matchAll(made)].filter((m) => sameRelease(m[2]!, version)).map((m) => m[1]!);
}

/** The version a rollback's output says it rolled back to (`Rollback to v57 complete`, `Rolling back app to v57`). */
export function rolledBackTo(rollback: string): string | null {
  return /\broll(?:ing back|back)\b[^\n]*?\bto[ \t]+(v?\d+)\b/i.exec(rollback)?.[1] ?? null;
}

/**
 * After a rollback, whether `atom-cli status` shows it took: the version running is the one rolled back to, or a
 * release the rollback said it made from it. A status that shows no version, or a rollback that named none, is not
 * checked (said, to be checked by hand); with no rollback to compare with, the version running is only reported.
 */
function runningVersionVerdict(output: string, { rolledBack }: CheckContext): OutputVerdict {
  const running = runningVersion(output);
  if (!rolledBack) return { ok: true, detail: running ? `running ${clip(running, 40)}` : 'no running version shown' };
  const { version } = rolledBack;
  if (!version) {
    return {
      ok: false,
      unchecked: true,
      expected: 'the version rolled back to',
      detail: `the rollback named no version${running ? `; status shows ${clip(running, 40)}` : ''}: check by hand that it is the release you meant`,
    };
  }
  const made = releasesMadeFrom(rolledBack.output, version).filter((r) => !sameRelease(r, version));
  const expected = `${clip(version, 40)}${made.length ? ` (or ${made.slice(0, 3).join(' or ')} made from it)` : ''}`;
  if (!running) {
    return {
      ok: false,
      unchecked: true,
      expected,
      detail: 'running version not shown by `atom-cli status`: check by hand',
    };
  }
  if (sameRelease(running, version)) return { ok: true, expected, detail: `status shows ${running}` };
  const from = made.find((r) => sameRelease(r, running));
  if (from) return { ok: true, expected, detail: `status shows ${from}, made from ${version}` };
  return { ok: false, expected, detail: `status shows ${clip(running, 40)}` };
}

/**
 * How each kind of output check reads its command's output (already redacted), with what it knows besides (the
 * rollback it follows, for `running_version`).
 */
export const OUTPUT_CHECKS: Record<OutputCheck, (output: string, context?: CheckContext) => OutputVerdict> = {
  running_version: (output, context = {}) => runningVersionVerdict(output, context),
  no_error_lines(output) {
    const found = errorLines(output);
    if (found.length === 0) return { ok: true, detail: 'no error lines' };
    const first = found.slice(0, 3).map((l) => clip(l.trim(), 160));
    return {
      ok: false,
      detail: `${found.length} error line(s): ${first.join(' | ')}${found.length > first.length ? ' | …' : ''}`,
    };
  },
  machines_running(output) {
    const machines = machineStates(output);
    if (!machines || machines.length === 0) return { ok: false, detail: 'no machine listed' };
    const down = machines.filter((m) => m.state.toLowerCase() !== 'running');
    if (down.length === 0) return { ok: true, detail: `${machines.length} machine(s) running` };
    return {
      ok: false,
      detail: `${down.length} of ${machines.length} machine(s) not running: ${down
        .slice(0, 5)
        .map((m) => `${m.id} ${m.state || '(no state)'}`)
        .join(', ')}`,
    };
  },
};
