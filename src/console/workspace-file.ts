/**
 * The console's local Slack lasts between runs, next to the database it goes with: its channels and messages are
 * saved to a file in DATA_DIR after every change (written whole, then renamed over the old one, so a killed console
 * leaves the last complete copy), and read back at the next start. One file per database, so an incident's channel is
 * found with the incident.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isWorkspaceSnapshot, Workspace } from '../local-slack/workspace.js';
import type { Queryable } from '../store/db.js';

/** `DATA_DIR/console/slack-<database>.json`. */
export function workspaceFile(dataDir: string, databaseUrl: string | undefined): string {
  const which = createHash('sha256')
    .update(databaseUrl ?? 'embedded')
    .digest('hex')
    .slice(0, 10);
  return join(dataDir, 'console', `slack-${which}.json`);
}

/**
 * Reads a saved workspace into `ws`, with the identity of the database it was saved beside (see databaseIdentity),
 * when the file has one. A file that is not one is set aside (renamed `.unreadable`) and said so.
 */
export function loadWorkspace(file: string, ws: Workspace): { restored: boolean; problem?: string; database?: string } {
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
    const database = (data as { database?: unknown }).database;
    return { restored: true, ...(typeof database === 'string' ? { database } : {}) };
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

/**
 * Writes `ws` to `file` at once (a temporary file renamed over it), with the identity of its database. Throws when it
 * cannot.
 */
export function saveWorkspace(file: string, ws: Workspace, database?: string | null): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...ws.snapshot(), ...(database ? { database } : {}) }));
  renameSync(tmp, file);
}

/**
 * Which database this is, as the console's saved channels remember it: when it was first migrated (a database made
 * anew at the same address, its schema dropped or the server reinstalled, has another). Null when it cannot tell.
 */
export async function databaseIdentity(db: Queryable): Promise<string | null> {
  try {
    const { rows } = await db.query<{ at: Date | string }>(
      'SELECT applied_at AS at FROM schema_migrations ORDER BY version LIMIT 1',
    );
    const at = rows[0]?.at;
    return at === undefined ? null : new Date(at).toISOString();
  } catch {
    return null;
  }
}

/**
 * Saved channels that belong to an earlier database at the same address (its incidents and their channels are gone):
 * the file is set aside (renamed `.earlier-database`) and `ws` emptied. Null when they are this database's.
 */
export function setAsideIfEarlier(
  file: string,
  ws: Workspace,
  saved: string | undefined,
  current: string | null,
): string | null {
  if (!saved || !current || saved === current) return null;
  let moved = '';
  try {
    renameSync(file, `${file}.earlier-database`);
    moved = ` (kept as ${file}.earlier-database)`;
  } catch {
    // Overwritten at the first change.
  }
  ws.restore({ ...new Workspace().snapshot() });
  ws.startIdsAt(Date.now());
  return `The channels saved from the last run belong to an earlier database at this address (it was made anew since): they were set aside${moved}, and the console starts with new ones.`;
}
