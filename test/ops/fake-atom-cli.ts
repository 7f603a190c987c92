import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake `atom-cli` (test/fixtures/atom-cli): a real executable that logs its argv and prints canned output. */
export const ATOM_CLI = fileURLToPath(new URL('../fixtures/atom-cli', import.meta.url));

/** The fake secrets the fixture prints; none of them may survive redaction. */
export const FAKE_SECRETS = {
  openai: 'sk-proj-Xq3TbV9mK2pL7wR4nZ8cY1hF6dJ0sA5gE',
  anthropic: 'sk-ant-api03-Hn4Kd8Wq2Zr6Tp0Lm5Xv9Bc3Fj7Gs1Ya',
  dbPassword: 'hunter2',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  stripe: 'sk_live_51HqTestKey0123456789abcdef',
  nextauth: '7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f11',
  redisPassword: 'AbCdEf0123456789upstash',
  slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
} as const;

/** Pieces of each secret long enough to identify it, for "does not contain" checks. */
export function secretFragments(): string[] {
  return Object.values(FAKE_SECRETS).map((secret) => (secret.length > 12 ? secret.slice(-12) : secret));
}

export interface CliLogEntry {
  argv: string[];
  env: string[];
  cwd: string;
}

export interface CliLog {
  dir: string;
  path: string;
  entries(): CliLogEntry[];
  remove(): void;
}

/** A temporary directory with a log file for ATOM_CLI_LOG. */
export function makeCliLog(): CliLog {
  const dir = mkdtempSync(join(tmpdir(), 'atom-cli-'));
  const path = join(dir, 'calls.jsonl');
  return {
    dir,
    path,
    entries() {
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as CliLogEntry);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
