import { describe, expect, it } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { NO_RUNBOOK_UPDATE } from '../../src/templates/postmortem-modal.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { stateValue } from '../support/slack-request.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';

interface Block {
  block_id?: string;
  element?: {
    type: string;
    initial_value?: string;
    initial_option?: { value: string };
    initial_options?: { value: string }[];
  };
}
interface View {
  private_metadata: string;
  blocks: Block[];
}

/**
 * The form's state as Slack sends it when the person changes only `changed` (by block id): every other input as the
 * form showed it.
 */
function asShown(view: View, changed: Record<string, string> = {}) {
  const values: Record<string, Record<string, unknown>> = {};
  for (const b of view.blocks) {
    const e = b.element;
    if (!b.block_id || !e) continue;
    if (e.type === 'plain_text_input')
      values[b.block_id] = { [INPUT.text]: stateValue.plainText(changed[b.block_id] ?? e.initial_value ?? '') };
    else if (e.type === 'static_select')
      values[b.block_id] = {
        [INPUT.select]: stateValue.staticSelect(changed[b.block_id] ?? e.initial_option?.value ?? NO_RUNBOOK_UPDATE),
      };
    else if (e.type === 'checkboxes')
      values[b.block_id] = { [INPUT.checks]: stateValue.checkboxes(e.initial_options ?? []) };
  }
  return values;
}

/**
 * Two people writing the post-mortem at once: the second to submit wrote every answer as their form showed it, so an
 * answer the first had just changed went back to the version before, silently. As the status update form does
 * (README: fields you leave as your form showed them keep what was written meanwhile, and you are told which), an
 * answer left as the form showed it keeps the newer version's. Found from outside.
 */
describe('two people writing the post-mortem at once', () => {
  const bot = useBot();
  const answers = async (incidentId: number) =>
    (
      await bot.db.query<{ root_cause: string; went_well: string; went_badly: string }>(
        'SELECT root_cause, went_well, went_badly FROM postmortems WHERE incident_id = $1',
        [incidentId],
      )
    ).rows[0];
  const version = async (incidentId: number, n: number) =>
    eventually(async () => {
      const { rows } = await bot.db.query<{ markdown: string }>(
        'SELECT markdown FROM postmortem_versions WHERE incident_id = $1 AND version = $2',
        [incidentId, n],
      );
      return rows[0]?.markdown;
    }, `version ${n}`);
  const openForm = async (channelId: string, userId: string): Promise<View> => {
    const before = bot.fake.callsTo('views.open').length;
    await bot.command('postmortem', { channel_id: channelId, user_id: userId });
    return (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!.args.view as View;
  };
  const submit = (view: View, userId: string, changed: Record<string, string>) =>
    bot.submit({
      callbackId: VIEW.postmortem,
      privateMetadata: view.private_metadata,
      userId,
      values: asShown(view, changed),
    });
  const resolvedIncident = async (title: string) => {
    const inc = await declareThroughBot(bot, title);
    for (const u of [ALICE, BOB]) bot.fake.channels.get(inc.channelId)!.members.add(u);
    await bot.command('resolve restarted the pool', { channel_id: inc.channelId });
    await eventually(async () => {
      const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
        inc.incidentId,
      ]);
      return rows[0]?.status === 'resolved' ? true : undefined;
    }, 'the resolution');
    const first = await openForm(inc.channelId, ALICE);
    await submit(first, ALICE, {
      [BLOCK.pmRootCause]: 'ROOT-ONE',
      [BLOCK.pmWentWell]: 'WELL-ONE',
      [BLOCK.pmWentBadly]: 'BADLY-ONE',
    });
    await version(inc.incidentId, 1);
    return inc;
  };

  it("the second writer's untouched answer keeps the first's newer one, and they are told which", async () => {
    const inc = await resolvedIncident('sev3 pool exhausted');
    const alice = await openForm(inc.channelId, ALICE);
    const bob = await openForm(inc.channelId, BOB);
    await submit(alice, ALICE, { [BLOCK.pmRootCause]: 'ROOT-TWO' });
    await version(inc.incidentId, 2);
    await submit(bob, BOB, { [BLOCK.pmWentWell]: 'WELL-BOB' });
    const third = await version(inc.incidentId, 3);
    expect(await answers(inc.incidentId)).toEqual({
      root_cause: 'ROOT-TWO',
      went_well: 'WELL-BOB',
      went_badly: 'BADLY-ONE',
    });
    expect(third).toContain('ROOT-TWO');
    expect(third).not.toContain('ROOT-ONE');
    const told = await bot.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === BOB && JSON.stringify(c.args).includes('another version was written'),
    );
    expect(JSON.stringify(told.args)).toContain('Root cause keeps its answer');
  });

  it('an answer both changed is the last writer’s; with no other version between, nothing is said', async () => {
    const inc = await resolvedIncident('sev3 cache stampede');
    const alice = await openForm(inc.channelId, ALICE);
    const bob = await openForm(inc.channelId, BOB);
    await submit(alice, ALICE, { [BLOCK.pmRootCause]: 'ROOT-ALICE' });
    await version(inc.incidentId, 2);
    await submit(bob, BOB, { [BLOCK.pmRootCause]: 'ROOT-BOB' });
    await version(inc.incidentId, 3);
    expect((await answers(inc.incidentId))?.root_cause).toBe('ROOT-BOB');
    const carol = await openForm(inc.channelId, ALICE);
    await submit(carol, ALICE, { [BLOCK.pmWentBadly]: 'BADLY-TWO' });
    await version(inc.incidentId, 4);
    expect(await answers(inc.incidentId)).toEqual({
      root_cause: 'ROOT-BOB',
      went_well: 'WELL-ONE',
      went_badly: 'BADLY-TWO',
    });
    expect(
      bot.fake
        .callsTo('chat.postEphemeral')
        .filter((c) => JSON.stringify(c.args).includes('another version was written')),
    ).toHaveLength(0);
  });
});
