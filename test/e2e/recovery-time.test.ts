import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { cardShows, declareThroughBot, eventually, type Opened, postStatusUpdate } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const REPORTER = 'U0REPORTER';
const TITLE = 'Disaster Recovery: Complete Site Failure';

/**
 * Two procedures with recovery objectives, their RTOs in seconds so that the test waits for them: a range, as the
 * runbook gives Disaster Recovery's (2-4 hours), and a single duration. The range's lower bound leaves a test 3 s to
 * act before it (a loaded machine is slow to declare); its upper bound only 2 s after, as the tests that wait past it
 * (or until it) wait no longer than they must.
 */
const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    playbooks: {
      'disaster-recovery': {
        title: TITLE,
        kind: 'procedure',
        rto: '3s-5s',
        rpo: { within: '5m', note: 'Neon continuous backups' },
        mitigation: ['Restore the database from the latest backup'],
      },
      'region-failover': {
        title: 'Region failover',
        kind: 'procedure',
        rto: '3s',
        mitigation: ['Fail over to the standby region'],
      },
    },
  });

/** The channel's messages that say an RTO bound passed. */
const rtoNotices = (bot: ReturnType<typeof useBot>, channelId: string) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter((c) => c.args.channel === channelId && /past (the lower bound of )?its RTO/.test(String(c.args.text)));

