import { z } from 'zod';
import { parseDuration } from './duration.js';
import { type LookFor, lookForSchema } from './look-for.js';
import { escapeRegExp } from './regexp.js';
import { limitedText } from './text-limits.js';

/**
 * Playbooks: the runbook's common incidents and issues as steps the bot can show and run. A step is text, an HTTP
 * check of one of the app's health endpoints, or a command given as an argv template (never a shell string) whose
 * `{name}` placeholders are filled from values checked against a parameter kind.
 */

/**
 * What a parameter value may look like: one row per kind. Every pattern is anchored and bounded, and none allows a
 * leading '-' (option injection) or shell characters. `maxLength` (default MAX_PARAM_LENGTH) is checked before the
 * pattern. A `masked` kind holds a secret: its value is never shown or stored in clear (messages, confirmations,
 * approvals, the timeline, the database, logs), is never echoed in a refusal, and has no default in the runbook file.
 */
export interface ParamKindRow {
  pattern: RegExp;
  hint: string;
  /**
   * The expected form as a refusal shows it, in words: a person on call reads it, not a regular expression. None when
   * the hint says it already ("a number of log lines from 1 to 9999"): a refusal says each thing once.
   */
  shape?: string;
  maxLength?: number;
  masked?: boolean;
}

/** S3 bucket names (AWS's general purpose bucket naming rules): 3 to 63 lowercase letters, digits, `.` and `-`,
 * starting and ending with a letter or digit, no `..`, `.-` or `-.`, not shaped like an IP address, and none of the
 * prefixes and suffixes AWS reserves. */
