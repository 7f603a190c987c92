import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { cardShows, declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';

const json = (v: unknown) => JSON.stringify(v);
const count = (text: string, part: string) => text.split(part).length - 1;

/**
 * Resolving by a status update (Status = Resolved) stored the update's whole CURRENT STATUS (up to 3,000 characters,
 * on many lines) as the resolution summary, where `/incident resolve` keeps it to one line of 300; the combined notice
 * and the card then showed the same text twice (CURRENT STATUS, then Summary / Resolution). Found from outside.
 */
describe('a resolution by status update: its summary one line, not said twice', () => {
  const bot = useBot({ incidentsChannel: true });
  const resolveByUpdate = async (title: string, currentStatus: string) => {
    const inc = await declareThroughBot(bot, title);
    await postStatusUpdate(bot, inc, { status: 'resolved', affected: 'checkout', impact: 'none now', currentStatus });
    const summary = await eventually(async () => {
      const { rows } = await bot.db.query<{ status: string; resolution_summary: string | null }>(
        'SELECT status, resolution_summary FROM incidents WHERE id = $1',
        [inc.incidentId],
      );
      return rows[0]?.status === 'resolved' ? rows[0].resolution_summary : undefined;
    }, 'the resolution');
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && json(c.args).includes('resolved* by'),
    );
    return { inc, summary, notice: json(notice.args.blocks) };
  };

  it('several lines: the summary is the first line; the notice and the card show the text once', async () => {
    const first = 'FIRSTLINE disk on db-3 freed, writes back';
    const { inc, summary, notice } = await resolveByUpdate(
      'sev3 checkout writes fail',
      `${first}\nSECONDLINE we rotated the logs\n\nTHIRDLINE watching for an hour`,
    );
    expect(summary).toBe(first);
    expect(count(notice, 'FIRSTLINE')).toBe(1);
    expect(notice).toContain('SECONDLINE');
    expect(notice).not.toContain('*Summary:*');
    const card = await cardShows(bot, inc, 'Write post-mortem');
    expect(count(card, 'FIRSTLINE')).toBe(1);
    expect(card).not.toContain('*Resolution:*');
  });

  it('one line of 2,900 characters: the summary is cut to 300 with an ellipsis', async () => {
    const long = `LONGLINE ${'word '.repeat(600)}`.slice(0, 2900);
    const { summary, notice } = await resolveByUpdate('sev3 checkout is slow', long);
    // Cut at 299 characters (a space there dropped), then the ellipsis.
    expect([...summary!].length).toBeGreaterThan(295);
    expect([...summary!].length).toBeLessThanOrEqual(300);
    expect(summary!.endsWith('…')).toBe(true);
    expect(long.startsWith(summary!.slice(0, -1).trimEnd())).toBe(true);
    expect(count(notice, 'LONGLINE')).toBe(1);
  });

  it('/incident resolve keeps its own summary on the card beside the current status', async () => {
    const inc = await declareThroughBot(bot, 'sev3 search is stale');
    await postStatusUpdate(bot, inc, { affected: 'search', impact: 'stale', currentStatus: 'REINDEXING now' });
    await eventually(async () => {
      const { rows } = await bot.db.query<{ current_status: string | null }>(
        'SELECT current_status FROM incidents WHERE id = $1',
        [inc.incidentId],
      );
      return rows[0]?.current_status ? true : undefined;
    }, 'the update');
    await bot.command('resolve INDEX-REBUILT from the snapshot', { channel_id: inc.channelId });
    const card = await cardShows(bot, inc, 'Write post-mortem');
    expect(card).toContain('*Resolution:* INDEX-REBUILT from the snapshot');
    expect(card).toContain('REINDEXING now');
  });
});