describe('the RTO of an incident’s procedure, told when its bounds pass', () => {
  const bot = useBot({ runbook: runbook() });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Types `/incident <text>` in the incident's channel as the reporter. */
  const type = (opened: Opened, text: string) => bot.command(text, { channel_id: opened.channelId, user_id: REPORTER });
  /** Attaches a playbook by typing it, and waits for the card to show its RTO (`shown`) or none (`null`). */
  const attach = async (opened: Opened, how: 'playbook' | 'detach', playbook: string, shown: RegExp | null) => {
    await type(opened, `${how} ${playbook}`);
    await cardShows(bot, opened, shown ?? /^(?![\s\S]*RTO)/);
  };
  /** The channel's message saying the RTO passed. */
  const rtoPassed = (opened: Opened) =>
    bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === opened.channelId && String(c.args.text).includes('past its RTO'),
      15_000,
    );

  it('tells the channel and the commander when the lower bound passes, then the RTO, once each, and the card and timeline show it', async () => {
    const opened = await declareThroughBot(bot, 'sev0 complete site failure in iad', REPORTER);
    await bot.clickCard({ ...opened, id: opened.incidentId }, ACTION.acknowledge, REPORTER);
    await cardShows(bot, opened, 'Take command');
    await attach(opened, 'playbook', 'disaster-recovery', /RTO 3-5 seconds: started <!date/);

    const lower = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === opened.channelId && String(c.args.text).includes('lower bound'),
      15_000,
    );
    expect(String(lower.args.text)).toMatch(
      new RegExp(
        `^:hourglass_flowing_sand: <@${REPORTER}>: \\*${TITLE}\\* is past the lower bound of its RTO \\(3-5 seconds\\): the incident was declared <!date\\^\\d+\\^\\{ago\\}\\|[^>]+>, and the RTO is due <!date\\^\\d+\\^`,
      ),
    );
    // Not before its time: the declaration's own time plus 3 s.
    const { rows } = await bot.db.query<{ created_at: Date }>(
      'SELECT created_at FROM incidents WHERE channel_id = $1',
      [opened.channelId],
    );
    const declaredAt = rows[0]!.created_at.getTime();
    expect(lower.at).toBeGreaterThanOrEqual(declaredAt + 3000);
    await cardShows(bot, opened, ':warning: past the lower bound');

    const passed = await rtoPassed(opened);
    expect(String(passed.args.text)).toMatch(
      new RegExp(
        `^:rotating_light: <@${REPORTER}>: \\*${TITLE}\\* is past its RTO \\(3-5 seconds\\): the incident was declared <!date\\^${Math.floor(declaredAt / 1000)}\\^\\{ago\\}\\|[^>]+>\\. Give stakeholders a new estimate \\(\`/incident update\`\\), and page more help if you need it \\(\`/incident escalate\`\\)\\.$`,
      ),
    );
    expect(passed.at).toBeGreaterThanOrEqual(declaredAt + 5000);
    await cardShows(bot, opened, ':rotating_light: past the RTO, due <!date');

    // Once each: a second later nothing more was said.
    await sleep(1500);
    expect(rtoNotices(bot, opened.channelId)).toHaveLength(2);

    await type(opened, 'timeline');
    const timeline = await eventually(
      async () => bot.replies().find((r) => JSON.stringify(r).includes('Timeline · #')),
      'the timeline',
    );
    const shown = JSON.stringify(timeline);
    expect(shown).toContain(`Reminded the commander that ${TITLE} is past the lower bound of its RTO (3-5 seconds)`);
    expect(shown).toContain(`Reminded the commander that ${TITLE} is past its RTO (3-5 seconds)`);
  });

  it('says nothing of an RTO whose procedure was detached before its bounds, and the card drops it', async () => {
    const declaring = Date.now();
    const opened = await declareThroughBot(bot, 'sev1 site failure in fra', REPORTER);
    await attach(opened, 'playbook', 'disaster-recovery', /RTO 3-5 seconds/);
    await attach(opened, 'detach', 'disaster-recovery', null);
    const detached = Date.now();
    await sleep(6000);
    // Nothing after the detach; and nothing at all when it came before the lower bound (3 s after the declaration: a
    // loaded machine may take longer to declare, attach and detach, and the bound told before the detach is right).
    expect(rtoNotices(bot, opened.channelId).filter((c) => c.at > detached)).toEqual([]);
    if (detached - declaring < 3000) expect(rtoNotices(bot, opened.channelId)).toEqual([]);
  });

  it('counts an RTO attached again after a detach, and says nothing once the incident is resolved', async () => {
    const again = await declareThroughBot(bot, 'sev1 site failure in sin', REPORTER);
    await attach(again, 'playbook', 'disaster-recovery', /RTO 3-5 seconds/);
    await attach(again, 'detach', 'disaster-recovery', null);
    await attach(again, 'playbook', 'disaster-recovery', /RTO 3-5 seconds/);

    const resolved = await declareThroughBot(bot, 'sev1 site failure in syd', REPORTER);
    await attach(resolved, 'playbook', 'region-failover', /RTO 3 seconds/);
    await type(resolved, 'resolve restored from backup');
    await cardShows(bot, resolved, /recovered \(resolved\) in/);

    await rtoPassed(again);
    expect(rtoNotices(bot, again.channelId)).toHaveLength(2);
    expect(rtoNotices(bot, resolved.channelId)).toEqual([]);
  });

  it('mitigated before its bounds: the service is restored, nothing is told, and the card and list say when', async () => {
    const opened = await declareThroughBot(bot, 'sev1 site failure in ams', REPORTER);
    await attach(opened, 'playbook', 'disaster-recovery', /RTO 3-5 seconds/);
    await type(opened, 'mitigated failed over to the standby region');
    await cardShows(bot, opened, /RTO 3-5 seconds: recovered \(mitigated\) in \d+ seconds? \(within the RTO\)/);
    await sleep(6000);
    expect(rtoNotices(bot, opened.channelId)).toEqual([]);
    const list = await bot.answer(await bot.command('list', { user_id: REPORTER }));
    expect(JSON.stringify(list)).toMatch(/recovered in \d+ seconds? \(within its RTO 3-5 seconds\)/);
  });

  it('a mitigation undone (a status update back to Investigating) counts again: both bounds are told', async () => {
    const opened = await declareThroughBot(bot, 'sev1 site failure in lhr', REPORTER);
    await attach(opened, 'playbook', 'disaster-recovery', /RTO 3-5 seconds/);
    await type(opened, 'mitigated failed over');
    await cardShows(bot, opened, /recovered \(mitigated\)/);
    await postStatusUpdate(
      bot,
      opened,
      {
        status: 'investigating',
        affected: 'all tenants',
        impact: 'site down again',
        currentStatus: 'the standby region failed too',
      },
      REPORTER,
    );
    await cardShows(bot, opened, /RTO 3-5 seconds: started/);
    await rtoPassed(opened);
    expect(rtoNotices(bot, opened.channelId)).toHaveLength(2);
  });

  it('reopened past its RTO, tells the RTO passed once, and not the lower bound before it', async () => {
    const opened = await declareThroughBot(bot, 'sev1 site failure in gru', REPORTER);
    await attach(opened, 'playbook', 'disaster-recovery', /RTO 3-5 seconds/);
    await type(opened, 'resolve failed over');
    await cardShows(bot, opened, /recovered \(resolved\) in/);
    await sleep(5500);
    expect(rtoNotices(bot, opened.channelId)).toEqual([]);
    await type(opened, 'reopen errors are back');
    await rtoPassed(opened);
    await sleep(1500);
    expect(rtoNotices(bot, opened.channelId).map((c) => String(c.args.text).slice(0, 25))).toEqual([
      ':rotating_light: Commande',
    ]);
  });

  it('tells a single-duration RTO once, when it passes (no lower bound to pass)', async () => {
    const opened = await declareThroughBot(bot, 'sev1 region down in ams', REPORTER);
    await type(opened, 'playbook region-failover');
    const passed = await rtoPassed(opened);
    // Nobody has acknowledged: the commander is named as a role.
    expect(String(passed.args.text)).toMatch(
      /^:rotating_light: Commander: \*Region failover\* is past its RTO \(3 seconds\): the incident was declared <!date/,
    );
    await sleep(1500);
    expect(rtoNotices(bot, opened.channelId)).toHaveLength(1);
  });
});
