/**
 * The requests of bench/soak, through the bot's HTTP edge as Slack sends them, each step waiting for what the bot
 * does in Slack: `/incident sev3 …` (its reply names the new channel), `/incident update` in that channel (the bot
 * opens the status update form), the form's submission with the form's own view id and private_metadata (the update
 * is posted), `/incident resolve …` (the resolution is posted). Every request is also sent to bare Bolt, whose ack
 * latency and memory are the baseline.
 */
import http from 'node:http';
import { VIEW } from '../../src/templates/ids.js';
import type { FakeSlack } from '../../test/support/fake-slack.js';
import {
  encodeInteraction,
  encodeSlashCommand,
  makeSlashCommand,
  makeTriggerId,
  makeViewSubmission,
} from '../../test/support/slack-request.js';
import { statusFormValues } from '../../test/support/status-form.js';
import { postSigned } from '../lib.js';
import type { SoakCalls } from './calls.js';
import { GENERAL_CHANNEL_ID, PEOPLE, REQUEST_TIMEOUT_MS, STEP_TIMEOUT_MS } from './settings.js';

export type Step = 'declare' | 'update_command' | 'update_submit' | 'resolve' | 'list';

export interface Lost {
  step: Step;
  n: number;
  why: string;
}

export class Driver {
  /** Ack latency (ms) of every request to the bot, and of its copy to bare Bolt. */
  readonly acks: { bot: number[]; bare: number[] } = { bot: [], bare: [] };
  readonly httpErrors: { bot: number; bare: number } = { bot: 0, bare: 0 };
  readonly lost: Lost[] = [];
  private readonly agents = { bot: new http.Agent({ keepAlive: true }), bare: new http.Agent({ keepAlive: true }) };
  private readonly bareInFlight = new Set<Promise<void>>();

  constructor(
    private readonly fake: FakeSlack,
    private readonly calls: SoakCalls,
    private readonly ports: { bot: number; bare: number },
  ) {}

  private person(n: number): string {
    return `U0SOAK${String(n % PEOPLE).padStart(2, '0')}`;
  }

  /** Sends `body` to the bot (and, unless `alone`, a copy to bare Bolt); true when the bot answered 200. */
  private async send(body: string, alone = false): Promise<boolean> {
    if (!alone) {
      const copy = postSigned(this.agents.bare, this.ports.bare, body, REQUEST_TIMEOUT_MS).then((a) => {
        if (a.status === 200) this.acks.bare.push(a.ms);
        else this.httpErrors.bare++;
      });
      this.bareInFlight.add(copy);
      void copy.finally(() => this.bareInFlight.delete(copy));
    }
    const a = await postSigned(this.agents.bot, this.ports.bot, body, REQUEST_TIMEOUT_MS);
    if (a.status !== 200) {
      this.httpErrors.bot++;
      return false;
    }
    this.acks.bot.push(a.ms);
    return true;
  }

  private command(n: number, text: string, channel: { id: string; name: string }, key: string, triggerId?: string) {
    return encodeSlashCommand(
      makeSlashCommand({
        text,
        channel_id: channel.id,
        channel_name: channel.name,
        user_id: this.person(n),
        response_url: this.fake.responseUrl(key),
        ...(triggerId ? { trigger_id: triggerId } : {}),
      }),
    );
  }

  private fail(step: Step, n: number, why: string): false {
    this.lost.push({ step, n, why });
    return false;
  }

