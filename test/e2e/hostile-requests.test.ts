/**
 * Signed requests as Slack would send them, with what a stale message, a forged value or a confused person puts in
 * them: every action id and form the bot has, with incident ids that are not there, values of the wrong shape, forms
 * with fields missing or of another kind, and subcommands typed in the wrong place. 1,200 of them, drawn from a fixed
 * seed (the same every run). Each is answered 200, as Slack expects, and none with the bot's "Something went wrong":
 * every one gets a reason a person can act on (or, for a form, its errors inline).
 */
import { expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot } from '../support/incident-flow.js';

const bot = useBot({ incidentsChannel: true, env: { ATOM_CLI: 'examples/atom-cli' } });

/** A small linear congruential generator: the same requests every run. */
function seeded(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

it('1,200 stale, forged and misplaced requests: each answered 200, none with "Something went wrong"', async () => {
  const inc = await declareThroughBot(bot, 'sev2 hostile requests target db slow');
  const { next, pick } = seeded(12345);
  const id = inc.incidentId;
  const values = [
    String(id),
    '999999',
    '-1',
    '0',
    '1e309',
    'null',
    '',
    '{"i":1,"r":"cto"}',
    `{"i":${id},"r":"nope"}`,
    `{"i":${id},"s":"x","p":"y"}`,
    '{"i":"x"}',
    '[1,2]',
    '"str"',
    'x'.repeat(3000),
    '\u0000',
    `{"i":${id},"pb":"slow-response-times","st":"detection.0"}`,
    `{"i":${id},"v":"v57"}`,
  ];
  const texts = [
    'ack',
    'status',
    'sev0',
    'resolve',
    'mitigated x',
    'escalate',
    'rollback v1',
    'playbook x',
    'action a @b 3d',
    'alerts',
    'audit',
    'timeline',
    'public',
    'oncall swap @a @b 2h',
    'maintenance start',
    'maintenance end',
    'run x',
    'detach',
    'postmortem',
    'update hello',
    'rename new',
    'impact',
    'data-loss',
    'list',
    'help',
    '\u202e',
    '<@U0X> <!channel>',
  ];
  const metas = [
    '',
    'garbage',
    JSON.stringify({ incidentId: id, channelId: inc.channelId }),
    JSON.stringify({ incidentId: 'x' }),
    '{"incidentId":99999}',
  ];
  const elements = [
    (v: string) => ({ type: 'plain_text_input', value: v }),
    () => ({ type: 'static_select', selected_option: null }),
    () => ({ type: 'x' }),
    () => null,
  ];
  const statuses: Record<string, number> = {};
  const not200: string[] = [];
  for (let n = 0; n < 1200; n++) {
    const kind = next();
    let what: string;
    let status: number;
    if (kind < 0.45) {
      const actionId = pick(Object.values(ACTION) as string[]);
      const value = pick(values);
      what = `click ${actionId} ${value.slice(0, 40)}`;
      status = (
        await bot.click({
          channelId: pick([inc.channelId, 'C0NOPE', 'D0YOU']),
          messageTs: pick([inc.cardTs, '1.000', '']),
          actionId,
          value,
          blockId: pick(['', 'x', `incident_card_actions:${id}`]),
          ...(next() < 0.3 ? { selectedOption: { value: pick(values), text: 'x' } } : {}),
          userId: pick(['U0REPORTER', 'U0SOMEONE', 'U0ONCALL']),
        })
      ).status;
    } else if (kind < 0.75) {
      const callbackId = pick(Object.values(VIEW) as string[]);
      const meta = pick(metas);
      what = `submit ${callbackId} ${meta.slice(0, 40)}`;
      const element = pick(elements)(pick(values));
      status = (
        await bot.submit({
          callbackId,
          privateMetadata: meta,
          values:
            next() < 0.3 ? {} : { [pick(['a', 'title', 'severity'])]: { [pick(['a', 'text'])]: element as never } },
        })
      ).status;
    } else {
      const text = pick(texts);
      what = `command ${text}`;
      status = (await bot.command(text, { channel_id: pick([inc.channelId, 'C0GENERAL', 'D0YOU']) })).status;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status !== 200) not200.push(`${status} ${what}`);
  }
  expect(not200).toEqual([]);
  expect(statuses).toEqual({ 200: 1200 });
  // What came after the acks (replies, messages, forms): none says the bot failed.
  await new Promise((r) => setTimeout(r, 1500));
  const failed = bot.fake.calls.filter((c) => /Something went wrong/.test(JSON.stringify(c.args)));
  expect(failed.map((c) => c.method)).toEqual([]);
  // And people were answered: most of these are refused, each with its reason.
  expect(bot.replies().length).toBeGreaterThan(500);
}, 120_000);
