import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

/**
 * A step that looks for lines (`look_for`) and runs a while: its checklist line says how many of the lines read so far
 * have what it looks for while it runs, as its run's message does, not only once it ended.
 */
describe("a running step's checklist line", () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      runbook: parseRunbook({
        ...testRunbookData(),
        playbooks: {
          'slow-logs': {
            title: 'Slow Logs',
            kind: 'incident',
            match: ['slow logs'],
            symptoms: ['Errors'],
            detection: [{ text: 'Follow the logs', run: ['atom-cli', 'logs'], look_for: 'progress', timeout: '30s' }],
            mitigation: [],
            resolution: [],
            prevention: [],
          },
        },
      }),
      timers: false,
      env: {
        ATOM_CLI,
        // The fake CLI prints "progress i/20" every 400 ms, then "done": about 8 s.
        COMMAND_ENV: 'ATOM_CLI_SLOW_MS,ATOM_CLI_SLOW_COUNT',
        ATOM_CLI_SLOW_MS: '400',
        ATOM_CLI_SLOW_COUNT: '20',
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('says the count of the lines read so far while it runs, then the whole count once it ended', async () => {
    await bot.command('sev2 slow logs everywhere');
    const pb = await bot.fake.waitFor('chat.postMessage', (m) => /^Playbook: Slow Logs/.test(String(m.args.text)));
    const channelId = String(pb.args.channel);
    const ts = (pb.response as { ts: string }).ts;
    bot.fake.channels.get(channelId)!.members.add('U0REPORTER');
    await bot.click({
      channelId,
      messageTs: ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'slow-logs', s: 'detection.0' }),
      userId: 'U0REPORTER',
    });
    const checklist = () => JSON.stringify(bot.fake.message(channelId, ts)?.blocks ?? []);
    const running = async () =>
      (await bot.db.query<{ state: string }>("SELECT state FROM step_runs WHERE playbook_id = 'slow-logs'")).rows.map(
        (r) => r.state,
      );
    await expect
      .poll(checklist, { timeout: 20_000 })
      .toMatch(/:hourglass_flowing_sand: .*:mag: \d+ of \d+ lines? (has|have) \\"progress\\" so far/);
    // Seen while the run was still running.
    expect(await running()).toEqual(['running']);
    await expect.poll(running, { timeout: 20_000 }).toEqual(['succeeded']);
    await expect.poll(checklist, { timeout: 10_000 }).toContain(':mag: 20 of 21 lines have \\"progress\\"');
    expect(checklist()).not.toContain('so far');
  });
});