  /**
   * Declares incident `n`, posts a status update through the form, and (unless `leaveOpen`) resolves it; each step
   * waits for the bot's work in Slack. False when a step was lost (recorded in `lost`).
   */
  async cycle(n: number, leaveOpen = false): Promise<boolean> {
    const title = `soak incident ${n}`;
    const general = { id: GENERAL_CHANNEL_ID, name: 'general' };
    if (!(await this.send(this.command(n, `sev${2 + (n % 2)} ${title}`, general, `d${n}`))))
      return this.fail('declare', n, 'not HTTP 200');
    const reply = await this.calls.wait(`reply:d${n}`, STEP_TIMEOUT_MS);
    const channelId = /is open: <#(C[A-Z0-9]+)>/.exec(String(reply?.args.text ?? ''))?.[1];
    if (!channelId) return this.fail('declare', n, String(reply?.args.text ?? 'no reply').slice(0, 160));
    const channel = { id: channelId, name: 'incident' };

    const triggerId = makeTriggerId();
    if (!(await this.send(this.command(n, 'update', channel, `u${n}`, triggerId))))
      return this.fail('update_command', n, 'not HTTP 200');
    const opened = await this.calls.wait(`view:${triggerId}`, STEP_TIMEOUT_MS);
    const view = opened?.response?.view as { id?: string; private_metadata?: string; blocks?: unknown[] } | undefined;
    if (!view?.id || !view.private_metadata) return this.fail('update_command', n, 'no form opened');

    const submission = makeViewSubmission({
      userId: this.person(n),
      callbackId: VIEW.statusUpdate,
      privateMetadata: view.private_metadata,
      viewId: view.id,
      blocks: view.blocks ?? [],
      title: 'Status update',
      values: statusFormValues({
        status: 'investigating',
        affected: 'Checkout API',
        impact: 'Some payments slower than usual',
        currentStatus: `Looking into it (${title})`,
        next: Math.floor(Date.now() / 1000) + 30 * 60,
      }),
    });
    if (!(await this.send(encodeInteraction(submission)))) return this.fail('update_submit', n, 'not HTTP 200');
    if (!(await this.calls.wait(`status:${title}`, STEP_TIMEOUT_MS)))
      return this.fail('update_submit', n, 'no status update posted');
    if (leaveOpen) return true;

    const summary = `soak done ${n}`;
    if (!(await this.send(this.command(n, `resolve ${summary}`, channel, `r${n}`))))
      return this.fail('resolve', n, 'not HTTP 200');
    if (!(await this.calls.wait(`resolved:${summary}`, STEP_TIMEOUT_MS)))
      return this.fail('resolve', n, 'no resolution posted');
    return true;
  }

  /** Runs `cycle` for n in [from, to), `concurrency` at a time; `onDone` after each. */
  async cycles(
    from: number,
    to: number,
    concurrency: number,
    opts: { leaveOpen?: boolean; onDone?: (done: number) => Promise<void> | void } = {},
  ): Promise<void> {
    let next = from;
    let done = 0;
    const worker = async () => {
      for (let n = next++; n < to; n = next++) {
        await this.cycle(n, opts.leaveOpen);
        done++;
        await opts.onDone?.(done);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /**
   * `/incident list` from #general, `count` times one at a time: the time from sending it to its reply reaching the
   * fake Slack (what the person waits for), and the reply's header. Not copied to bare Bolt: nothing else runs then.
   */
  async listSamples(count: number, gapMs: number, tag: string): Promise<{ ms: number[]; headers: Set<string> }> {
    const ms: number[] = [];
    const headers = new Set<string>();
    for (let i = 0; i < count; i++) {
      const key = `l${tag}${i}`;
      const sentAt = Date.now();
      const general = { id: GENERAL_CHANNEL_ID, name: 'general' };
      if (!(await this.send(this.command(i, 'list', general, key), true))) {
        this.fail('list', i, 'not HTTP 200');
        continue;
      }
      const reply = await this.calls.wait(`reply:${key}`, STEP_TIMEOUT_MS);
      if (!reply) {
        this.fail('list', i, 'no reply');
        continue;
      }
      ms.push(reply.at - sentAt);
      const blocks = reply.args.blocks as { text?: { text?: string } }[] | undefined;
      headers.add(blocks?.[0]?.text?.text ?? String(reply.args.text ?? '').slice(0, 60));
      await new Promise((r) => setTimeout(r, gapMs));
    }
    return { ms, headers };
  }

  /** Waits for the copies still on their way to bare Bolt. */
  async settled(): Promise<void> {
    await Promise.all([...this.bareInFlight]);
  }

  close(): void {
    this.agents.bot.destroy();
    this.agents.bare.destroy();
  }
}
