/**
 * The statements a storm step runs: a step with no post of the storm's message to withdraw reads nothing of
 * alert_storm_withdrawals (its posts one too many are the alert loop's sweep's: StormWithdrawals), where it ran two
 * statements there at its end (a DELETE, then a SELECT that could have been one).
 */
import { WebClient } from '@slack/web-api';
import { beforeEach, expect, it } from 'vitest';
import { StormSteps } from '../../src/incidents/alert-storm-steps.js';
import { SlackAlertChat } from '../../src/slack/slack-alert-chat.js';
import type { AlertIncidentRow } from '../../src/store/alert-incident.repo.js';
import type { Database } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { useFakeSlack } from '../support/use-fake-slack.js';
import { emptyTables, forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    const fake = useFakeSlack({ reset: true });
    let n = 0;
    let statements: string[];
    let steps: StormSteps;
    let incidents: number[];
    beforeEach(async () => {
      await emptyTables(ctx.db, ['alert_storm_messages', 'alert_step_posts', 'alert_storm_withdrawals', 'incidents']);
      const channel = fake.addChannel(`incidents-s-${++n}`);
      incidents = [];
      for (const k of [1, 2]) {
        const i = await insertIncident(ctx.db, { teamId: 'T1', number: k, title: 't', severity: 2, reporterId: 'U' });
        const own = fake.addChannel(`inc-${n}-${k}`);
        await ctx.db.query('UPDATE incidents SET channel_id = $2 WHERE id = $1', [i.id, own]);
        incidents.push(i.id);
      }
      statements = [];
      // The database as the step sees it, each statement written down.
      const counted = new Proxy(ctx.db, {
        get: (db, key) =>
          key === 'query'
            ? (text: string, params?: readonly unknown[]) => {
                statements.push(text);
                return db.query(text, params);
              }
            : Reflect.get(db, key, db),
      }) as Database;
      const client = new WebClient('xoxb-test', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
      const chat = new SlackAlertChat(client, { incidentsChannel: channel, log: { warn() {} } });
      steps = new StormSteps(counted, chat, async (alertIncident) => ({
        incidentId: incidents[alertIncident - 1]!,
        ai: {} as AlertIncidentRow,
      }));
    });

    const step = (alertIncident: number) => steps.storm({ kind: 'storm', alertIncident, source: 's', maxIncidents: 2 });

    it('reads nothing of the posts to withdraw, first step or next', async () => {
      await step(1);
      const first = statements.splice(0);
      await step(2);
      // The next step told the move in the storm message's thread.
      expect(fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts)).toHaveLength(1);
      expect([...first, ...statements].filter((s) => s.includes('alert_storm_withdrawals'))).toEqual([]);
    });
  },
  { only: ['postgres'] },
);
