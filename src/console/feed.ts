/**
 * What the bot does in the local Slack, printed as it happens: each message it posts (in a channel, or as a direct
 * message: pages reach their contact that way), each message it updates (printed again, marked updated), private
 * replies (ephemeral messages and response_url answers), and short lines for channels made, people invited, cards
 * pinned and files attached. A modal the bot opens is handed to `onModal`.
 */
import { unescapeSlackText } from '../incidents/text.js';
import type { RecordedCall } from '../local-slack/local-slack.js';
import type { SlackArgs } from '../local-slack/workspace.js';
import type { ConsoleContext } from './context.js';
import type { Origin } from './to-bot.js';

export interface OpenedModal {
  view: SlackArgs;
  origin: Origin | undefined;
}

export class Feed {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly onModal: (m: OpenedModal) => void,
    private readonly onViewUpdated: (view: SlackArgs) => void,
  ) {}

  /** Prints one call of the bot to the local Slack, if it shows anything. */
  show(call: RecordedCall): void {
    if (call.method === 'response_url') {
      this.response(call);
      return;
    }
    if (call.response?.ok !== true || call.failed) return;
    if (call.method === 'files.completeUploadExternal') this.fileComment(call);
    const note = this.noteFor(call);
    if (note) this.ctx.note(note);
    else this.act(call);
  }

  /**
   * A file shared with a comment (files.uploadV2's initial_comment: the post-mortem's "wrote the post-mortem of incident
   * #3 (version 1)"): the comment is a message in its channel, as Slack shows it above the file.
   */
  private fileComment(call: RecordedCall): void {
    const { ctx } = this;
    const a = call.args;
    const files = (Array.isArray(a.files) ? a.files : []) as { id: string }[];
    const comment = files.map((f) => ctx.ws.uploads.get(f.id)?.initialComment).find(Boolean);
    if (!comment) return;
    const channel = String(a.channel_id);
    ctx.printMessage(
      ctx.channelLabel(channel),
      { text: comment },
      { channel, ts: `file-${files[0]!.id}`, ephemeral: false },
    );
  }

  /** The one line a change to the workspace reads as, for the calls that are one. */
  private noteFor(call: RecordedCall): string | undefined {
    const { ctx } = this;
    const a = call.args;
    const where = () => ctx.channelLabel(String(a.channel));
    switch (call.method) {
      case 'chat.delete':
        return `a message in ${where()} was deleted`;
      case 'conversations.create':
        return `#${call.response?.channel?.name} was created`;
      case 'conversations.invite': {
        const who = String(a.users ?? '')
          .split(',')
          .filter(Boolean)
          .map((u) => `@${ctx.parts.people.nameOf(u.trim())}`);
        return `${who.join(', ')} ${who.length === 1 ? 'was' : 'were'} added to ${where()}`;
      }
      case 'conversations.setTopic':
        // A topic is sent escaped as message text is (`&lt;`); printed as Slack shows it.
        return `${where()} topic: ${unescapeSlackText(String(a.topic ?? ''))}`;
      case 'conversations.archive':
        return `${where()} was archived`;
      case 'pins.add':
        return `📌 pinned in ${where()}`;
      case 'files.completeUploadExternal': {
        const files = (Array.isArray(a.files) ? a.files : []) as { id: string }[];
        const names = files.flatMap((f) => {
          const u = ctx.ws.uploads.get(f.id);
          return u ? [`${u.filename} (${u.content.length} bytes)`] : [];
        });
        return names.length
          ? `📎 ${names.join(', ')} attached in ${ctx.channelLabel(String(a.channel_id))}`
          : undefined;
      }
      default:
        return undefined;
    }
  }

  /** Messages posted and updated, private messages, and modals. */
  private act(call: RecordedCall): void {
    const { ctx } = this;
    const a = call.args;
    const r = call.response ?? {};
    switch (call.method) {
      case 'chat.postMessage':
      case 'chat.update':
        this.message(
          String(r.channel),
          String(r.ts),
          call.method === 'chat.update',
          String(a.reply_broadcast) === 'true',
        );
        break;
      case 'chat.postEphemeral': {
        const kept = ctx.keepEphemeral({
          channel: String(a.channel),
          user: String(a.user),
          text: a.text,
          blocks: a.blocks,
        });
        this.ephemeral(kept.channel, kept.user, kept);
        break;
      }
      case 'views.open':
      case 'views.push':
        this.onModal({ view: r.view as SlackArgs, origin: ctx.parts.toBot.triggeredBy(String(a.trigger_id)) });
        break;
      case 'views.update':
        this.onViewUpdated(r.view as SlackArgs);
        break;
    }
  }

  private message(channel: string, ts: string, updated: boolean, broadcast: boolean): void {
    const { ctx } = this;
    const msg = ctx.ws.message(channel, ts);
    if (!msg) return;
    const dmUser = ctx.ws.dmUser(channel);
    const where = dmUser ? `direct message to @${ctx.parts.people.nameOf(dmUser)}` : ctx.channelLabel(channel);
    const tags = [
      msg.thread_ts ? (broadcast ? 'in a thread, also sent to the channel' : 'in a thread') : null,
      updated ? ctx.style.yellow('updated') : null,
    ].filter(Boolean);
    ctx.printMessage([where, ...tags].join(' · '), msg, { channel, ts, ephemeral: false });
  }

  private ephemeral(channel: string, user: string, msg: { text?: string; blocks?: unknown[]; ts: string }): void {
    const { ctx } = this;
    const who = user === ctx.user.id ? 'only you see this' : `only @${ctx.parts.people.nameOf(user)} sees this`;
    ctx.printMessage(`${ctx.channelLabel(channel)} · ${who}`, msg, { channel, ts: msg.ts, ephemeral: true });
  }

  /** An answer through a response_url: a private reply to whoever typed the command or pressed the button. */
  private response(call: RecordedCall): void {
    const { ctx } = this;
    const origin = ctx.parts.toBot.respondingTo(call.key);
    const a = call.args;
    const channel = origin?.channel.id ?? ctx.channel;
    const user = origin?.user.id ?? ctx.user.id;
    if (a.delete_original === true) ctx.note('(the message the button was on is removed for you)');
    if (!a.text && !(Array.isArray(a.blocks) && a.blocks.length)) return;
    const blocks = Array.isArray(a.blocks) ? a.blocks : undefined;
    const text = typeof a.text === 'string' ? a.text : undefined;
    const kept = ctx.keepEphemeral({ channel, user, text, blocks });
    if (a.response_type === 'in_channel') {
      // Posted in the channel for everyone, as the person who typed the command.
      ctx.printMessage(`${ctx.channelLabel(channel)} · @${ctx.parts.people.nameOf(user)}`, kept, {
        channel,
        ts: kept.ts,
        ephemeral: true,
      });
      return;
    }
    this.ephemeral(channel, user, kept);
  }

  /** The bot's answer in its ack (a slash command answered at once), shown as a private reply. */
  ackReply(body: SlackArgs | undefined, origin: Origin): void {
    if (!body || (!body.text && !Array.isArray(body.blocks))) return;
    const kept = this.ctx.keepEphemeral({
      channel: origin.channel.id,
      user: origin.user.id,
      text: typeof body.text === 'string' ? body.text : undefined,
      blocks: Array.isArray(body.blocks) ? body.blocks : undefined,
    });
    this.ephemeral(kept.channel, kept.user, kept);
  }
}
