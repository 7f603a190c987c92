import { open } from 'node:fs/promises';
import { DomainError, ParamsError } from '../incidents/errors.js';
import type { RunView } from '../incidents/ports.js';
import { type FoundLines, lineMatcher, notFoundDetail } from '../runbook/look-for.js';
import {
  type CommandStep,
  type HttpStep,
  type KnownBinary,
  maskArguments,
  maskedValues,
  type RunnableStep,
  validateParams,
} from '../runbook/playbooks.js';
import { httpCheck } from './http-check.js';
import { type CheckContext, OUTPUT_CHECKS } from './output-checks.js';
import { terminalView } from './output-collector.js';
import { type KnownSecret, namedSecrets, redact } from './redact.js';
import { workingDirectory } from './working-directory.js';

/**
 * Playbook step kinds as a table of runners, as Grafana OnCall maps each escalation step kind to its handler. A
 * runner knows two things about its kind: what a step runs with given values (`target`, shown before and recorded
 * after), and how to run it (`run`, reporting progress, ending in an outcome). Recording, posting and finishing a run
 * are the same for every kind and live in the playbook service.
 */

export interface RunnerOptions {
  /** The binary that `atom-cli` in the runbook stands for (ATOM_CLI). */
  atomCli: string;
  /** What `alembic` in the runbook stands for (ALEMBIC_CLI), e.g. a wrapper that runs it in the app machine. */
  alembicCli?: string;
  /** What `aws` in the runbook stands for (AWS_CLI). */
  awsCli?: string;
  /** Base URL the runbook's health endpoints are checked against (HEALTH_BASE_URL). */
  healthBaseUrl?: string;
  /**
   * Extra variables for commands (e.g. the CLI's own credentials); nothing else of the bot's environment is passed.
   * Their values are masked in the output.
   */
  commandEnv?: Record<string, string>;
  /** Values of the bot's own configuration (tokens, passwords) masked wherever a step's output shows them. */
  secrets?: readonly string[];
  /**
   * Where commands run (COMMAND_BASE_DIR); a step's `cwd` is a directory under it. Default: the bot's working
   * directory.
   */
  baseDir?: string;
  /**
   * Aborted when the bot stops: a command still running then is stopped (its process group sent SIGTERM, as the bot's
   * exit would) and its run ends `stopped`, so its end is recorded and shown while the database is still open.
   */
  stopping?: AbortSignal;
}

/** What a running step has shown so far. */
export interface StepProgress {
  tail: string;
  bytes: number;
  elapsedMs: number;
  /** With the step's `look_for`: the lines found so far. */
  found?: FoundLines;
}

/** How a run ended, as the channel shows it, with the whole output kept apart. */
export type StepOutcome = Pick<
  RunView,
  'tail' | 'exitCode' | 'durationMs' | 'bytes' | 'truncated' | 'detail' | 'found' | 'signal'
> & {
  state: Exclude<RunView['state'], 'running'>;
  /** A digest of the whole output, recorded with the run; null when the kind has none. */
  digest: string | null;
  /** The whole output (redacted), attached as a file when the message shows only its end. */
  full: string;
};

export interface StepRunner<S extends RunnableStep> {
  /** What the step runs with these values (an argv, or a URL); throws ParamsError naming each bad value. */
  target(step: S, values: Record<string, string>, opts: RunnerOptions): string[];
  /** `context`: what the step's output check knows besides the output (the rollback it follows, if any). */
  run(
    target: string[],
    step: S,
    onProgress: (p: StepProgress) => void,
    opts: RunnerOptions,
    context?: CheckContext,
  ): Promise<StepOutcome>;
}

type RunnerTable = { [K in RunnableStep['type']]: StepRunner<Extract<RunnableStep, { type: K }>> };

/** What a run's message says of a run stopped because the bot was stopping, and what to do. */
export const STOPPED_DETAIL =
  'Stopped before it ended: the bot was stopping. Check what it did before running it again.';

/** Each program a runbook command starts with: what runs instead (its setting) and the setting's name. */
const BINARIES: Record<KnownBinary, { setting: string; binary: (opts: RunnerOptions) => string }> = {
  'atom-cli': { setting: 'ATOM_CLI', binary: (o) => o.atomCli },
  alembic: { setting: 'ALEMBIC_CLI', binary: (o) => o.alembicCli ?? 'alembic' },
  aws: { setting: 'AWS_CLI', binary: (o) => o.awsCli ?? 'aws' },
};

const binaryOf = (name: string) => (Object.hasOwn(BINARIES, name) ? BINARIES[name as KnownBinary] : undefined);

