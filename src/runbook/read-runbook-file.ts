import { open } from 'node:fs/promises';

/**
 * The largest runbook file read. The bundled one is about 55 kB; a file many times its size is not a runbook (a log, a
 * dump, a binary named by mistake), and reading and parsing it would hold the start for seconds and much memory.
 */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

const WHERE =
  'set RUNBOOK_FILE to the path of your runbook file (a copy of runbooks/atom.yml), or unset it for the bundled one';

function kilobytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`
    : `${Math.ceil(bytes / 1024)} kB`;
}

/** Why a file could not be opened or read, as what to do about it. */
function readProblem(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return `there is no such file: ${WHERE}`;
    case 'EISDIR':
      return `it is a directory, not a file: ${WHERE}`;
    case 'EACCES':
    case 'EPERM':
      return "the bot's user may not read it (permission denied): let that user read the file (e.g. chmod a+r), or copy it where it can";
    case 'ENOTDIR':
      return `a part of the path is not a directory: ${WHERE}`;
    default:
      return `cannot read it (${err instanceof Error ? err.message : String(err)}): ${WHERE}`;
  }
}

/**
 * The text of a runbook file, or the one problem that keeps it from being read as one: missing, a directory, not
 * readable, too large, or not text. Each says what to do.
 */
export async function readRunbookText(file: string): Promise<{ text: string } | { problem: string }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return { problem: readProblem(err) };
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) return { problem: readProblem(Object.assign(new Error('EISDIR'), { code: 'EISDIR' })) };
    if (stat.size > MAX_RUNBOOK_BYTES) {
      // A size just over the limit rounds to it ("1 MB"): said as over it, not as the limit it is refused for.
      const size = kilobytes(stat.size);
      const shown = size === kilobytes(MAX_RUNBOOK_BYTES) ? `over ${size}` : size;
      return {
        problem: `it is ${shown}, and a runbook file is at most ${kilobytes(MAX_RUNBOOK_BYTES)} (the bundled one is about 55 kB): check that RUNBOOK_FILE names the runbook, not another file`,
      };
    }
    const bytes = await handle.readFile();
    if (bytes.length > MAX_RUNBOOK_BYTES)
      return { problem: `it is larger than ${kilobytes(MAX_RUNBOOK_BYTES)}, the most a runbook file may be` };
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (bytes.includes(0) || text.includes('\uFFFD'))
      return {
        problem: `it is not a text file in UTF-8 (it holds binary data): ${WHERE}`,
      };
    return { text };
  } catch (err) {
    return { problem: readProblem(err) };
  } finally {
    await handle.close().catch(() => {});
  }
}
