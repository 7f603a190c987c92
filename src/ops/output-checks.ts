import type { OutputCheck } from '../runbook/rollback-playbook.js';

/** What a check read in a command's output: whether it passes, and what it saw. */
export interface OutputVerdict {
  ok: boolean;
  detail: string;
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

/** How each kind of output check reads its command's output (already redacted). */
export const OUTPUT_CHECKS: Record<OutputCheck, (output: string) => OutputVerdict> = {
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