const command: StepRunner<CommandStep> = {
  target(step, values, opts) {
    const checked = validateParams(step, values);
    if (!checked.ok) throw new ParamsError(checked.errors);
    return checked.argv.map((a, i) => (i > 0 ? a : (binaryOf(a)?.binary(opts) ?? a)));
  },
  async run(target, step, onProgress, opts, context) {
    const where = await workingDirectory(opts.baseDir ?? process.cwd(), step.cwd);
    if (!where.ok) {
      return {
        state: 'not_found',
        tail: '',
        exitCode: null,
        durationMs: 0,
        bytes: 0,
        truncated: false,
        digest: null,
        full: '',
        detail: where.detail,
      };
    }
    // Loaded on first use: execa is only needed once someone runs a step, so an idle bot does not carry it.
    const { runCommand } = await import('./run-command.js');
    const r = await runCommand(target, {
      cwd: where.dir,
      timeoutMs: step.timeoutMs,
      env: opts.commandEnv ?? {},
      // A secret typed as a parameter is masked by value in the output too, should the command print it.
      secrets: [...(opts.secrets ?? []), ...maskedValues(step, target)],
      ...(opts.stopping ? { signal: opts.stopping } : {}),
      onOutput: (snap) =>
        onProgress({
          tail: snap.tail,
          bytes: snap.bytes,
          elapsedMs: snap.elapsedMs,
          ...(snap.found ? { found: snap.found } : {}),
        }),
      ...(step.lookFor ? { lookFor: lineMatcher(step.lookFor) } : {}),
    });
    const ran = !r.notFound && !r.timedOut && !r.canceled && r.exitCode === 0;
    // A step that reads its output (machines running, no error lines) fails on what it finds, and says what; one that
    // could not find what it reads (no version shown) is not failed for it: the verification says to check by hand.
    const checked = ran && step.check ? OUTPUT_CHECKS[step.check](r.full, context) : null;
    // A line it must find ("it should be listed") and the output has none: failed, saying so.
    const missing = ran && step.lookFor?.mustFind && r.found?.matched === 0;
    const verdict =
      missing && step.lookFor && r.found ? { ok: false, detail: notFoundDetail(step.lookFor, r.found.total) } : checked;
    const setting = binaryOf(step.run[0] ?? '')?.setting ?? 'ATOM_CLI';
    // Ended by a signal the bot did not send (it sends one only to stop a command at its timeout or when stopping).
    const killedBy = !r.notFound && !r.canceled && !r.timedOut ? r.signal : undefined;
    return {
      state: r.notFound
        ? 'not_found'
        : r.canceled
          ? 'stopped'
          : r.timedOut
            ? 'timed_out'
            : r.exitCode === 0 && (!verdict || verdict.ok || verdict.unchecked)
              ? 'succeeded'
              : 'failed',
      ...(killedBy ? { signal: killedBy } : {}),
      tail: r.tail,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      bytes: r.bytes,
      // The tail leaves out the output's last line break, and shows the output as a terminal would (no colour codes, a
      // progress bar at its last state): output that is no more than that is not more than the tail shows. Output past
      // the head kept (5 MiB) is more, whatever its lines redraw: not drawn again to know it.
      truncated:
        r.truncated ||
        (r.full.length > r.tail.length && terminalView(r.full.replace(/\r?\n$/, '')).length > r.tail.length),
      digest: r.digest,
      full: r.full,
      // What it looks for, found or not, once it printed something or ended by itself: not when it could not run.
      ...(r.found && !r.notFound && !(r.error && r.bytes === 0) ? { found: r.found } : {}),
      ...(verdict
        ? { detail: verdict.detail }
        : r.notFound
          ? {
              detail:
                (await missingInterpreter(target[0]!, step.run[0])) ??
                `\`${target[0]}\` is not installed or not on PATH. Set ${setting} to the path of the \`${step.run[0]}\` program.`,
            }
          : r.canceled
            ? { detail: STOPPED_DETAIL }
            : r.timedOut
              ? { detail: `Killed after the step's timeout (${Math.round(step.timeoutMs / 1000)} s).` }
              : r.errorCode === 'EACCES' && target[0]?.includes('/')
                ? {
                    detail: `${namedAs(target[0], step.run[0])} is not executable: run \`chmod +x ${target[0]}\`, or set ${setting} to the program.`,
                  }
                : r.error
                  ? { detail: r.error }
                  : r.signal
                    ? { detail: signalDetail(r.signal) }
                    : r.exitCode !== null && r.exitCode in SHELL_EXITS
                      ? { detail: `Exit ${r.exitCode}: ${SHELL_EXITS[r.exitCode]}` }
                      : {}),
    };
  },
};

