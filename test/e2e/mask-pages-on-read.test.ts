import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { declareThroughBot } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const OLIVE_KEY = '0123456789abcdef0123456789abcdef';
/** A COMMAND_ENV value the bot knows is secret now, which it did not know when the title below was written. */
const TOKEN = 'tok-9e4a1c7b3f2d8056';

/** On-call by Slack, then email after 3 s, then PagerDuty after 4 s: time for the test to change the row before. */
function notifyRunbook() {
  const data = testRunbookData();
  const roles = data.escalation.roles;
  return parseRunbook({
    ...data,
    people: { U0ONCALL: { name: 'Olive', email: 'olive@example.com', pagerduty: { routing_key: OLIVE_KEY } } },
    escalation: {
      ...data.escalation,
      roles: {
        ...roles,
        on_call: {
          ...roles.on_call,
          notify: [{ via: 'slack' }, { via: 'email', after: '3s' }, { via: 'pagerduty', after: '4s' }],
        },
      },
    },
  });
}

/**
 * A page sent by email or PagerDuty after an incident's title came to hold a value known secret only since (stored
 * by an older version, a COMMAND_ENV value configured since): the email's subject and text and PagerDuty's summary
 * show the title masked.
 */
describe('pages by email and PagerDuty, of a title stored before a value was known secret', () => {
  let bot: BotHarness;
  let smtp: FakeSmtp;
  let pd: FakePagerDuty;

  beforeAll(async () => {
    smtp = await FakeSmtp.start();
    pd = await FakePagerDuty.start();
    bot = await startBot({
      runbook: notifyRunbook(),
      env: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: 'Incident Bot <incidents@example.com>',
        PAGERDUTY_EVENTS_URL: pd.eventsUrl,
        COMMAND_ENV: 'ATOM_API_TOKEN',
        ATOM_API_TOKEN: TOKEN,
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await smtp?.close();
    await pd?.close();
  });

  it('masks the value in the email and the PagerDuty event', async () => {
    const inc = await declareThroughBot(bot, 'sev2 checkout is slow');
    // As an older version stored it, the value in clear; before the email and PagerDuty steps are due.
    await bot.db.query('UPDATE incidents SET title = $2 WHERE id = $1', [
      inc.incidentId,
      `checkout is slow, key ${TOKEN}`,
    ]);

    const mail = await smtp.waitFor((m) => m.to.includes('olive@example.com'));
    expect(mail.subject).toContain('checkout is slow, key ***');
    expect(mail.subject).not.toContain(TOKEN);
    expect(mail.text).not.toContain(TOKEN);

    const trigger = await pd.waitFor((e) => e.event_action === 'trigger');
    expect(trigger.payload?.summary).toContain('checkout is slow, key ***');
    expect(JSON.stringify(trigger)).not.toContain(TOKEN);
  });
});