const S3_BUCKET =
  /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(?:\.\.|\.-|-\.))(?!\d{1,3}(?:\.\d{1,3}){3}$)(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3 object keys: AWS's safe characters (letters, digits, `. _ - /`) and `= + , @ :`, so no space, control or shell
 * character; no `..` anywhere (the issue's rule: not only a `..` path segment, which a tool that maps keys to paths would
 * follow up a directory, but `file..pdf` too) and no `.` segment; not starting with `/` or `-`; at most 1024 characters. */
const S3_KEY = /^(?![-/])(?!.*\.\.)(?!(?:.*\/)?\.(?:\/|$))[A-Za-z0-9._/=+,@:-]{1,1024}$/;

export const PARAM_KINDS = {
  node_id: {
    pattern: /^[a-z0-9][a-z0-9-]{1,63}$/,
    hint: 'a node id from `atom-cli nodes list`, e.g. 148e2d4b0c9e89',
    shape: '2-64 of a-z 0-9 -, starting with a letter or digit',
  },
  version: {
    pattern: /^v?\d{1,6}(\.\d{1,6}){0,2}$/,
    hint: 'a version from `atom-cli deployments`, e.g. v42 or v2.3',
    shape: 'v42, 42, v2.3 or v2.3.1',
  },
  count: { pattern: /^[1-9]\d?$/, hint: 'a whole number of machines from 1 to 99' },
  cpu: { pattern: /^([1-9]|1[0-6])$/, hint: 'a whole number of CPUs from 1 to 16' },
  memory: { pattern: /^[1-9]\d{2,4}$/, hint: 'memory in MB, e.g. 2048', shape: 'a whole number, 100 to 99999' },
  lines: {
    pattern: /^[1-9]\d{0,3}$/,
    hint: 'a whole number of log lines from 1 to 9999',
  },
  revision: {
    pattern: /^[0-9a-f]{4,40}$/,
    hint: 'an alembic revision id from `alembic history`, e.g. 3f2a9c1b7d4e',
    shape: '4-40 of 0-9 a-f',
  },
  /** A database connection URL (the runbook's `atom-cli secrets set DATABASE_URL=<new-url>`), masked everywhere. */
  secret: {
    pattern:
      /^postgres(?:ql)?:\/\/[A-Za-z0-9._~%-]{1,128}(?::[A-Za-z0-9._~%!$&'()*+,;=-]{1,256})?@[A-Za-z0-9.-]{1,253}(?::\d{1,5})?\/[A-Za-z0-9_.-]{1,63}(?:\?[A-Za-z0-9_.~%=&-]{0,256})?$/,
    hint: 'the new database URL, postgresql://user:password@host/database (from the Neon console); never shown again',
    shape: 'postgresql://user:password@host[:port]/database[?options]',
    maxLength: 1024,
    masked: true,
  },
  s3_bucket: {
    pattern: S3_BUCKET,
    hint: 'an S3 bucket name, e.g. atom-saas',
    shape: '3-63 of a-z 0-9 . - (a letter or digit at each end, no "..", not an IP address)',
    maxLength: 63,
  },
  s3_key: {
    pattern: S3_KEY,
    hint: 'an S3 object key, e.g. tenant-abc/file.pdf',
    shape: 'letters, digits and . _ - / = + , @ : with no ".." anywhere and no "." segment, not starting with / or -',
    maxLength: 1024,
  },
  s3_version_id: {
    pattern: /^(?:null|[A-Za-z0-9._+=][A-Za-z0-9._+/=-]{0,1023})$/,
    hint: 'a VersionId from `aws s3api list-object-versions`, e.g. 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
    shape: 'null, or letters, digits and . _ + = / - (not starting with / or -)',
    maxLength: 1024,
  },
} as const satisfies Record<string, ParamKindRow>;

export type ParamKind = keyof typeof PARAM_KINDS;
const KIND_NAMES = Object.keys(PARAM_KINDS) as [ParamKind, ...ParamKind[]];

/** Longest value accepted for a parameter whose kind sets no maxLength, checked before the pattern. */
export const MAX_PARAM_LENGTH = 64;

/** The row of a kind, as the ParamKindRow type (the table is `as const`). */
export const kindRow = (kind: ParamKind): ParamKindRow => PARAM_KINDS[kind];

/** The longest value a kind takes. */
export const maxLengthOf = (kind: ParamKind): number => kindRow(kind).maxLength ?? MAX_PARAM_LENGTH;

/** Whether values of this kind are secrets, masked wherever shown or stored. */
export const isMaskedKind = (kind: ParamKind): boolean => kindRow(kind).masked === true;

/**
 * Programs a command step may start with, each replaced at run time by its setting: `atom-cli` by ATOM_CLI, `alembic`
 * by ALEMBIC_CLI, `aws` by AWS_CLI.
 */
export const KNOWN_BINARIES = ['atom-cli', 'alembic', 'aws'] as const;
export type KnownBinary = (typeof KNOWN_BINARIES)[number];

/** Commands that change production: a step running one must say so (and, for some, need a second person). */
export const GUARDED_COMMANDS: readonly { prefix: readonly string[]; approval: boolean }[] = [
  { prefix: ['atom-cli', 'nodes', 'restart'], approval: false },
  { prefix: ['atom-cli', 'nodes', 'restart', '--all'], approval: true },
  { prefix: ['atom-cli', 'nodes', 'stop'], approval: false },
  { prefix: ['atom-cli', 'scale'], approval: false },
  { prefix: ['atom-cli', 'rollback'], approval: false },
  { prefix: ['atom-cli', 'deploy'], approval: false },
  { prefix: ['atom-cli', 'regions', 'set'], approval: false },
  { prefix: ['atom-cli', 'secrets', 'set'], approval: false },
  { prefix: ['atom-cli', 'secrets', 'unset'], approval: false },
  { prefix: ['alembic', 'upgrade'], approval: false },
  { prefix: ['alembic', 'downgrade'], approval: true },
  { prefix: ['aws', 's3', 'cp'], approval: false },
  { prefix: ['aws', 's3', 'mv'], approval: false },
  { prefix: ['aws', 's3', 'rm'], approval: false },
  { prefix: ['aws', 's3', 'sync'], approval: false },
  { prefix: ['aws', 's3api', 'put-object'], approval: false },
  { prefix: ['aws', 's3api', 'delete-object'], approval: false },
  { prefix: ['aws', 's3api', 'copy-object'], approval: false },
];

export const DEFAULT_COMMAND_TIMEOUT_MS = 2 * 60_000;
/** The runbook's health check timeout. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

export interface ParamSpec {
  kind: ParamKind;
  default?: string;
}

export interface TextStep {
  type: 'text';
  text: string;
}

/**
 * How a command's output is read besides its exit code (src/ops/output-checks.ts). `running_version` reads the version
 * `atom-cli status` shows running: after a rollback, it must be the version rolled back to (or a release made from it).
 */
export const OUTPUT_CHECK_NAMES = ['no_error_lines', 'machines_running', 'running_version'] as const;
export type OutputCheck = (typeof OUTPUT_CHECK_NAMES)[number];

export interface HttpStep {
  type: 'http';
  text: string;
  /** The runbook's expected result, shown with the step and its run (e.g. "Health endpoints return 200 OK"). */
  expect?: string;
  /** A path on the app, e.g. /api/health; the base URL comes from configuration. */
  path: string;
  expectStatus: number;
  timeoutMs: number;
}

export interface CommandStep {
  type: 'command';
  text: string;
  /** argv template: literal arguments and `{name}` placeholders; run[0] is a known binary. */
  run: string[];
  params: Record<string, ParamSpec>;
  destructive: boolean;
  approval: boolean;
  timeoutMs: number;
  warning?: string;
  /**
   * The directory it runs in, relative to COMMAND_BASE_DIR (the runbook's "from backend-saas directory"); without it,
   * COMMAND_BASE_DIR itself. Never absolute and never `..`: checked when the runbook file is read.
   */
  cwd?: string;
  /** The runbook's expected result, shown with the step and its run (e.g. 'Machines show "running" state'). */
  expect?: string;
  /** Read the output too: the run fails when the output shows what the check looks for (errors, a stopped machine). */
  check?: OutputCheck;
  /** The lines to look for in the output (the runbook's `| grep "ERROR"`): its run shows them first. */
  lookFor?: LookFor;
}

/** The steps the bot can run, one runner each (src/ops/step-runners.ts). */
export type RunnableStep = HttpStep | CommandStep;

export type PlaybookStep = TextStep | RunnableStep;

/**
 * `incident` and `issue`: the runbook's common incidents and issues. `security`: its security incidents, suggested
 * ahead of any other match. `procedure`: a procedure the runbook keeps apart (a database rollback, emergency access),
 * attached on purpose, and suggested from a title only by the `match` words it is given (Database Recovery's restore
 * from backup for "data corruption"), as any playbook is.
 */
export const PLAYBOOK_KINDS = ['incident', 'issue', 'security', 'procedure'] as const;

export interface Playbook {
  id: string;
  title: string;
  kind: (typeof PLAYBOOK_KINDS)[number];
  /** Words and phrases that suggest this playbook from an incident title (its `what` and `where` words). */
  match: string[];
  /**
   * The `match` words that name only where the trouble is (login, postgres, payments): when a title fits two
   * playbooks with as many words, a word saying what is wrong (500s, slow, corruption) wins over these.
   */
  where?: string[];
  /**
   * Words that never suggest this playbook but name it, in the message of the playbook they suggest, as fitting too
   * ("all machines down": Machine Auto-Stops is suggested, Disaster Recovery named).
   */
  also?: string[];
  /**
   * Words that, anywhere in a title, mean its trouble is not this playbook's: neither suggested nor named then ("docs
   * site down" is another site, "OpenAI total outage" a provider's, not a complete site failure to recover).
   */
  unless?: string[];
  symptoms: string[];
  detection: PlaybookStep[];
  mitigation: PlaybookStep[];
  resolution: PlaybookStep[];
  prevention: string[];
  /**
   * Set when the runbook uses this playbook outside an incident too (a deployment, the weekly backup check):
   * `/incident run <id>` starts it in a thread of its own, in `channel` or, when null, where it was typed.
   */
  outsideIncident: { channel: string | null } | null;
  /**
   * How the checklist names its three sections, when not Detection, Mitigation, Resolution: the runbook file's
   * `sections` (a deployment's Prerequisites checklist, Deployment, Post-deployment verification), a maintenance
   * window's Before, During, After.
   */
  phaseLabels?: Readonly<Record<SectionKey, string>>;
  /**
   * Sections marked `required` in the runbook file (a deployment's prerequisites): a later step that changes production
   * (destructive), run while a step of one is neither done nor skipped, is confirmed naming those steps, and the run
   * records them. Never a block: the person may run it anyway.
   */
  requiredSections?: readonly SectionKey[];
  /**
   * The runbook's recovery objectives for this procedure (Disaster Recovery: RTO 2-4 hours, RPO 5 minutes): the card
   * of an incident with this playbook shows the time elapsed against the RTO.
   */
  objectives?: RecoveryObjectives | null;
  /**
   * Made by the bot, not listed or offered to people (`/incident playbook`, `/incident run`): the checklist of a
   * maintenance window that takes in a smaller one (both task lists in one).
   */
  unlisted?: true;
}

export interface RecoveryObjectives {
  /** Recovery Time Objective: from `minMs` to `maxMs` (equal when the runbook gives one figure). */
  rto: { minMs: number; maxMs: number } | null;
  /** Recovery Point Objective: how much data may be lost, as a length of time. */
  rpo: { ms: number; note: string | null } | null;
}

const PLACEHOLDER = /\{([a-z][a-z0-9_]*)\}/g;
/** One argument: safe literal characters and `{name}` placeholders. No spaces, quotes or shell characters. */
const ARGUMENT = /^(?:[A-Za-z0-9._:/=@%+,-]|\{[a-z][a-z0-9_]*\})+$/;

const text = z.string().trim().min(1);

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration; write e.g. 30s, 2m or 1m30s` });
    return z.NEVER;
  }
  return ms;
});

const kind = z.enum(KIND_NAMES, {
  error: (iss) => `unknown parameter kind ${JSON.stringify(iss.input)}; kinds: ${KIND_NAMES.join(', ')}`,
});

/** `name: kind` or `name: { kind, default }`. YAML numbers are taken as text. */
const paramSpec = z.preprocess(
  (v) => (typeof v === 'string' ? { kind: v } : v),
  z
    .object({
      kind,
      default: z
        .union([z.string(), z.number()])
        .transform((d) => String(d))
        .optional(),
    })
    .strict(),
);

const argument = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z
    .string()
    .regex(
      ARGUMENT,
      'must be one argument: letters, digits and . _ : / = @ % + , - and {name} placeholders, with no spaces, quotes ' +
        'or shell characters (the command is not run by a shell)',
    ),
);

const argv = z
  .array(argument, {
    error: (iss) =>
      typeof iss.input === 'string'
        ? 'must be a list of arguments such as [atom-cli, nodes, restart, "{node_id}"], not a shell string'
        : undefined,
  })
  .min(1)
  .superRefine((run, ctx) => {
    const first = run[0];
    if (first !== undefined && !(KNOWN_BINARIES as readonly string[]).includes(first))
      ctx.addIssue({
        code: 'custom',
        path: [0],
        message: `"${first}" is not a known program; a command starts with ${KNOWN_BINARIES.slice(0, -1).join(', ')} or ${KNOWN_BINARIES.at(-1)}`,
      });
  });

const httpCheck = z
  .object({
    path: z
      .string()
      .regex(
        /^\/(?!\/)[A-Za-z0-9._~/-]{0,200}$/,
        'must be a path on the app such as /api/health (the base URL comes from configuration)',
      ),
    expect_status: z.number().int().min(100).max(599).default(200),
  })
  .strict();

const COMMAND_ONLY = ['params', 'destructive', 'approval', 'warning', 'cwd', 'check', 'look_for'] as const;

/** One directory name: letters, digits, `.`, `_` and `-`, and not `.` or `..`. */
const DIRECTORY_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

/** `cwd`: a directory under COMMAND_BASE_DIR, written relative to it, that cannot lead out of it. */
const workingDirectory = z
  .string()
  .trim()
  .superRefine((dir, ctx) => {
    if (dir.length <= 300 && dir.split('/').every((name) => DIRECTORY_NAME.test(name))) return;
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(dir)} is not a directory under COMMAND_BASE_DIR: write it relative to that directory, such as backend-saas or apps/api (names of letters, digits, . _ -), without "..", "." or a leading or trailing "/"`,
    });
  });

