import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workingDirectory } from '../../src/ops/working-directory.js';

describe('workingDirectory: where a command step runs', () => {
  let dir: string;
  let base: string;
  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'bot-cwd-')));
    base = join(dir, 'base');
    await mkdir(join(base, 'backend-saas', 'api'), { recursive: true });
    await writeFile(join(base, 'a-file'), 'x');
    await mkdir(join(dir, 'outside'));
    await symlink(join(dir, 'outside'), join(base, 'out'));
    await symlink(join(base, 'backend-saas'), join(base, 'inside-link'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('the base directory without a cwd; the cwd under it, links followed while they stay under it', async () => {
    expect(await workingDirectory(base, undefined)).toEqual({ ok: true, dir: base });
    expect(await workingDirectory(base, 'backend-saas/api')).toEqual({
      ok: true,
      dir: join(base, 'backend-saas', 'api'),
    });
    expect(await workingDirectory(base, 'inside-link')).toEqual({ ok: true, dir: join(base, 'backend-saas') });
  });

  it('a cwd that is not there, or not a directory, is reported with the base; nothing to run in', async () => {
    for (const cwd of ['missing', 'a-file']) {
      expect(await workingDirectory(base, cwd)).toEqual({
        ok: false,
        detail: `The working directory \`${cwd}\` does not exist under COMMAND_BASE_DIR (${base}); nothing was run. Create it there (e.g. check out the app), or point COMMAND_BASE_DIR at the directory that has it.`,
      });
    }
  });

  it('a link that leads out of the base directory is refused', async () => {
    const r = await workingDirectory(base, 'out');
    expect(r).toEqual({
      ok: false,
      detail: `The working directory \`out\` leads outside COMMAND_BASE_DIR (${base}) through a symbolic link; nothing was run.`,
    });
  });

  it('a base directory that is not there says to set COMMAND_BASE_DIR', async () => {
    const r = await workingDirectory(join(dir, 'nope'), 'backend-saas');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.detail).toMatch(
      /^COMMAND_BASE_DIR \(.*nope\) is not a directory on the bot's host; nothing was run/,
    );
  });
});
