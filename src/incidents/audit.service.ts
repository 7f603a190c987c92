import { redact } from '../ops/redact.js';
import { type AuditEntry, type AuditRow, insertAudit, listAudit, listIncidentAudit } from '../store/audit.repo.js';
import type { Database } from '../store/db.js';
import { DomainError } from './errors.js';
import type { IncidentChat, Logger } from './ports.js';

export type { AuditEntry, AuditRow } from '../store/audit.repo.js';

/** Longest text kept in a row's reason or a detail: enough to see what was asked, never a whole output. */
const MAX_TEXT = 500;
/** The most rows one page of the export, or `/incident audit`, shows. */
export const AUDIT_PAGE_MAX = 1000;
export const INCIDENT_AUDIT_MAX = 50;

const clip = (s: string) => {
  const masked = redact(s);
  return masked.length > MAX_TEXT ? `${masked.slice(0, MAX_TEXT)}…` : masked;
};

function clipDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
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
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const row: AuditEntry = {
      ...entry,
      ...(entry.reason !== undefined ? { reason: clip(entry.reason) } : {}),
      details: clipDetails(entry.details),
    };
    this.log.info(`audit: ${row.action} by ${row.actor}: ${row.outcome}${row.reason ? ` (${row.reason})` : ''}`);
    try {
      await insertAudit(this.db, row);
    } catch (err) {
      this.log.error('audit row not stored', { audit: row }, err);
    }
  }

  /** One page of the export: rows at or after `since`, after the cursor `afterId`, oldest first. */
  page(since: Date, afterId: number, limit: number): Promise<AuditRow[]> {
    return listAudit(this.db, { since, afterId, limit: Math.min(Math.max(1, limit), AUDIT_PAGE_MAX) });
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
    return listIncidentAudit(this.db, incidentId, INCIDENT_AUDIT_MAX);
  }

  private async isApprover(userId: string): Promise<boolean> {
    if (this.approvers.includes(userId)) return true;
    if (!this.approvers.some((c) => c.startsWith('S'))) return false;
    const { userIds } = await this.chat.resolveContacts([...this.approvers]);
    return userIds.includes(userId);
  }
}