const stepObject = z
  .object({
    text: limitedText(text, 'stepText'),
    http: httpCheck.optional(),
    run: argv.optional(),
    params: z
      .record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'parameter names are lowercase words'), paramSpec)
      .optional(),
    destructive: z.boolean().optional(),
    approval: z.boolean().optional(),
    timeout: duration.optional(),
    warning: limitedText(text, 'stepWarning').optional(),
    cwd: workingDirectory.optional(),
    expect: limitedText(text, 'stepExpect').optional(),
    check: z
      .enum(OUTPUT_CHECK_NAMES, {
        error: (iss) => `unknown output check ${JSON.stringify(iss.input)}; checks: ${OUTPUT_CHECK_NAMES.join(', ')}`,
      })
      .optional(),
    look_for: lookForSchema.optional(),
  })
  .strict()
  .superRefine((step, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (step.http && step.run) issue(['http'], 'a step is an HTTP check (http) or a command (run), not both');
    if (step.expect !== undefined && !step.http && !step.run)
      issue(['expect'], 'only a step the bot runs (run or http) has an expected result');
    if (!step.run) {
      for (const key of COMMAND_ONLY)
        if (step[key] !== undefined) issue([key], `only a command step (one with run) has ${key}`);
      return;
    }
    const params = step.params ?? {};
    const used = new Set<string>();
    step.run.forEach((arg, i) => {
      for (const [, name] of arg.matchAll(PLACEHOLDER)) {
        used.add(name!);
        if (!Object.hasOwn(params, name!))
          issue(
            ['run', i],
            `"{${name}}" is not declared; add params: { ${name}: <kind> } (kinds: ${KIND_NAMES.join(', ')})`,
          );
      }
    });
    for (const [name, spec] of Object.entries(params)) {
      if (!used.has(name)) issue(['params', name], `"${name}" is declared but run has no {${name}}`);
      if (spec.default !== undefined && isMaskedKind(spec.kind))
        issue(
          ['params', name, 'default'],
          `a ${spec.kind} is typed when the step runs: the runbook file holds no value`,
        );
      else if (spec.default !== undefined) {
        const problem = valueProblem(spec.kind, spec.default);
        if (problem) issue(['params', name, 'default'], problem);
      }
    }
    for (const guard of GUARDED_COMMANDS) {
      if (!guard.prefix.every((word, i) => step.run?.[i] === word)) continue;
      const command = guard.prefix.join(' ');
      if (!step.destructive) issue(['destructive'], `"${command}" changes production: mark the step destructive: true`);
      if (guard.approval && !step.approval)
        issue(['approval'], `"${command}" needs a second person: mark the step approval: true`);
    }
  });

