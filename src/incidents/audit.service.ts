import { maskStored } from '../ops/mask-stored.js';
import { redact } from '../ops/redact.js';
import {
  type AuditEntry,
  type AuditRow,
  insertAudits,
  listAudit,
  listIncidentAudit,
  settledAuditId,
} from '../store/audit.repo.js';
import type { Database } from '../store/db.js';
import { DomainError } from './errors.js';
import type { IncidentChat, Logger } from './ports.js';
import { cleanText, cutToChars } from './text.js';

export type { AuditEntry, AuditRow } from '../store/audit.repo.js';

/** Longest text kept in a row's reason or a detail: enough to see what was asked, never a whole output. */
const MAX_TEXT = 500;
/**
 * Longest actor kept: a Slack user ID is far shorter; what a request gave instead (`<!channel>`, refused as not a
 * Slack user ID) is kept as given, clean of control characters and cut here, and escaped wherever it is shown.
 */
const MAX_ACTOR = 64;
/** The most rows one page of the export, or `/incident audit`, shows. */
export const AUDIT_PAGE_MAX = 1000;
export const INCIDENT_AUDIT_MAX = 50;
/** The most rows one INSERT writes. */
const AUDIT_BATCH_MAX = 500;

/**
 * What a row keeps of a text: masked, clipped, and clean of what Postgres refuses in `text` and `jsonb` (a NUL, a lone
 * surrogate). Rows go in batches: one such character typed by anyone would otherwise lose every row stored with it.
 */
function clipWith(mask: (s: string) => string): (s: string) => string {
  // Cut by code point: cut by UTF-16 unit, a title of flags lost its row to a lone surrogate ("invalid input syntax for
  // type json").
  return (s) => cutToChars(mask(cleanText(s, { multiline: true })), MAX_TEXT);
}

function clipDetails(details: Record<string, unknown> | undefined, clip: (s: string) => string) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details ?? {}).slice(0, 20)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? clip(v) : typeof v === 'object' && v !== null ? clip(JSON.stringify(v)) : v;
  }
  return out;
}

/**
 * The append-only audit: every action and every refusal, who, what, where, when, and how it ended. The only writer of
 * the audit_log table. Writing never fails the action it records: a row that cannot be stored (the database is down)
 * is logged whole instead.
 */
export class AuditTrail {
  constructor(
    private readonly db: Database,
    private readonly chat: Pick<IncidentChat, 'resolveContacts'>,
    private readonly approvers: readonly string[],
    private readonly log: Logger = console,
    /** How a row's text is masked: the secret patterns, and the values the bot knows (its tokens, COMMAND_ENV's). */
    private readonly mask: (text: string) => string = redact,
  ) {
    this.clip = clipWith(mask);
  }

  /** A row as shown, masked as it is read too: one stored before a value was known secret holds it. */
  private shown = (row: AuditRow): AuditRow => ({
    ...row,
    reason: row.reason === null ? null : this.mask(row.reason),
    details: maskStored(row.details, this.mask),
  });

  private readonly clip: (s: string) => string;

  /** Rows waiting for the statement in flight to end; each resolves its `record` once stored (or logged). */
  private pending: { row: AuditEntry; done: () => void }[] = [];
  private writing: Promise<void> | null = null;

  /**
   * Appends a row. Rows recorded while a write is in flight go together in the next statement (one INSERT for many):
   * under a flood, the audit costs a statement per batch, not per request. Resolves once the row is stored.
   */
  record(entry: AuditEntry): Promise<void> {
    const row: AuditEntry = {
      ...entry,
      actor: cutToChars(cleanText(entry.actor), MAX_ACTOR),
      ...(entry.reason !== undefined ? { reason: this.clip(entry.reason) } : {}),
      details: clipDetails(entry.details, this.clip),
    };
    return new Promise<void>((done) => {
      this.pending.push({ row, done });
      this.writing ??= this.drain();
    });
  }

  /** Resolves once every row recorded so far is stored (or logged): before the database closes. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, AUDIT_BATCH_MAX);
      try {
        await insertAudits(
          this.db,
          batch.map((b) => b.row),
        );
      } catch (err) {
        for (const b of batch) this.log.error('audit row not stored', { audit: b.row }, err);
      }
      for (const b of batch) b.done();
    }
    this.writing = null;
  }

  /**
   * One page of the export: rows at or after `since`, after the cursor `afterId`, oldest first; only rows no insert in
   * flight can precede (settledAuditId), so a reader following the cursor never passes over a row committed late.
   */
  async page(since: Date, afterId: number, limit: number): Promise<AuditRow[]> {
    const throughId = await settledAuditId(this.db);
    const rows = await listAudit(this.db, {
      since,
      afterId,
      limit: Math.min(Math.max(1, limit), AUDIT_PAGE_MAX),
      throughId,
    });
    return rows.map(this.shown);
  }

  /** An incident's latest rows, for approvers only (the runbook's `access.approvers`). */
  async forIncident(incidentId: number, userId: string): Promise<AuditRow[]> {
    if (!(await this.isApprover(userId))) {
      throw new DomainError(
        'not_allowed',
        this.approvers.length
          ? ['Only approvers may read the audit: ', { people: this.approvers }, '.']
          : ['No approvers are configured: add them under `access.approvers` in the runbook file.'],
      );
    }
    return (await listIncidentAudit(this.db, incidentId, INCIDENT_AUDIT_MAX)).map(this.shown);
  }

  private async isApprover(userId: string): Promise<boolean> {
    if (this.approvers.includes(userId)) return true;
    if (!this.approvers.some((c) => c.startsWith('S'))) return false;
    const { userIds } = await this.chat.resolveContacts([...this.approvers]);
    return userIds.includes(userId);
  }
}
