import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_RUNBOOK_BYTES, readRunbookText } from '../../src/runbook/read-runbook-file.js';

const dir = await mkdtemp(join(tmpdir(), 'runbook-size-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The problem readRunbookText gives for a file of `bytes` bytes of YAML comments. */
async function problemOfSize(bytes: number): Promise<string> {
  const path = join(dir, `r-${bytes}.yml`);
  await writeFile(path, `name: x\n${'#'.repeat(bytes - 9)}\n`);
  const r = await readRunbookText(path);
  expect('problem' in r).toBe(true);
  return 'problem' in r ? r.problem : '';
}

describe('a runbook file over the size limit', () => {
  it('is not said to be the size of the limit when it is only a little over it', async () => {
    const problem = await problemOfSize(MAX_RUNBOOK_BYTES + 20_000);
    expect(problem).toMatch(/a runbook file is at most 1 MB/);
    expect(problem).not.toMatch(/^it is 1 MB,/);
    expect(problem).toMatch(/^it is over 1 MB, and a runbook file is at most 1 MB/);
  });

  it('says its size when that differs from the limit as shown', async () => {
    expect(await problemOfSize(3 * MAX_RUNBOOK_BYTES)).toMatch(/^it is 3 MB, and a runbook file is at most 1 MB/);
  });
});
