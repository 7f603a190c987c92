import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * Where a command step runs: COMMAND_BASE_DIR, or the step's `cwd` under it (the runbook's "from backend-saas
 * directory"). The runbook file's schema already refuses a `cwd` that is absolute or has `..`; here, at run time, the
 * directory must exist, and once symbolic links are followed it must still be under the base directory.
 */
export type WorkingDirectory = { ok: true; dir: string } | { ok: false; detail: string };

export async function workingDirectory(baseDir: string, cwd: string | undefined): Promise<WorkingDirectory> {
  const base = resolve(baseDir);
  let realBase: string;
  try {
    realBase = await realpath(base);
    if (!(await stat(realBase)).isDirectory()) throw new Error('not a directory');
  } catch {
    return {
      ok: false,
      detail: `COMMAND_BASE_DIR (${base}) is not a directory on the bot's host; nothing was run. Set it to the directory the runbook's commands run from.`,
    };
  }
  if (!cwd) return { ok: true, dir: realBase };
  const wanted = resolve(realBase, cwd);
  let real: string;
  try {
    real = await realpath(wanted);
    if (!(await stat(real)).isDirectory()) throw new Error('not a directory');
  } catch {
    return {
      ok: false,
      detail: `The working directory \`${cwd}\` does not exist under COMMAND_BASE_DIR (${realBase}); nothing was run. Create it there (e.g. check out the app), or point COMMAND_BASE_DIR at the directory that has it.`,
    };
  }
  const rel = relative(realBase, real);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    return {
      ok: false,
      detail: `The working directory \`${cwd}\` leads outside COMMAND_BASE_DIR (${realBase}) through a symbolic link; nothing was run.`,
    };
  }
  return { ok: true, dir: real };
}
