import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { askPrivately } from '../support/oncall-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const PROCESS = { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test'] };

describe('`/incident maintenance start` with a slip in the name of a window of the runbook', () => {
  const runbook = parseRunbook({
    ...testRunbookData(),
    maintenance: {
      notice_before: '1h',
      process: PROCESS,
      windows: { quarterly: { title: 'Quarterly Maintenance', tasks: ['Disaster recovery drill'] } },
    },
  });
  const bot = useBot({ runbook, incidentsChannel: true, timers: false });
  const ask = async (text: string) => (await askPrivately(bot, text, 'U0REPORTER')).text;
  const windows = async () =>
    (await bot.db.query<{ title: string }>('SELECT title FROM maintenance_windows ORDER BY id')).rows.map(
      (r) => r.title,
    );

  it('opens nothing and names the window meant, rather than a window of that title without its tasks', async () => {
    const reply = await ask('maintenance start quartrely');
    expect(reply).toContain(
      'There is no window `quartrely` in the runbook file: did you mean `/incident maintenance start quarterly` (*Quarterly Maintenance*)?',
    );
    expect(reply).toContain('Nothing was opened.');
    expect(await windows()).toEqual([]);
    const withEnd = await ask('maintenance start Quarterley for 2h');
    expect(withEnd).toContain(
      'There is no window `Quarterley` in the runbook file: did you mean `/incident maintenance start quarterly`',
    );
    expect(await windows()).toEqual([]);
  });

  it('a title of its own of several words, or one word near no window, is opened as typed', async () => {
    expect(await ask('maintenance start quartrely cleanup')).toContain('*quartrely cleanup* is open');
    expect(await ask('maintenance end')).toContain('Ended');
    expect(await ask('maintenance start reindex')).toContain('*reindex* is open');
    expect(await ask('maintenance end')).toContain('Ended');
    expect(await windows()).toEqual(['quartrely cleanup', 'reindex']);
  });
});