/** A plain string is a text step. */
const step = z.preprocess((v) => (typeof v === 'string' ? { text: v } : v), stepObject);

/** A word or phrase of a title that suggests a playbook (or, on an alert row, claims the title for it). */
export const keyword = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .regex(/^[\p{L}\p{N}]/u, 'a keyword starts with a letter or digit');

/** A keyword as keywords are compared: case and runs of spaces aside. */
export const keywordKey = (kw: string) => kw.trim().toLowerCase().replace(/\s+/g, ' ');

/** Most steps a phase may have: a playbook is shown a page of steps at a time, and its pages must fit one message. */
export const MAX_STEPS_PER_PHASE = 100;

export const steps = z
  .array(step)
  .max(MAX_STEPS_PER_PHASE, `at most ${MAX_STEPS_PER_PHASE} steps in a phase; split the playbook`)
  .default([]);

/** `outside_incident: true`, or `{ channel: C0123456789 }` to start it in that channel wherever it is typed. */
const outsideIncident = z.preprocess(
  (v) => (v === true ? {} : v === false ? null : v),
  z
    .object(
      {
        channel: z
          .string()
          .regex(/^[CG][A-Z0-9]{2,}$/, 'must be a channel ID such as C0123456789 (channel details, at the bottom)')
          .optional(),
      },
      {
        error: (iss) =>
          iss.code === 'invalid_type'
            ? 'must be true, false, or { channel: C0123456789 } (where `/incident run` starts it; without a channel, where it is typed)'
            : undefined,
      },
    )
    .strict()
    .nullable()
    .transform((o) => (o ? { channel: o.channel ?? null } : null)),
);

