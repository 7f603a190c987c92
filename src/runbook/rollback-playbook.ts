import {
  type CommandStep,
  type OutputCheck,
  PARAM_KINDS,
  type Playbook,
  type PlaybookStep,
  type RunnableStep,
} from './playbooks.js';

export type { OutputCheck } from './playbooks.js';

export const PHASES = ['detection', 'mitigation', 'resolution'] as const;
export type PlaybookPhase = (typeof PHASES)[number];

/** `mitigation.2`: the third step of the mitigation list. */
export function stepKey(phase: PlaybookPhase, index: number): string {
  return `${phase}.${index}`;
}

export interface VerificationCheck {
  /** How the report names it: the runbook's command or request. */
  name: string;
  /** What runs: a command or a health endpoint, run and recorded like any playbook step. */
  step: RunnableStep;
  /** The runbook's expected result, shown with pass or fail. */
  expected: string;
  /**
   * Read the output too: the check fails when it shows errors, a machine not running, or (after a rollback) a version
   * running that is not the one rolled back to.
   */
  output?: OutputCheck;
}

const readOnly = (text: string, run: string[]): CommandStep => ({
  type: 'command',
  text,
  run,
  params: {},
  destructive: false,
  approval: false,
  timeoutMs: 30_000,
});

/**
 * The runbook's Post-Deployment Verification, as data: run after every rollback (the one-click rollback and any
 * playbook step that runs `atom-cli rollback`), each check reported pass or fail with its expected result.
 */
export const POST_DEPLOYMENT_VERIFICATION: readonly VerificationCheck[] = [
  {
    name: 'atom-cli status',
    step: readOnly('Check app status', ['atom-cli', 'status']),
    // After a rollback the report says what it expected instead: the version rolled back to (or a release made from it).
    expected: 'the status is shown (exit 0)',
    output: 'running_version',
  },
  {
    name: 'GET /api/health',
    step: { type: 'http', text: 'Verify health endpoints', path: '/api/health', expectStatus: 200, timeoutMs: 10_000 },
    expected: '200 OK',
  },
  {
    name: 'GET /api/alive',
    step: { type: 'http', text: 'Verify health endpoints', path: '/api/alive', expectStatus: 200, timeoutMs: 10_000 },
    expected: '200 OK',
  },
  {
    name: 'atom-cli nodes list',
    step: readOnly('Check node status', ['atom-cli', 'nodes', 'list']),
    expected: 'machines show "running"',
    output: 'machines_running',
  },
  {
    name: 'atom-cli logs --lines 50',
    step: readOnly('View recent logs', ['atom-cli', 'logs', '--lines', '50']),
    expected: 'no errors in recent logs',
    output: 'no_error_lines',
  },
];

/**
 * The runbook's Rollback Procedures and post-deployment verification as a built-in playbook, so a rollback is run,
 * recorded and shown exactly like any other step.
 */
export const ROLLBACK: Playbook = {
  id: 'rollback',
  title: 'Roll back a deployment',
  kind: 'issue',
  match: [],
  symptoms: [],
  detection: [
    {
      type: 'command',
      text: 'View deployment history',
      run: ['atom-cli', 'deployments'],
      params: {},
      destructive: false,
      approval: false,
      timeoutMs: 30_000,
    },
  ],
  mitigation: [
    {
      type: 'command',
      text: 'Rollback to specific version',
      run: ['atom-cli', 'rollback', '{version}'],
      params: { version: { kind: 'version' } },
      destructive: true,
      approval: false,
      timeoutMs: 10 * 60_000,
    },
  ],
  resolution: POST_DEPLOYMENT_VERIFICATION.map((c) => c.step),
  prevention: [],
  outsideIncident: null,
};

export const ROLLBACK_STEPS = {
  deployments: 'detection.0',
  rollback: 'mitigation.0',
  /** The post-deployment checks, in the order of POST_DEPLOYMENT_VERIFICATION. */
  verify: POST_DEPLOYMENT_VERIFICATION.map((_, i) => stepKey('resolution', i)),
} as const;

/** A step that rolls production back (`atom-cli rollback …`): the post-deployment verification follows it. */
export function isRollbackStep(step: PlaybookStep): step is CommandStep {
  return step.type === 'command' && step.run[0] === 'atom-cli' && step.run[1] === 'rollback';
}

/**
 * The version a rollback command line names (`atom-cli rollback --app web v57`: v57), or null when it names none. An
 * option's value is not the version: `--app=web` is one word, and the word after a bare `--app` is taken as its value
 * unless nothing else is named and it has the shape of a version (`atom-cli rollback --yes v57`). After `--` every
 * word is named.
 */
export function rollbackVersionNamed(target: readonly string[]): string | null {
  const words = target.slice(2);
  const named: string[] = [];
  const optionValues: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (word === '--') {
      named.push(...words.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      named.push(word);
    } else if (!word.includes('=') && i + 1 < words.length && !words[i + 1]!.startsWith('-')) {
      i += 1;
      optionValues.push(words[i]!);
    }
  }
  return named[0] ?? optionValues.find((v) => PARAM_KINDS.version.pattern.test(v)) ?? null;
}
