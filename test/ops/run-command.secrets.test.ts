import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/ops/run-command.js';
import { ATOM_CLI, FAKE_SECRETS, secretFragments } from './fake-atom-cli.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('runCommand: secrets the pattern rules cannot name', () => {
  it('masks the value column of `secrets list` as a table, in what is shown and what is recorded', async () => {
    const snapshots: string[] = [];
    const result = await runCommand([ATOM_CLI, 'secrets', 'list'], {
      env: { ATOM_CLI_SECRETS_FORMAT: 'table' },
      onOutput: (snapshot) => {
        snapshots.push(snapshot.tail);
      },
    });
    expect(result.exitCode).toBe(0);
    for (const text of [result.tail, result.full, ...snapshots]) {
      for (const fragment of secretFragments()) expect(text).not.toContain(fragment);
      expect(text).not.toContain(FAKE_SECRETS.awsSecret);
    }
    const lines = result.full.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME                   DIGEST            VALUE');
    expect(lines.slice(1).every((line) => /^[A-Z_]+ +[0-9a-f]{16} {2}\*\*\*$/.test(line))).toBe(true);
    expect(lines).toHaveLength(8);
    // The tail recorded with the run and the digest are of the same masked text.
    expect(result.tail).toBe(result.full.trimEnd());
    expect(result.digest).toBe(sha256(result.full));
  });
});
