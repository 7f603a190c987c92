import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';

export const CONTACTS = {
  on_call: ['U0ONCALL'],
  senior_devops: ['U0SENIOR'],
  engineering_manager: ['U0MANAGER'],
  cto: ['U0CTO'],
  database_team: ['U0DBTEAM'],
};

/** The bundled runbook's response times (runbooks/atom.yml), so a template says what the real file would. */
const RESPOND_WITHIN = { 0: '5m', 1: '15m', 2: '1h', 3: '4h' } as const;

export interface TestRunbookOptions {
  /** respond_within per severity, e.g. { 1: '2s' } (default: the bundled runbook's, long enough not to fire in a test). */
  respond?: Partial<Record<0 | 1 | 2 | 3, string>>;
  unresolvedAfter?: string;
  /** What stops the unresolved timer (default: the file's default, resolved). */
  unresolvedUntil?: 'resolved' | 'mitigated';
  /** The roles SEV-0 and data-loss risk page at once (default: the CTO). */
  critical?: string | string[];
  /** The roles a data-loss risk also pages (default: none, as in a file without data_loss). */
  dataLoss?: string | string[];
  contacts?: Partial<Record<keyof typeof CONTACTS, string[]>>;
}

/** The runbook file's content (as a person writes it) with durations short enough for a test to wait for them. */
export function testRunbookData(o: TestRunbookOptions = {}) {
  const contacts = { ...CONTACTS, ...o.contacts };
  const sev = (n: 0 | 1 | 2 | 3, name: string) => ({
    name,
    definition: '',
    respond_within: o.respond?.[n] ?? RESPOND_WITHIN[n],
  });
  return {
    name: 'test runbook',
    severities: {
      'SEV-0': sev(0, 'Critical'),
      'SEV-1': sev(1, 'High'),
      'SEV-2': sev(2, 'Medium'),
      'SEV-3': sev(3, 'Low'),
    },
    escalation: {
      order: ['on_call', 'senior_devops', 'engineering_manager', 'cto'],
      roles: {
        on_call: { name: 'On-Call Engineer', contacts: contacts.on_call },
        senior_devops: { name: 'Senior DevOps Engineer', contacts: contacts.senior_devops },
        engineering_manager: { name: 'Engineering Manager', contacts: contacts.engineering_manager },
        cto: { name: 'CTO', contacts: contacts.cto },
        database_team: { name: 'Database Team', contacts: contacts.database_team },
      },
      rules: {
        on_declare: 'on_call',
        unresolved: {
          after: o.unresolvedAfter ?? '1h',
          page: 'senior_devops',
          ...(o.unresolvedUntil ? { until: o.unresolvedUntil } : {}),
        },
        customer_impact: 'engineering_manager',
        critical: o.critical ?? 'cto',
        unacknowledged: 'on_call',
        ...(o.dataLoss ? { data_loss: o.dataLoss } : {}),
      },
    },
  };
}

/** testRunbookData, validated as the bot validates the file. */
export function testRunbook(o: TestRunbookOptions = {}): Runbook {
  return parseRunbook(testRunbookData(o));
}

/**
 * Runbook data with one role's contacts replaced by a rotation (`rotation` as the runbook file has it): the role keeps
 * its name and has no fixed contacts. Returns the same data, changed.
 */
export function withRotation<T extends { escalation: { roles: unknown } }>(
  data: T,
  role: string,
  name: string,
  rotation: Record<string, unknown>,
): T {
  const roles = data.escalation.roles as Record<string, Record<string, unknown>>;
  roles[role] = { name, contacts: [], rotation };
  return data;
}

/** Alice and Bob on call a week each, handing over on Mondays at 09:00 in London, from 2026-01-05. */
export const WEEKLY_ON_CALL = {
  people: ['U0ALICE', 'U0BOB'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'Europe/London' },
  start: '2026-01-05',
};

/**
 * The test runbook with on-call on WEEKLY_ON_CALL (for overrides and the board) and a maintenance process with these
 * `windows` (for windows by hand).
 */
export function rotationMaintenanceRunbook(windows: Record<string, unknown> = {}): Runbook {
  const data = withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL);
  return parseRunbook({
    ...data,
    maintenance: {
      notice_before: '1h',
      process: { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test'] },
      windows,
    },
  });
}

/** A playbook of one step that changes production (`atom-cli restart`), suggested for "restart me". */
export const RESTART_PLAYBOOK = {
  title: 'Restart the app',
  kind: 'incident',
  match: ['restart me'],
  mitigation: [{ text: 'Restart every node', run: ['atom-cli', 'restart'], destructive: true, timeout: '5s' }],
};

/** A security playbook: "unauthorized access" in a title makes the incident private. */
export const UNAUTHORIZED_ACCESS_PLAYBOOK = {
  title: 'Unauthorized Access',
  kind: 'security',
  match: ['unauthorized access'],
  mitigation: ['Revoke sessions, force password reset'],
};
