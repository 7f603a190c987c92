/**
 * The order the suite's files start in: the longest first, so that the last files to start are short ones and the
 * workers end together. A fresh checkout (CI) has no vitest cache, and vitest then keeps the order it found the files
 * in: in one CI run a 27 s file started last and the run ended about 35 s after the workers' mean. The durations are
 * those of an earlier whole run, kept in test/durations.json (`npm run test:durations -- <log>` writes it from a run's
 * output); a file it does not name (new since) starts first, as vitest's own order does with files it has not seen.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

function knownDurations(root: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(`${root}/test/durations.json`, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

export default class DurationSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const known = knownDurations(root);
    const duration = (f: TestSpecification) => known[relative(root, f.moduleId)] ?? Number.POSITIVE_INFINITY;
    return [...files].sort((a, b) => duration(b) - duration(a));
  }
}
