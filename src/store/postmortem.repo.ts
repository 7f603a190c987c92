import type { PostmortemAnswers, StoredPostmortem } from '../incidents/postmortem.js';
import { type Queryable, toDate } from './db.js';

interface PostmortemRow {
  root_cause: string;
  factors: string;
  went_well: string;
  went_badly: string;
  runbook_section: string | null;
  runbook_note: string;
  checked: string[] | null;
  updated_by: string;
  updated_at: Date | string;
}

export async function getPostmortem(q: Queryable, incidentId: number): Promise<StoredPostmortem | null> {
  const { rows } = await q.query<PostmortemRow>('SELECT * FROM postmortems WHERE incident_id = $1', [incidentId]);
  const r = rows[0];
  if (!r) return null;
  return {
    rootCause: r.root_cause,
    factors: r.factors,
    wentWell: r.went_well,
    wentBadly: r.went_badly,
    runbookSection: r.runbook_section,
    runbookNote: r.runbook_note,
    checked: r.checked ?? [],
    updatedBy: r.updated_by,
    updatedAt: toDate(r.updated_at),
  };
}

export async function savePostmortem(
  q: Queryable,
  incidentId: number,
  a: PostmortemAnswers,
  by: string,
): Promise<void> {
  await q.query(
    `INSERT INTO postmortems
       (incident_id, root_cause, factors, went_well, went_badly, runbook_section, runbook_note, checked, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9)
     ON CONFLICT (incident_id) DO UPDATE SET
       root_cause = EXCLUDED.root_cause, factors = EXCLUDED.factors, went_well = EXCLUDED.went_well,
       went_badly = EXCLUDED.went_badly, runbook_section = EXCLUDED.runbook_section,
       runbook_note = EXCLUDED.runbook_note, checked = EXCLUDED.checked, updated_by = EXCLUDED.updated_by,
       updated_at = now()`,
    [incidentId, a.rootCause, a.factors, a.wentWell, a.wentBadly, a.runbookSection, a.runbookNote, a.checked, by],
  );
}

/** The next version number of an incident's document (the caller holds the incident's lock). */
export async function nextPostmortemVersion(q: Queryable, incidentId: number): Promise<number> {
  const { rows } = await q.query<{ v: number | string | null }>(
    'SELECT max(version) AS v FROM postmortem_versions WHERE incident_id = $1',
    [incidentId],
  );
  return Number(rows[0]?.v ?? 0) + 1;
}

export async function insertPostmortemVersion(
  q: Queryable,
  incidentId: number,
  version: number,
  markdown: string,
  writtenBy: string,
): Promise<void> {
  await q.query(
    'INSERT INTO postmortem_versions (incident_id, version, markdown, written_by) VALUES ($1, $2, $3, $4)',
    [incidentId, version, markdown, writtenBy],
  );
}

export async function setPostmortemFile(
  q: Queryable,
  incidentId: number,
  version: number,
  fileId: string,
): Promise<void> {
  await q.query('UPDATE postmortem_versions SET file_id = $3 WHERE incident_id = $1 AND version = $2', [
    incidentId,
    version,
    fileId,
  ]);
}

export interface PostmortemDocument {
  incidentId: number;
  version: number;
  /** The latest version of the incident's document. */
  latest: number;
  markdown: string;
  writtenBy: string;
  createdAt: Date;
}

/** A version of the document of a workspace's incident (the latest without `version`); null when there is none. */
export async function getPostmortemDocument(
  q: Queryable,
  teamId: string,
  number: number,
  version?: number,
): Promise<PostmortemDocument | null> {
  const { rows } = await q.query<{
    incident_id: number;
    version: number;
    latest: number;
    markdown: string;
    written_by: string;
    created_at: Date | string;
  }>(
    `SELECT v.incident_id, v.version, v.markdown, v.written_by, v.created_at,
            (SELECT max(version) FROM postmortem_versions w WHERE w.incident_id = v.incident_id) AS latest
     FROM postmortem_versions v JOIN incidents i ON i.id = v.incident_id
     WHERE i.team_id = $1 AND i.number = $2 AND ($3::int IS NULL OR v.version = $3)
     ORDER BY v.version DESC LIMIT 1`,
    [teamId, number, version ?? null],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    incidentId: Number(r.incident_id),
    version: Number(r.version),
    latest: Number(r.latest),
    markdown: r.markdown,
    writtenBy: r.written_by,
    createdAt: toDate(r.created_at),
  };
}
