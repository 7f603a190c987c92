import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { atomCliRuns } from './atom-cli-log.js';
import { type BotHarness, startBot } from './bot-harness.js';
import type { RecordedCall } from './fake-slack.js';
import { declareThroughBot } from './incident-flow.js';
import { testRunbookData } from './test-runbook.js';

/** The fake atom-cli (test/fixtures/atom-cli): it logs its argv and answers as its scenario file says. */
export const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
/** The one responder of a rollback bot: may roll back. */
export const RESPONDER = 'U0RESPONDER';

export interface RollbackButton {
  action_id: string;
  value: string;
  text: { text: string };
  confirm?: { text: { text: string } };
}
type Block = { type: string; text?: { text: string }; accessory?: RollbackButton };

/** The buttons of a list (or a reply) with this action id (a list's "Roll back to vN" by default). */
export const buttonsOf = (blocks: unknown, actionId: string = ACTION.rollbackTo): RollbackButton[] =>
  ((blocks ?? []) as Block[]).flatMap((b) => (b.accessory?.action_id === actionId ? [b.accessory] : []));

/** The ts Slack gave a message posted. */
export const tsOf = (c: RecordedCall) => (c.response as { ts: string }).ts;

/** A bot running the fake atom-cli, with what a rollback test does through it. */
export interface RollbackBot {
  bot: BotHarness;
  /** The fake atom-cli's log of its runs (ATOM_CLI_LOG). */
  log: string;
  /** Sets the fake atom-cli's scenario (`{ rollback: 'does-not-take', logs: 'clean' }`; `{}`: the default). */
  scenario(s: Record<string, string>): Promise<void>;
  /** How many times `atom-cli rollback` ran. */
  rollbacks(): Promise<number>;
  /** Declares a sev2 incident as the responder; its channel, with the responder in it. */
  declare(title: string): Promise<string>;
  /** Types `/incident <text>` in the channel as the responder; the next message the bot posts there matching `re`. */
  typed(channelId: string, text: string, re: RegExp): Promise<RecordedCall>;
  /** `/incident deployments` (or `text`) in the channel: the list of deployments posted. */
  list(channelId: string, text?: string): Promise<RecordedCall>;
  /** Presses "Roll back to `version`" (or `actionId`'s button) on a posted list, Slack echoing its blocks. */
  press(posted: RecordedCall, version: string, actionId?: string): Promise<unknown>;
}

/**
 * A rollback bot for the enclosing describe: the fake atom-cli in a directory of its own (its log and scenario file,
 * the scenario `{}` to start), the responder in `access.responders`, and `playbooks` in the runbook. Started before its
 * tests, stopped (and its directory removed) after them; filled in once started.
 */
export function useRollbackBot(opts: {
  name: string;
  playbooks?: Record<string, unknown>;
  timers?: boolean;
  env?: Record<string, string>;
}) {
  const rb = {} as RollbackBot;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `${opts.name}-`));
    const log = join(dir, 'atom-cli.log');
    const scenarioFile = join(dir, 'scenario.json');
    const scenario = (s: Record<string, string>) => writeFile(scenarioFile, JSON.stringify(s));
    await scenario({});
    const bot = await startBot({
      runbook: parseRunbook({
        ...testRunbookData(),
        access: { responders: [RESPONDER], approvers: [] },
        ...(opts.playbooks ? { playbooks: opts.playbooks } : {}),
      }),
      ...(opts.timers === false ? { timers: false } : {}),
      env: {
        ATOM_CLI,
        COMMAND_ENV: 'ATOM_CLI_LOG,ATOM_CLI_SCENARIO',
        ATOM_CLI_LOG: log,
        ATOM_CLI_SCENARIO: scenarioFile,
        ...opts.env,
      },
    });
    const typed = async (channelId: string, text: string, re: RegExp) => {
      const seen = bot.fake.callsTo('chat.postMessage').length;
      await bot.command(text, { channel_id: channelId, user_id: RESPONDER });
      return bot.fake.waitFor(
        'chat.postMessage',
        (c) =>
          c.args.channel === channelId &&
          re.test(String(c.args.text)) &&
          bot.fake.callsTo('chat.postMessage').indexOf(c) >= seen,
      );
    };
    Object.assign(rb, {
      bot,
      log,
      scenario,
      rollbacks: async () => (await atomCliRuns(log)).filter((r) => r.argv[0] === 'rollback').length,
      async declare(title: string) {
        const { channelId } = await declareThroughBot(bot, `sev2 ${title}`, RESPONDER);
        bot.fake.channels.get(channelId)!.members.add(RESPONDER);
        return channelId;
      },
      typed,
      list: (channelId: string, text = 'deployments') => typed(channelId, text, /^Recent deployments/),
      press(posted: RecordedCall, version: string, actionId: string = ACTION.rollbackTo) {
        const button = buttonsOf(posted.args.blocks, actionId).find((b) => b.text.text.includes(version))!;
        return bot.click({
          channelId: String(posted.args.channel),
          messageTs: tsOf(posted),
          actionId,
          value: button.value,
          userId: RESPONDER,
          message: { text: String(posted.args.text), blocks: posted.args.blocks as unknown[] },
        });
      },
    } satisfies RollbackBot);
  });
  afterAll(async () => {
    await rb.bot?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return rb;
}