/** The program as run, and as the runbook names it when that differs: `/opt/atom/bin/atom-cli` (`atom-cli`). */
function namedAs(file: string, named: string | undefined): string {
  return named && named !== file ? `\`${file}\` (\`${named}\`)` : `\`${file}\``;
}

/**
 * For a program not found though its file is there: a script whose first line (`#!/usr/bin/python3`) names an
 * interpreter that is not. The system says ENOENT for both; "not installed" would send the reader the wrong way.
 */
async function missingInterpreter(file: string, named: string | undefined): Promise<string | null> {
  if (!file.includes('/')) return null;
  try {
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(200), 0, 200, 0);
      const first = buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]!;
      if (!first.startsWith('#!')) return null;
      return `${namedAs(file, named)} is there, but the interpreter its first line names (\`${first.trim().replace(/`/g, 'ˋ')}\`) was not found.`;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/** What a shell's own exit statuses mean: the output above says which program. */
const SHELL_EXITS: Readonly<Record<number, string>> = {
  126: 'a program it runs could not be executed (not executable, or no permission).',
  127: 'a program it runs was not found (see the output).',
};

/** What the signals a command most often dies of mean, for one that ended by a signal the bot did not send. */
const SIGNAL_MEANINGS: Readonly<Record<string, string>> = {
  SIGSEGV: 'segmentation fault: it crashed',
  SIGBUS: 'bus error: it crashed',
  SIGABRT: 'it aborted',
  SIGILL: 'illegal instruction: it crashed',
  SIGFPE: 'arithmetic error: it crashed',
  SIGKILL: 'killed from outside, or out of memory',
  SIGTERM: 'asked to stop from outside',
  SIGINT: 'interrupted from outside',
  SIGHUP: 'its terminal or parent went away',
  SIGPIPE: 'what it wrote to was closed',
};

function signalDetail(signal: string): string {
  const meaning = SIGNAL_MEANINGS[signal];
  return `Killed by ${signal}${meaning ? ` (${meaning})` : ''}, not by the bot.`;
}

const http: StepRunner<HttpStep> = {
  target(step, _values, opts) {
    if (!opts.healthBaseUrl) {
      throw new DomainError(
        'no_health_url',
        'Set HEALTH_BASE_URL (e.g. https://tenant.atomagentos.com) so the bot knows where to check the health endpoints.',
      );
    }
    return [new URL(step.path, opts.healthBaseUrl).toString()];
  },
  async run(target, step, _onProgress, opts) {
    const r = await httpCheck(target[0]!, {
      timeoutMs: step.timeoutMs,
      expectStatus: step.expectStatus,
      secrets: knownSecrets(opts),
    });
    return {
      state: r.ok ? 'succeeded' : 'failed',
      tail: r.body ?? '',
      exitCode: null,
      durationMs: r.latencyMs,
      bytes: 0,
      truncated: false,
      digest: null,
      full: '',
      detail: `${r.status ? `HTTP ${r.status}` : 'no answer'} in ${Math.round(r.latencyMs)} ms${r.error ? ` — ${r.error}` : ''}`,
    };
  },
};

/**
 * What a person is shown of a target (run messages, confirmations, approval requests, the timeline, the record): a
 * command as the runbook names it (`atom-cli …`, never the path ATOM_CLI points at, which is what runs), redacted.
 */
export function shownTarget(step: RunnableStep, target: string[], mask: (text: string) => string = redact): string[] {
  if (step.type !== 'command') return target.map(mask);
  const named = step.run[0] !== undefined ? [step.run[0], ...target.slice(1)] : target;
  // A secret parameter shows as `***` in its argument (`DATABASE_URL=***`), whatever it is.
  return maskArguments(step, named).map(mask);
}

/**
 * The values the bot knows are secret (its own tokens, every COMMAND_ENV value, the latter with their names): masked
 * by value wherever shown.
 */
export function knownSecrets(opts: Pick<RunnerOptions, 'secrets' | 'commandEnv'>): KnownSecret[] {
  return [...(opts.secrets ?? []), ...namedSecrets(opts.commandEnv ?? {})];
}

/** One runner per step kind: a new kind that has no runner does not compile. */
export const RUNNERS = { command, http } satisfies RunnerTable;

/** The runner for a step's kind. */
export function runnerFor<S extends RunnableStep>(step: S): StepRunner<S> {
  return RUNNERS[step.type] as unknown as StepRunner<S>;
}
