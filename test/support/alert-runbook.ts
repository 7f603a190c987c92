import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_RUNBOOK_FILE, parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import type { Queryable } from '../../src/store/db.js';
import { ACTION, BLOCK } from '../../src/templates/ids.js';
import { genericAlert, postAlerts } from './alert-request.js';
import type { BotHarness } from './bot-harness.js';
import type { RecordedCall } from './fake-slack.js';
import { type TestRunbookOptions, testRunbookData } from './test-runbook.js';

const bundled = parse(readFileSync(DEFAULT_RUNBOOK_FILE, 'utf8')) as { playbooks: unknown; alerts: unknown[] };

/** A row only tests use: a critical alert whose incident resolves on its own once it resolves. */
export const AUTO_RESOLVE_ROW = {
  name: 'QueueBacklogCritical',
  metric: 'queue_backlog',
  threshold: '> 10000 jobs',
  duration: '5m',
  level: 'critical',
  action: 'Drain the queue',
  playbook: 'memory-leaks',
  severity: 'SEV-2',
  auto_resolve: true,
};

/** The test runbook's data with the bundled runbook's playbooks and Alert Thresholds table (and AUTO_RESOLVE_ROW). */
export function alertRunbookData(o: TestRunbookOptions = {}) {
  return { ...testRunbookData(o), playbooks: bundled.playbooks, alerts: [...bundled.alerts, AUTO_RESOLVE_ROW] };
}

export function alertRunbook(o: TestRunbookOptions = {}): Runbook {
  return parseRunbook(alertRunbookData(o));
}

/** A critical row of an operator's own, handled as unauthorized access (a security playbook): its incident is private. */
export const securityRow = (name: string, metric: string, severity: 'SEV-1' | 'SEV-2', threshold: string) => ({
  name,
  metric,
  threshold,
  level: 'critical',
  action: 'Block the source and rotate the credentials it tried',
  playbook: 'unauthorized-access',
  severity,
});

/**
 * The alert runbook with `rows` added to its Alert Thresholds, its private incidents announced as such: the incidents
 * channel hears that one was declared, nothing more.
 */
export function privateAlertRunbook(rows: readonly ReturnType<typeof securityRow>[]): Runbook {
  const data = alertRunbookData();
  return parseRunbook({ ...data, alerts: [...data.alerts, ...rows], private_incidents: { announce: 'notice' } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `fn` returns something truthy (polling every 50 ms); throws with `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
  /** What was seen instead, told when it times out. */
  seen?: () => Promise<string> | string,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${seen ? `; seen instead:\n${await seen()}` : ''}`);
    await sleep(50);
  }
}

/**
 * Every delivery the inbox holds now is done (recorded and its plan carried out). Those that come after are not waited
 * for: a real Alertmanager resends its groups every few seconds, and their repeats wait a second or two to be recorded
 * together, so an inbox empty at one moment may never be seen.
 */
export async function inboxDone(db: Queryable, timeoutMs = 15_000): Promise<void> {
  const { rows: last } = await db.query<{ id: string | null }>('SELECT max(id) AS id FROM alert_deliveries');
  const upTo = last[0]?.id ?? '0';
  await waitUntil(
    'the alert inbox to be worked through',
    async () => {
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM alert_deliveries WHERE state IN ('received', 'recorded') AND id <= $1`,
        [upTo],
      );
      return Number(rows[0]!.n) === 0;
    },
    timeoutMs,
    async () => {
      const { rows } = await db.query<{ id: string; source: string; state: string }>(
        `SELECT id, source, state FROM alert_deliveries WHERE state IN ('received', 'recorded') AND id <= $1 ORDER BY id LIMIT 10`,
        [upTo],
      );
      return JSON.stringify(rows);
    },
  );
}

/**
 * Posts one alert in the generic format (`over`: its fields) to `/hooks/alerts`; throws unless the hook took it (202).
 * Then, unless `wait` is false, waits until the inbox is worked through (recorded and its plan carried out).
 */
export async function fireAlert(
  bot: Pick<BotHarness, 'baseUrl' | 'db'>,
  over: Record<string, unknown>,
  o: { wait?: boolean } = {},
): Promise<void> {
  const r = await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(over));
  if (r.status !== 202) throw new Error(`the alert hook answered ${r.status}, not 202: ${r.text}`);
  if (o.wait !== false) await inboxDone(bot.db);
}

/**
 * A storm test's alerts from `source`: `fire` one of `metric` for `key` (97% over 95%: its runbook row's severity, or
 * SEV-1 for a metric no row names), the incident `key` went to (waited for), and incident `id` once declared (its card
 * up).
 */
export function stormAlerts(bot: Pick<BotHarness, 'baseUrl' | 'db'>, source: string) {
  return {
    fire: (key: string, metric: string, o: { wait?: boolean } = {}) =>
      fireAlert(bot, { source, key, metric, value: '97%', threshold: '> 95%', summary: `${metric} high (${key})` }, o),
    incidentOf: (key: string) => waitUntil(`the incident of ${key}`, () => incidentOfAlert(bot.db, source, key)),
    declared: (id: number) =>
      waitUntil(`incident ${id} declared`, async () =>
        (await incidentsOfSource(bot.db, source)).find((i) => i.id === id && i.card_ts),
      ),
  };
}

/** The incident an alert (its source and key or fingerprint) is in, as its latest row says; null when none. */
export async function incidentOfAlert(db: Queryable, source: string, key: string): Promise<number | null> {
  const { rows } = await db.query<{ incident_id: number | null }>(
    `SELECT ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
     WHERE a.source = $1 AND a.fingerprint = $2 ORDER BY a.id DESC LIMIT 1`,
    [source, key],
  );
  const id = rows[0]?.incident_id;
  return id === null || id === undefined ? null : Number(id);
}

export interface IncidentOfAlert {
  id: number;
  number: number;
  title: string;
  severity: number;
  status: string;
  reporter_id: string;
  channel_id: string;
  card_ts: string | null;
}

/** The incidents opened from (or joined by) a source's alerts, oldest first. */
export async function incidentsOfSource(db: Queryable, source: string): Promise<IncidentOfAlert[]> {
  const { rows } = await db.query<IncidentOfAlert>(
    `SELECT DISTINCT i.id, i.number, i.title, i.severity, i.status, i.reporter_id, i.channel_id, i.card_ts
     FROM incidents i JOIN alert_incidents ai ON ai.incident_id = i.id
     WHERE ai.source = $1 AND NOT i.declaring ORDER BY i.id`,
    [source],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), number: Number(r.number), severity: Number(r.severity) }));
}

/**
 * Presses Declare incident on an alert's notice (`message`, wherever it went) and reads the form it opens: whether
 * its Private box is ticked.
 */
export async function declareFormPrivate(bot: BotHarness, message: RecordedCall): Promise<boolean> {
  const opened = bot.fake.callsTo('views.open').length;
  await bot.press(message, ACTION.declareFromAlert);
  const form = (await bot.fake.waitForCount('views.open', opened + 1)).at(-1)!;
  const box = (form.args.view.blocks as { block_id?: string; element?: { initial_options?: unknown[] } }[]).find(
    (b) => b.block_id === BLOCK.declarePrivate,
  );
  return box?.element?.initial_options?.length === 1;
}
