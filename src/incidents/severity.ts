import { describeDuration } from '../runbook/duration.js';

/** Severity levels as the runbook defines them (Incident Response -> Incident Severity Levels). */
export const SEVERITIES = [0, 1, 2, 3] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One level as the runbook file describes it; the file is the only source of names and response times. */
export interface SeverityDef {
  readonly name: string; // "High"
  readonly definition: string;
  /** Who is affected ("Many users affected, critical paths broken"). */
  readonly impact: string;
  /** What such an incident looks like ("Agent execution failing", "auth broken"). */
  readonly examples: readonly string[];
  readonly respondWithinMs: number;
  /** How the public status page shows an incident of this level, and whether it is public by default. */
  readonly statusPage: StatusPageSeverity;
}

/**
 * A level on the public status page. `impact` is the wording the public reads instead of the level ("Partial
 * outage"); `publish` makes an incident of this level public: listed from its declaration (title, impact, status),
 * with "Publish to status page" ticked in its status update form.
 */
export interface StatusPageSeverity {
  readonly impact: string;
  readonly publish: boolean;
}

/**
 * The status page's defaults when the runbook file says nothing: the runbook's own words for each level (complete
 * outage, partial outage, degradation, cosmetic), and its top two levels public ("all users" and "many users
 * affected": the ones whose users must be told, as the mitigation phase's "communicate status to users" asks).
 */
export const STATUS_PAGE_DEFAULTS: Readonly<Record<Severity, StatusPageSeverity>> = {
  0: { impact: 'Major outage', publish: true },
  1: { impact: 'Partial outage', publish: true },
  2: { impact: 'Degraded performance', publish: false },
  3: { impact: 'Minor issue', publish: false },
};

/** The runbook's severity levels, handed to whatever shows a severity (templates stay pure: data in). */
export type SeverityDefs = Readonly<Record<Severity, SeverityDef>>;

/** The runbook's name of each level ("Critical", "High"), by level. */
export type SeverityNames = Readonly<Record<Severity, string>>;

export function severityNames(defs: SeverityDefs): SeverityNames {
  return { 0: defs[0].name, 1: defs[1].name, 2: defs[2].name, 3: defs[3].name };
}

/** "SEV-1": the label is the level itself, the same in every runbook. */
export function severityLabel(s: Severity): string {
  return `SEV-${s}`;
}

/** "respond within 15 minutes", from the runbook's respond_within (the time the escalation timer uses). */
export function responseText(s: Severity, defs: SeverityDefs): string {
  return `respond within ${describeDuration(defs[s].respondWithinMs)}`;
}

/** "SEV-1 · respond within 15 minutes" */
export function severityWithResponse(s: Severity, defs: SeverityDefs): string {
  return `${severityLabel(s)} · ${responseText(s, defs)}`;
}

/** Accepts sev0..sev3, SEV1, sev-1, Sev_2 (any case). Returns undefined when the token is not a severity at all. */
export function parseSeverityToken(
  token: string,
): { ok: true; severity: Severity } | { ok: false; looksLikeSeverity: boolean } {
  const m = /^sev[-_ ]?(\d+)$/i.exec(token.trim());
  if (!m) return { ok: false, looksLikeSeverity: /^sev/i.test(token.trim()) };
  const n = Number(m[1]);
  if (n === 0 || n === 1 || n === 2 || n === 3) return { ok: true, severity: n };
  return { ok: false, looksLikeSeverity: true };
}
