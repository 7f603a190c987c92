import { readFile } from 'node:fs/promises';

/** One run of the fake atom-cli (test/fixtures/atom-cli), as it logs it: its arguments and where it ran. */
export interface CliRun {
  argv: string[];
  cwd: string;
}

/** Every run the fake atom-cli logged to `log` (its ATOM_CLI_LOG), oldest first; none before the first. */
export async function atomCliRuns(log: string): Promise<CliRun[]> {
  return (await readFile(log, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { argv, cwd } = JSON.parse(l) as CliRun;
      return { argv, cwd };
    });
}
