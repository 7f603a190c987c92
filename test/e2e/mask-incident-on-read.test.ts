import { beforeAll, describe, expect, it } from 'vitest';
import { VIEW } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, type Opened } from '../support/incident-flow.js';
import { makeAppHomeOpened, TEST_REPORTER_ID, TEST_TEAM_ID } from '../support/slack-request.js';
import { statusFormValues } from '../support/status-form.js';

const ADMIN_TOKEN = 'postmortem-admin-token-0123456789';
/** A COMMAND_ENV value the bot knows is secret now, which it did not know when the rows below were written. */
const TOKEN = 'tok-5d2b8e1f9a7c3460';

/**
 * An incident's row written before a value was known secret (an older version, a COMMAND_ENV value configured since):
 * the title and the status update texts people typed hold it, so do a published update and a post-mortem document.
 * What shows them masks it on reading: the card, `/incident list`, the status page, the post-mortem document.
 */
describe('incident text stored before a value was known secret, shown', () => {
  const bot = useBot({
    timers: false,
    env: { ADMIN_TOKEN, COMMAND_ENV: 'ATOM_API_TOKEN', ATOM_API_TOKEN: TOKEN },
  });

  let inc: Opened;

  beforeAll(async () => {
    inc = await declareThroughBot(bot, 'sev1 checkout failing');
    // As an older version stored them, the value in clear.
    await bot.db.query(
      `UPDATE incidents SET title = $2, affected = $3, current_status = $4, resolution_summary = $5 WHERE id = $1`,
      [
        inc.incidentId,
        `checkout failing with key ${TOKEN}`,
        `tenants of ${TOKEN}`,
        `rotating ${TOKEN}`,
        `rotated ${TOKEN}`,
      ],
    );
    await bot.db.query(
      `INSERT INTO status_page_updates (incident_id, at, status, affected, current_impact, current_status, next_update_at)
       VALUES ($1, now(), 'investigating', $2, $3, $4, NULL)`,
      [inc.incidentId, `EU tenants ${TOKEN}`, `slow ${TOKEN}`, `failing over ${TOKEN}`],
    );
    await bot.db.query(
      `INSERT INTO postmortem_versions (incident_id, version, markdown, written_by) VALUES ($1, 1, $2, 'U0OLD')`,
      [inc.incidentId, `# Post-mortem: incident — checkout failing with key ${TOKEN}\n\nRoot cause: ${TOKEN} leaked\n`],
    );
  });

  it('masks it on the card', async () => {
    // The card, refreshed by a change.
    await bot.command('severity sev2', { channel_id: inc.channelId });
    const card = await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.channel === inc.channelId && c.args.ts === inc.cardTs && JSON.stringify(c.args).includes('SEV-2'),
    );
    const shownCard = JSON.stringify(card.args);
    expect(shownCard).toContain('checkout failing with key ***');
    expect(shownCard).not.toContain(TOKEN);
  });

  it('masks it in /incident list', async () => {
    await bot.command('list');
    const list = await bot.fake.waitFor('response_url', (c) => JSON.stringify(c.args).includes('checkout failing'));
    const shownList = JSON.stringify(list.args);
    expect(shownList).toContain('checkout failing with key ***');
    expect(shownList).not.toContain(TOKEN);
  });

  it('masks it on the Home tab', async () => {
    await bot.event(makeAppHomeOpened(TEST_REPORTER_ID));
    const home = await eventually(async () => {
      const view = JSON.stringify(bot.fake.homeTabs.get(TEST_REPORTER_ID)?.view ?? null);
      return view.includes('checkout failing') ? view : undefined;
    }, 'the Home tab');
    // The title is in bold there: the mask's asterisks are look-alikes (∗), so the bold closes where it should.
    expect(home).toContain('*#1 checkout failing with key ∗∗∗*');
    expect(home).not.toContain(TOKEN);
  });

  it('masks it on the status page (JSON, HTML, Atom)', async () => {
    // A SEV-1 is public from its declaration; its published update too.
    const page = await eventually(async () => {
      const text = await (await fetch(`${bot.baseUrl}/status.json`)).text();
      return text.includes('checkout failing with key') && text.includes('EU tenants') ? text : undefined;
    }, 'the incident on the status page');
    expect(page).toContain('checkout failing with key ***');
    expect(page).toContain('EU tenants ***');
    expect(page).not.toContain(TOKEN);
    const html = await (await fetch(`${bot.baseUrl}/status`)).text();
    expect(html).toContain('checkout failing with key ***');
    expect(html).not.toContain(TOKEN);
    const atom = await (await fetch(`${bot.baseUrl}/status.atom`)).text();
    expect(atom).not.toContain(TOKEN);
  });

  it('masks it in the post-mortem document served over HTTP', async () => {
    const { rows } = await bot.db.query<{ number: number }>('SELECT number FROM incidents WHERE id = $1', [
      inc.incidentId,
    ]);
    const res = await fetch(`${bot.baseUrl}/incidents/${TEST_TEAM_ID}/${rows[0]!.number}/postmortem.md`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const doc = await res.text();
    expect(doc).toContain('checkout failing with key ***');
    expect(doc).toContain('Root cause: *** leaked');
    expect(doc).not.toContain(TOKEN);
  });

  it('masks it in /incident status and in the status update form, which takes it back as it showed it', async () => {
    await bot.command('status', { channel_id: inc.channelId });
    const status = await bot.fake.waitFor('response_url', (c) => JSON.stringify(c.args).includes('checkout failing'));
    expect(JSON.stringify(status.args)).toContain('checkout failing with key ***');
    expect(JSON.stringify(status.args)).not.toContain(TOKEN);

    await bot.command('update', { channel_id: inc.channelId });
    const view = (await bot.fake.waitFor('views.open')).args.view as { private_metadata: string };
    const form = JSON.stringify(view);
    expect(form).toContain('tenants of ***');
    expect(form).toContain('rotating ***');
    expect(form).not.toContain(TOKEN);

    // Submitted with those fields as the form showed them: no other update is said to have been posted meanwhile.
    const res = await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: view.private_metadata,
      values: statusFormValues({ affected: 'tenants of ***', impact: 'slow', currentStatus: 'rotating ***' }),
    });
    expect(res.status).toBe(200);
    await eventually(async () => {
      const { rows } = await bot.db.query<{ current_impact: string | null }>(
        'SELECT current_impact FROM incidents WHERE id = $1',
        [inc.incidentId],
      );
      return rows[0]?.current_impact === 'slow' ? true : undefined;
    }, 'the update');
    const { rows } = await bot.db.query<{ affected: string; current_status: string }>(
      'SELECT affected, current_status FROM incidents WHERE id = $1',
      [inc.incidentId],
    );
    expect(rows[0]).toEqual({ affected: 'tenants of ***', current_status: 'rotating ***' });
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.stringify(bot.fake.calls)).not.toContain('another update was posted');
  });

  it('masks it in the post-mortem form, filled with what was stored', async () => {
    // Resolved (as an older version left it), with its answers and an action item holding the value.
    await bot.db.query(`UPDATE incidents SET status = 'resolved', resolved_at = now() WHERE id = $1`, [inc.incidentId]);
    await bot.db.query(
      `INSERT INTO postmortems (incident_id, root_cause, went_well, updated_by) VALUES ($1, $2, $3, 'U0OLD')`,
      [inc.incidentId, `${TOKEN} was leaked`, `rotated ${TOKEN} fast`],
    );
    await bot.db.query(
      `INSERT INTO action_items (incident_id, team_id, text, created_by) VALUES ($1, $2, $3, 'U0OLD')`,
      [inc.incidentId, TEST_TEAM_ID, `revoke ${TOKEN}`],
    );
    await bot.command('postmortem', { channel_id: inc.channelId });
    const form = JSON.stringify((await bot.fake.waitFor('views.open')).args.view);
    expect(form).toContain('*** was leaked');
    expect(form).toContain('rotated *** fast');
    expect(form).toContain('revoke ***');
    expect(form).not.toContain(TOKEN);
  });
});
