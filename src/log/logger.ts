import type { Writable } from 'node:stream';
import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { type Logger as Pino, pino } from 'pino';
import pretty from 'pino-pretty';
import { logFields } from '../audit/request-context.js';
import { redact } from '../ops/redact.js';

export type LogFormat = 'json' | 'pretty';
export type Level = 'debug' | 'info' | 'warn' | 'error';

/** `LOG_FORMAT` when set; otherwise pretty for a person at a terminal, JSON (one line per event) for a pipe or a file. */
export function chooseLogFormat(forced: LogFormat | undefined, isTTY: boolean | undefined): LogFormat {
  return forced ?? (isTTY ? 'pretty' : 'json');
}

export interface LoggerOptions {
  level: Level;
  /** Unset: chosen by whether `destination` is a terminal. */
  format?: LogFormat;
  /** Default: stdout. */
  destination?: Writable & { isTTY?: boolean };
  /** Masks secrets in every message and string field. Default: the rules that mask command output. */
  mask?: (text: string) => string;
}

const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

/** A value as it may be logged: strings masked, errors as plain objects (masked too), depth and width bounded. */
function masked(value: unknown, mask: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return mask(value);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; cause?: unknown };
    return {
      type: e.name,
      message: mask(e.message),
      ...(e.code !== undefined ? { code: masked(e.code, mask, depth + 1) } : {}),
      ...(e.stack ? { stack: mask(e.stack) } : {}),
      ...(e.cause !== undefined ? { cause: masked(e.cause, mask, depth + 1) } : {}),
    };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => masked(v, mask, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, MAX_ITEMS)) out[k] = masked(v, mask, depth + 1);
  return out;
}

/**
 * The process's logger: pino, one JSON line per event with `level`, `time` and `msg`, plus `reqId` and `incidentId`
 * while a Slack request runs (see request-context.ts). Every message and every string field goes through `mask`
 * first, so a token in an error message or a command line is logged as `xoxb-***`.
 */
export function createLogger({ level, format, destination = process.stdout, mask = redact }: LoggerOptions): Pino {
  const chosen = chooseLogFormat(format, destination.isTTY);
  const options = {
    level,
    mixin: logFields,
    // Errors arrive already made plain (and masked) by the hook below.
    serializers: { err: (e: unknown) => e },
    hooks: {
      logMethod(this: Pino, args: Parameters<Pino['info']>, method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => masked(a, mask)),
        );
      },
    },
  };
  if (chosen === 'pretty') {
    return pino(options, pretty({ destination, sync: true, colorize: destination.isTTY === true }));
  }
  return pino(
    {
      ...options,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    destination,
  );
}

/** Bolt's arguments (`'msg', err, obj…`) as pino's: the words joined as `msg`, the first error as `err`, the rest as `args`. */
function toPino(args: unknown[]): [Record<string, unknown>, string] {
  const words: string[] = [];
  const rest: unknown[] = [];
  let err: unknown;
  for (const a of args) {
    if (typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean') words.push(String(a));
    else if (a instanceof Error && err === undefined) err = a;
    else rest.push(a);
  }
  const fields: Record<string, unknown> = {};
  if (err !== undefined) fields.err = err;
  if (rest.length) fields.args = rest;
  return [fields, words.join(' ')];
}

const BOLT_LEVELS: Record<Level, LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

/**
 * Bolt's Logger (and the domain's, which is a part of it) over pino. `setName` names the lines that follow (`name`),
 * as Bolt's console logger prefixes them; `setLevel` changes the level of every line.
 */
export function boltLogger(root: Pino): BoltLogger {
  let named: Pino = root;
  const write =
    (level: Level) =>
    (...msgs: unknown[]) => {
      if (!named.isLevelEnabled(level)) return;
      const [fields, msg] = toPino(msgs);
      named[level](fields, msg);
    };
  return {
    getLevel: () => BOLT_LEVELS[(root.level as Level) in BOLT_LEVELS ? (root.level as Level) : 'info'],
    setLevel(level) {
      root.level = level;
      named.level = level;
    },
    setName(name) {
      named = root.child({ name });
    },
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}
