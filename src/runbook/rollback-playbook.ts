import type { Playbook } from './playbooks.js';

export const PHASES = ['detection', 'mitigation', 'resolution'] as const;
export type PlaybookPhase = (typeof PHASES)[number];

/** `mitigation.2`: the third step of the mitigation list. */
export function stepKey(phase: PlaybookPhase, index: number): string {
  return `${phase}.${index}`;
}

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
  resolution: [
    {
      type: 'command',
      text: 'Check app status',
      run: ['atom-cli', 'status'],
      params: {},
      destructive: false,
      approval: false,
      timeoutMs: 30_000,
    },
    { type: 'http', text: 'Verify health endpoints', path: '/api/health', expectStatus: 200, timeoutMs: 10_000 },
    { type: 'http', text: 'Verify health endpoints', path: '/alive', expectStatus: 200, timeoutMs: 10_000 },
    { type: 'http', text: 'Verify health endpoints', path: '/health', expectStatus: 200, timeoutMs: 10_000 },
    {
      type: 'command',
      text: 'View recent logs',
      run: ['atom-cli', 'logs', '--lines', '50'],
      params: {},
      destructive: false,
      approval: false,
      timeoutMs: 30_000,
    },
  ],
  prevention: [],
};

export const ROLLBACK_STEPS = {
  deployments: 'detection.0',
  rollback: 'mitigation.0',
  verify: ['resolution.0', 'resolution.1', 'resolution.2', 'resolution.3', 'resolution.4'],
} as const;
