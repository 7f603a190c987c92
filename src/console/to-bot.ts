/**
 * What a person does at the console, sent to the bot as Slack sends it: signed with the console's signing secret, to
 * the bot's `/slack/events`. It remembers whose each trigger_id and response_url is, so a modal the bot opens and a
 * private reply it sends reach the right person.
 */

import { makeAppMention, makeBlockAction, makeViewSubmission, postInteraction } from '../local-slack/interactions.js';
import type { LocalSlack } from '../local-slack/local-slack.js';
import {
  makeTriggerId,
  postToSlackApp,
  type SlackAppResponse,
  sendSlashCommand,
  slashCommandFields,
} from '../local-slack/requests.js';
import { BOT_USER_ID, type SlackArgs } from '../local-slack/workspace.js';
import type { GenericAlert } from './alert-line.js';
import type { Control, ControlOption } from './render-message.js';

export interface Who {
  id: string;
  name: string;
}

export interface Where {
  id: string;
  name: string;
}

/** The bot's answer to a request (its ack): the body when there is one, or what went wrong, in words. */
export type Ack = { ok: true; body?: SlackArgs } | { ok: false; problem: string };

/** Where a response_url or trigger_id came from: who acted, and in which channel. */
export interface Origin {
  user: Who;
  channel: Where;
}

const MAX_REMEMBERED = 500;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}

export class ToBot {
  private readonly triggers = new Map<string, Origin>();
  private readonly responses = new Map<string, Origin>();
  private counter = 0;

  constructor(
    private readonly botUrl: string,
    private readonly signingSecret: string,
    private readonly slack: LocalSlack,
    /** Called as each request is sent (the console waits for the bot to go quiet after one). */
    private readonly onSend: () => void = () => {},
    /** The bearer token of the bot's alert hooks (ALERTS_TOKEN), for `/alert`. */
    private readonly alertsToken?: string,
  ) {}

  /** Who a trigger_id was given to, when it was one of ours. */
  triggeredBy(triggerId: string | undefined): Origin | undefined {
    return triggerId ? this.triggers.get(triggerId) : undefined;
  }

  /** Who a response_url was given to, by its key. */
  respondingTo(key: string | undefined): Origin | undefined {
    return key ? this.responses.get(key) : undefined;
  }

  private origin(user: Who, channel: Where): { triggerId: string; responseUrl: string } {
    const triggerId = makeTriggerId();
    const key = `c${++this.counter}`;
    remember(this.triggers, triggerId, { user, channel });
    remember(this.responses, key, { user, channel });
    return { triggerId, responseUrl: this.slack.responseUrl(key) };
  }

  /** A slash command typed in a channel. */
  command(user: Who, channel: Where, command: string, text: string): Promise<Ack> {
    const { triggerId, responseUrl } = this.origin(user, channel);
    const fields = slashCommandFields({
      command,
      text,
      userId: user.id,
      userName: user.name,
      channelId: channel.id,
      channelName: channel.name,
      responseUrl,
      triggerId,
    });
    return this.send(() => sendSlashCommand(this.botUrl, this.signingSecret, fields));
  }

  /** A button pressed, or an option chosen in a select, on a message. */
  action(
    user: Who,
    channel: Where,
    message: { ts: string; text?: string | undefined; blocks?: unknown[] | undefined; thread_ts?: string | undefined },
    control: Control,
    opts: { selected?: ControlOption; ephemeral?: boolean } = {},
  ): Promise<Ack> {
    const { triggerId, responseUrl } = this.origin(user, channel);
    const payload = makeBlockAction({
      userId: user.id,
      userName: user.name,
      channelId: channel.id,
      channelName: channel.name,
      messageTs: message.ts,
      actionId: control.actionId,
      blockId: control.blockId,
      ...(control.value !== undefined ? { value: control.value } : {}),
      ...(opts.selected ? { selectedOption: { value: opts.selected.value, text: opts.selected.label } } : {}),
      ...(control.style ? { style: control.style } : {}),
      buttonText: control.label,
      responseUrl,
      triggerId,
      message: { text: message.text, blocks: message.blocks, thread_ts: message.thread_ts },
      ephemeral: opts.ephemeral ?? false,
    });
    return this.send(() => postInteraction(this.botUrl, this.signingSecret, payload));
  }

  /** A modal submitted with these values. */
  submit(user: Who, view: SlackArgs, values: Record<string, Record<string, unknown>>): Promise<Ack> {
    const triggerId = makeTriggerId();
    const payload = makeViewSubmission({
      userId: user.id,
      userName: user.name,
      callbackId: String(view.callback_id ?? ''),
      privateMetadata: String(view.private_metadata ?? ''),
      values,
      viewId: String(view.id ?? ''),
      blocks: Array.isArray(view.blocks) ? view.blocks : [],
      title: String(view.title?.text ?? ''),
      ...(typeof view.hash === 'string' ? { hash: view.hash } : {}),
      ...(view.submit?.text ? { submit: String(view.submit.text) } : {}),
      ...(view.close?.text ? { close: String(view.close.text) } : {}),
      triggerId,
    });
    return this.send(() => postInteraction(this.botUrl, this.signingSecret, payload));
  }

  /** `@bot …` written in a channel: the Events API's app_mention. */
  mention(user: Who, channel: Where, text: string, ts: string): Promise<Ack> {
    const body = JSON.stringify(
      makeAppMention({ userId: user.id, channelId: channel.id, text, ts, botUserId: BOT_USER_ID }),
    );
    return this.send(() => postToSlackApp(this.botUrl, this.signingSecret, body, 'application/json'));
  }

  /** An alert, as monitoring sends one to `POST /hooks/alerts`: the bot's HTTP status and body, or what went wrong. */
  async alert(body: GenericAlert): Promise<{ status: number; body: string } | { problem: string }> {
    if (!this.alertsToken) return { problem: 'The bot takes no alerts here: it has no ALERTS_TOKEN.' };
    this.onSend();
    try {
      const res = await fetch(`${this.botUrl}/hooks/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.alertsToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      return {
        problem: `The bot did not answer (${err instanceof Error ? err.message : String(err)}); nothing was sent.`,
      };
    } finally {
      this.onSend();
    }
  }

  private async send(request: () => Promise<SlackAppResponse>): Promise<Ack> {
    this.onSend();
    let res: SlackAppResponse;
    try {
      res = await request();
    } catch (err) {
      return {
        ok: false,
        problem: `The bot did not answer (${err instanceof Error ? err.message : String(err)}); nothing was sent.`,
      };
    } finally {
      this.onSend();
    }
    if (res.status !== 200) {
      return {
        ok: false,
        problem:
          res.status === 401
            ? 'The bot refused the request: its signature did not check out (HTTP 401).'
            : `The bot answered HTTP ${res.status}; Slack would show "operation_timeout" or an error here.`,
      };
    }
    return res.json && typeof res.json === 'object' ? { ok: true, body: res.json as SlackArgs } : { ok: true };
  }
}
