/**
 * The console's local Slack lasts between runs, next to the database it goes with: its channels and messages are
 * saved to a file in DATA_DIR after every change (written whole, then renamed over the old one, so a killed console
 * leaves the last complete copy), and read back at the next start. One file per database, so an incident's channel is
 * found with the incident.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isWorkspaceSnapshot, type Workspace } from '../local-slack/workspace.js';

/** `DATA_DIR/console/slack-<database>.json`. */
export function workspaceFile(dataDir: string, databaseUrl: string | undefined): string {
  const which = createHash('sha256')
    .update(databaseUrl ?? 'embedded')
    .digest('hex')
    .slice(0, 10);
  return join(dataDir, 'console', `slack-${which}.json`);
}

/** Reads a saved workspace into `ws`. A file that is not one is set aside (renamed `.unreadable`) and said so. */
export function loadWorkspace(file: string, ws: Workspace): { restored: boolean; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { restored: false };
    return { restored: false, problem: `Cannot read ${file} (${(err as Error).message}); starting with a new one.` };
  }
  try {
    const data: unknown = JSON.parse(text);
    if (!isWorkspaceSnapshot(data)) throw new Error('not a saved workspace');
    ws.restore(data);
    return { restored: true };
  } catch (err) {
    let moved = '';
    try {
      renameSync(file, `${file}.unreadable`);
      moved = ` It was renamed ${file}.unreadable.`;
    } catch {
      // Left where it is; it is overwritten at the first change.
    }
    return {
      restored: false,
      problem: `${file} could not be read (${(err as Error).message}), so the console's channels start empty.${moved}`,
    };
  }
}

/** Writes `ws` to `file` at once (a temporary file renamed over it). Throws when it cannot. */
export function saveWorkspace(file: string, ws: Workspace): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ws.snapshot()));
  renameSync(tmp, file);
}
