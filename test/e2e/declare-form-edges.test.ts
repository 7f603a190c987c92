import { describe, expect, it } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { declareMetadata } from '../../src/templates/payloads.js';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import { stateValue } from '../support/slack-request.js';

const GENERAL = 'C0GENERAL';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The declare form, opened from #general, as a crafted request may send it (Slack's own checks not run). */
const declare = (
  bot: BotHarness,
  a: { title: string; severity?: string; description?: string; viewId?: string; extra?: Record<string, unknown> },
) =>
  bot.submit({
    callbackId: VIEW.declare,
    privateMetadata: declareMetadata.encode({ from: 'command', channelId: GENERAL }),
    values: {
      [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect(a.severity ?? '3') },
      [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText(a.title) },
      ...(a.description !== undefined
        ? { [BLOCK.declareDescription]: { [INPUT.text]: stateValue.plainText(a.description) } }
        : {}),
      ...a.extra,
    },
    ...(a.viewId ? { viewId: a.viewId } : {}),
  });

/** The declare form's edges: what a crafted or repeated submission does. */
describe('declare form edges', () => {
  const bot = useBot({ timers: false });
  const titles = async () =>
    (await bot.db.query<{ title: string; private: boolean }>('SELECT title, private FROM incidents ORDER BY id')).rows;

  it('a title of only spaces and invisible characters is refused under the title; nothing is declared', async () => {
    const before = (await titles()).length;
    const res = await declare(bot, { title: ' \u200b\u200d\u2060\u00a0\ufeff ' });
    expect(res.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK.declareTitle]: 'Write a title, e.g. db down.' },
    });
    expect((await titles()).length).toBe(before);
  });

  it('a title of exactly 150 characters (emoji one each) is kept whole; one more is refused under the title', async () => {
    const at = `${'a'.repeat(148)}🔥🚒`;
    const over = await declare(bot, { title: `${at}x` });
    expect(over.json).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCK.declareTitle]: expect.stringContaining('150') },
    });
    const ok = await declare(bot, { title: at, viewId: 'VDECL150' });
    expect(ok.text).toBe('');
    await bot.idle();
    expect((await titles()).map((t) => t.title)).toContain(at);
  });

  it('a description of 2,900 characters is kept; 2,901 is refused under the description', async () => {
    const over = await declare(bot, { title: 'long description edge', description: 'd'.repeat(2901) });
    expect(over.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK.declareDescription]: 'Keep the description to 2900 characters.' },
    });
    expect((await titles()).map((t) => t.title)).not.toContain('long description edge');
  });

  it('a severity the form did not offer is refused under Severity', async () => {
    for (const severity of ['9', '-1', '1.5', 'sev1', '']) {
      const res = await declare(bot, { title: `crafted severity ${severity}`, severity });
      expect([severity, res.json]).toEqual([
        severity,
        { response_action: 'errors', errors: { [BLOCK.declareSeverity]: expect.stringContaining('Pick a severity') } },
      ]);
    }
    expect((await titles()).map((t) => t.title).filter((t) => t.startsWith('crafted severity'))).toEqual([]);
  });

  it('right-to-left text keeps its letters, loses its bidi controls; a Private box value the form did not offer is not Private', async () => {
    const res = await declare(bot, {
      title: '\u202eقاعدة البيانات معطلة\u202c',
      viewId: 'VDECLRTL',
      extra: { [BLOCK.declarePrivate]: { [INPUT.checks]: stateValue.checkboxes([{ value: 'bogus' }]) } },
    });
    expect(res.text).toBe('');
    await bot.idle();
    const row = (await titles()).find((t) => t.title.includes('قاعدة'));
    expect(row).toEqual({ title: 'قاعدة البيانات معطلة', private: false });
  });

  it('the same form submitted twice (a double click: same view) declares one incident', async () => {
    const [a, b] = await Promise.all([
      declare(bot, { title: 'double click declare', viewId: 'VDECLTWICE' }),
      declare(bot, { title: 'double click declare', viewId: 'VDECLTWICE' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await bot.idle();
    await sleep(200);
    expect((await titles()).filter((t) => t.title === 'double click declare')).toHaveLength(1);
  });
});
