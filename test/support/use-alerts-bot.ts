/**
 * The bot of the alerts tests (test/e2e/alerts*.test.ts): alerts on, an incidents channel, the alert runbook, a storm
 * cap of two incidents a source, every delivery counted however soon it comes, and a maintenance window the tests open
 * and close. With what they read of it: an incident's card, the one incident of a source, a source's alerts.
 */
import { expect } from 'vitest';
import type { MaintenanceWindows } from '../../src/incidents/alert-ports.js';
import { ALERTS_ENV, genericAlert, postAlerts } from './alert-request.js';
import { alertRunbook, type IncidentOfAlert, inboxDone, incidentsOfSource } from './alert-runbook.js';
import { useBot } from './bot-harness.js';

/** One alert delivery in the generic format, signed with the bearer token. */
export const postGenericAlert = (baseUrl: string, over: Record<string, unknown>) =>
  postAlerts(baseUrl, '/hooks/alerts', genericAlert(over));

export function useAlertsBot() {
  /** Set `open` for the maintenance window the bot asks about. */
  const maintenance = { open: false };
  const windows: MaintenanceWindows = { inMaintenance: async () => maintenance.open };
  const bot = useBot({
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
    incidentsChannel: true,
    runbook: alertRunbook(),
    // Alertmanager repeats a group with the same body: here every delivery counts, however soon it comes.
    alerts: { maintenance: windows, duplicateWindowMs: 1 },
  });
  const card = (i: IncidentOfAlert) => bot.fake.message(i.channel_id, i.card_ts!);
  const cardText = (i: IncidentOfAlert) => JSON.stringify(card(i)?.blocks);
  /** The one incident of `source`, once the inbox is worked through. */
  const one = async (source: string) => {
    await inboxDone(bot.db);
    const list = await incidentsOfSource(bot.db, source);
    expect(list).toHaveLength(1);
    return list[0]!;
  };
  const alertRows = async (source: string) =>
    (
      await bot.db.query<{ fingerprint: string; status: string; count: number; alert_incident_id: number | null }>(
        'SELECT fingerprint, status, count, alert_incident_id FROM alerts WHERE source = $1 ORDER BY id',
        [source],
      )
    ).rows;
  return { bot, maintenance, card, cardText, one, alertRows };
}
