/** Severity levels as the runbook defines them (Incident Response -> Incident Severity Levels). */
export const SEVERITIES = [0, 1, 2, 3] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SeverityLevel {
  readonly level: Severity;
  readonly label: string; // "SEV-1"
  readonly name: string; // "High"
  readonly definition: string;
  readonly responseMinutes: number;
  readonly responseText: string; // "respond within 15 minutes"
}

export const SEVERITY_LEVELS: Record<Severity, SeverityLevel> = {
  0: {
    level: 0,
    label: 'SEV-0',
    name: 'Critical',
    definition: 'Complete service outage or data loss',
    responseMinutes: 5,
    responseText: 'respond within 5 minutes',
  },
  1: {
    level: 1,
    label: 'SEV-1',
    name: 'High',
    definition: 'Major feature degradation or partial outage',
    responseMinutes: 15,
    responseText: 'respond within 15 minutes',
  },
  2: {
    level: 2,
    label: 'SEV-2',
    name: 'Medium',
    definition: 'Minor feature degradation or performance issues',
    responseMinutes: 60,
    responseText: 'respond within 1 hour',
  },
  3: {
    level: 3,
    label: 'SEV-3',
    name: 'Low',
    definition: 'Cosmetic issues or edge cases',
    responseMinutes: 240,
    responseText: 'respond within 4 hours',
  },
};

export function severityLabel(s: Severity): string {
  return SEVERITY_LEVELS[s].label;
}

/** "SEV-1 · respond within 15 minutes" */
export function severityWithResponse(s: Severity): string {
  const l = SEVERITY_LEVELS[s];
  return `${l.label} · ${l.responseText}`;
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