/** `rto: 2h-4h` (a range, as the runbook gives it) or `rto: 4h`. */
const rto = z.string().transform((v, ctx) => {
  const [from, to, ...rest] = v.split('-').map((p) => p.trim());
  const minMs = from ? parseDuration(from) : null;
  const maxMs = to === undefined ? minMs : parseDuration(to);
  if (rest.length || minMs === null || maxMs === null || maxMs < minMs) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a recovery time objective; write a duration or a range, e.g. 4h or 2h-4h`,
    });
    return z.NEVER;
  }
  return { minMs, maxMs };
});

/** `rpo: 5m`, or `rpo: { within: 5m, note: Neon continuous backups }`. */
const rpo = z.preprocess(
  (v) => (typeof v === 'string' ? { within: v } : v),
  z.object({ within: duration, note: text.optional() }).strict(),
);

/** The three sections of a playbook, in order: the runbook's incident phases, named otherwise by `sections`. */
export const SECTION_KEYS = ['detection', 'mitigation', 'resolution'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

/** The names a checklist shows for a playbook's sections when the runbook file gives none. */
export const DEFAULT_SECTION_NAMES: Readonly<Record<SectionKey, string>> = {
  detection: 'Detection',
  mitigation: 'Mitigation',
  resolution: 'Resolution',
};

/** One section's entry under `sections`: its name, or `{ name, required }`. */
const section = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  z
    .object(
      {
        name: limitedText(text, 'sectionName').optional(),
        required: z.boolean().optional(),
      },
      {
        error: (iss) =>
          iss.code === 'invalid_type'
            ? "must be the section's name (e.g. Prerequisites checklist), or { name: Prerequisites checklist, required: true }"
            : undefined,
      },
    )
    .strict(),
);

/**
 * `sections: { detection: Prerequisites checklist, mitigation: Deployment, resolution: { name: …, required: true } }`:
 * each optional, its name shown wherever the section is (its default the incident phase's).
 */
const sections = z
  .object(
    { detection: section.optional(), mitigation: section.optional(), resolution: section.optional() },
    {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? 'must name the sections, e.g. { detection: Prerequisites checklist, mitigation: Deployment, resolution: Post-deployment verification }'
          : undefined,
    },
  )
  .strict();

/**
 * `match`: a list of words (each saying what is wrong, or both what and where), or `{ what, where, also, unless }` (see
 * Playbook's `where`, `also` and `unless`).
 */
const match = z
  .union(
    [
      z.array(keyword),
      z
        .object({
          what: z.array(keyword).default([]),
          where: z.array(keyword).default([]),
          also: z.array(keyword).default([]),
          unless: z.array(keyword).default([]),
        })
        .strict(),
    ],
    {
      error: (iss) =>
        iss.code === 'invalid_union'
          ? 'must be a list of words, or { what: [words], where: [words], also: [words], unless: [words] }'
          : undefined,
    },
  )
  .default([])
  .transform((m) =>
    Array.isArray(m) ? { what: m, where: [], also: [], unless: [], list: true } : { ...m, list: false },
  );

const playbook = z
  .object({
    title: limitedText(text, 'playbookTitle'),
    kind: z.enum(PLAYBOOK_KINDS),
    match,
    symptoms: z.array(limitedText(text, 'symptom')).default([]),
    detection: steps,
    mitigation: steps,
    resolution: steps,
    prevention: z.array(limitedText(text, 'prevention')).default([]),
    outside_incident: outsideIncident.optional(),
    rto: rto.optional(),
    rpo: rpo.optional(),
    sections: sections.optional(),
  })
  .strict()
  .superRefine((pb, ctx) => {
    for (const key of SECTION_KEYS) {
      if (!pb.sections?.[key]?.required) continue;
      const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['sections', key, 'required'], message });
      if (key === 'resolution')
        issue(
          'required marks steps to deal with before a later section changes production, and nothing comes after resolution',
        );
      else if (pb[key].length === 0) issue(`the playbook has no ${key} steps to require`);
    }
  });

export type StepInput = z.output<typeof stepObject>;

export function toStep(s: StepInput): PlaybookStep {
  if (s.http)
    return {
      type: 'http',
      text: s.text,
      path: s.http.path,
      expectStatus: s.http.expect_status,
      timeoutMs: s.timeout ?? DEFAULT_HTTP_TIMEOUT_MS,
      ...(s.expect === undefined ? {} : { expect: s.expect }),
    };
  if (!s.run) return { type: 'text', text: s.text };
  return {
    type: 'command',
    text: s.text,
    run: s.run,
    params: s.params ?? {},
    destructive: s.destructive ?? false,
    approval: s.approval ?? false,
    timeoutMs: s.timeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
    ...(s.warning === undefined ? {} : { warning: s.warning }),
    ...(s.cwd === undefined ? {} : { cwd: s.cwd }),
    ...(s.expect === undefined ? {} : { expect: s.expect }),
    ...(s.check === undefined ? {} : { check: s.check }),
    ...(s.look_for === undefined ? {} : { lookFor: s.look_for }),
  };
}

/** The `playbooks:` section of the runbook file: a map from playbook id (a slug) to the playbook. */
export const playbooksSchema = z
  .record(
    z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      .max(64),
    playbook,
    {
      error: (iss) =>
        iss.code === 'invalid_key'
          ? 'playbook ids are slugs like database-connection-failures (at most 64)'
          : undefined,
    },
  )
  .superRefine((all, ctx) => {
    const owner = new Map<string, string>();
    for (const [id, pb] of Object.entries(all))
      for (const [part, words] of [
        ['what', pb.match.what],
        ['where', pb.match.where],
      ] as const)
        words.forEach((kw, i) => {
          const key = keywordKey(kw);
          const other = owner.get(key);
          // A plain list is read as `what`: its items are named as written, `match item 3`.
          const path = pb.match.list ? [id, 'match', i] : [id, 'match', part, i];
          if (other) ctx.addIssue({ code: 'custom', path, message: `"${kw}" is already a keyword of ${other}` });
          else owner.set(key, id);
        });
  })
  .transform((all): Playbook[] =>
    Object.entries(all).map(([id, pb]) => ({
      id,
      title: pb.title,
      kind: pb.kind,
      match: [...pb.match.what, ...pb.match.where],
      ...(pb.match.where.length ? { where: pb.match.where } : {}),
      ...(pb.match.also.length ? { also: pb.match.also } : {}),
      ...(pb.match.unless.length ? { unless: pb.match.unless } : {}),
      symptoms: pb.symptoms,
      detection: pb.detection.map(toStep),
      mitigation: pb.mitigation.map(toStep),
      resolution: pb.resolution.map(toStep),
      prevention: pb.prevention,
      outsideIncident: pb.outside_incident ?? null,
      ...sectionsOf(pb.sections),
      ...(pb.rto || pb.rpo
        ? {
            objectives: {
              rto: pb.rto ?? null,
              rpo: pb.rpo ? { ms: pb.rpo.within, note: pb.rpo.note ?? null } : null,
            },
          }
        : {}),
    })),
  );

/** A playbook's `phaseLabels` and `requiredSections` from the file's `sections` (nothing when it names none). */
function sectionsOf(
  given: Partial<Record<SectionKey, { name?: string | undefined; required?: boolean | undefined }>> | undefined,
): Pick<Playbook, 'phaseLabels' | 'requiredSections'> {
  if (!given) return {};
  const named = SECTION_KEYS.some((k) => given[k]?.name !== undefined);
  const required = SECTION_KEYS.filter((k) => given[k]?.required === true);
  return {
    ...(named
      ? {
          phaseLabels: Object.fromEntries(
            SECTION_KEYS.map((k) => [k, given[k]?.name ?? DEFAULT_SECTION_NAMES[k]]),
          ) as Record<SectionKey, string>,
        }
      : {}),
    ...(required.length ? { requiredSections: required } : {}),
  };
}

/** What a value of a kind looks like, as every refusal of a parameter says it: its hint and (if it adds) its pattern. */
export function expected(kind: ParamKind): string {
  const k = kindRow(kind);
  return `expected ${k.hint}${k.shape ? ` (pattern ${k.shape})` : ''}`;
}

/** What is wrong with a value for its kind, or null. A masked kind's value is never repeated in the answer. */
export function valueProblem(kind: ParamKind, value: string): string | null {
  const max = maxLengthOf(kind);
  if (value.length > max) return `too long (${value.length} characters); at most ${max}, ${expected(kind)}`;
  if (!PARAM_KINDS[kind].pattern.test(value))
    return `${isMaskedKind(kind) ? 'The value' : JSON.stringify(value)} is not valid; ${expected(kind)}`;
  return null;
}

export type ParamCheck = { ok: true; argv: string[] } | { ok: false; errors: Record<string, string> };

/**
 * Checks values (or the declared defaults) against each parameter's kind and fills the step's argv template.
 * Errors are keyed by parameter name, each showing the expected pattern; a value for an undeclared name is an error.
 * run[0] is returned as written (`atom-cli`): the runner substitutes the binary.
 */
export function validateParams(step: CommandStep, values: Readonly<Record<string, string | undefined>>): ParamCheck {
  const errors: Record<string, string> = {};
  const filled: Record<string, string> = {};
  for (const [name, spec] of Object.entries(step.params)) {
    const given = Object.hasOwn(values, name) ? values[name] : undefined;
    const value = given === undefined || given === '' ? spec.default : given;
    const problem = value === undefined ? `required; ${expected(spec.kind)}` : valueProblem(spec.kind, value);
    if (problem) errors[name] = problem;
    else filled[name] = value!;
  }
  for (const name of Object.keys(values))
    if (!Object.hasOwn(step.params, name)) errors[name] = 'not a parameter of this step';
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, argv: step.run.map((arg) => arg.replace(PLACEHOLDER, (_, name: string) => filled[name]!)) };
}

/**
 * The values of a step's masked parameters (a `secret`) as they appear in an argv filled from its template: each
 * argument whose template holds a masked placeholder is read back against that template (`DATABASE_URL={url}` gives
 * the URL). Masked by value wherever the run is shown, recorded, or its output read.
 */
export function maskedValues(step: CommandStep, argv: readonly string[]): string[] {
  const out: string[] = [];
  step.run.forEach((template, i) => {
    const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
    if (!names.some((n) => step.params[n] && isMaskedKind(step.params[n].kind))) return;
    const filled = argv[i];
    if (filled === undefined) return;
    out.push(filled);
    const re = new RegExp(
      `^${template
        .split(PLACEHOLDER)
        .map((part, j) => (j % 2 ? '(.*)' : escapeRegExp(part)))
        .join('')}$`,
    );
    const m = re.exec(filled);
    if (!m) return;
    names.forEach((n, j) => {
      const value = m[j + 1];
      if (value && step.params[n] && isMaskedKind(step.params[n].kind)) out.push(value);
    });
  });
  return out;
}

/** An argv as a person is shown it: each argument holding a masked parameter is its template with `***` there. */
export function maskArguments(step: CommandStep, argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    const template = step.run[i];
    if (template === undefined) return arg;
    let masked = false;
    const shown = template.replace(PLACEHOLDER, (whole, name: string) => {
      const spec = step.params[name];
      if (!spec || !isMaskedKind(spec.kind)) return whole;
      masked = true;
      return '***';
    });
    if (!masked) return arg;
    // Other placeholders of the same argument: shown as filled only when the argument holds nothing else masked.
    return shown.includes('{') ? '***' : shown;
  });
}

/** The names of a step's parameters whose kind is masked. */
export function maskedParams(step: CommandStep): string[] {
  return Object.entries(step.params)
    .filter(([, spec]) => isMaskedKind(spec.kind))
    .map(([name]) => name);
}
