/**
 * The console session: reads what a person types (parsed by the command table), acts as them towards the bot, and
 * prints what the bot does in the local Slack. It knows when the bot has gone quiet after a request, so that piped
 * input (and the prompt) comes after the answers, and it runs the modals the bot opens.
 */
import { INCIDENT_COMMAND } from '../commands/incident.command.js';
import type { LocalUser } from '../local-slack/workspace.js';
import { BOT_USER_ID } from '../local-slack/workspace.js';
import { describeAlertAnswer, parseAlertLine } from './alert-line.js';
import { latestMessages, membershipLine } from './channel-history.js';
import { commandList, parseConsoleInput } from './commands.js';
import { ConsoleContext, type ConsoleParts } from './context.js';
import { Feed, type OpenedModal } from './feed.js';
import { cannotPost, joinChannel, leaveChannel } from './membership.js';
import { ModalRunner } from './modal-runner.js';
import { cleanName } from './people.js';
import { press } from './press.js';
import { Cancelled, EndOfInput, Interrupted } from './terminal.js';
import type { Who } from './to-bot.js';

const RECENT_MESSAGES = 10;

export interface SessionOptions {
  /** The set-up instructions for a real Slack workspace (`/setup`). */
  setupText: string;
  /**
   * The console changed the local Slack itself (a message typed, someone new, someone joined or left a channel): it is
   * saved at once, as after the bot's changes.
   */
  changed?: () => void;
}

const who = (u: LocalUser): Who => ({ id: u.id, name: u.name });

/** The console is asked to stop (/quit typed is handled by the session itself): Ctrl-C twice, SIGINT, SIGTERM. */
export class QuitSignal {
  requested = false;
  readonly promise: Promise<void>;
  private resolve: () => void = () => {};
  private readonly listeners: (() => void)[] = [];

  constructor() {
    this.promise = new Promise((r) => {
      this.resolve = r;
    });
  }

  onRequest(listener: () => void): void {
    this.listeners.push(listener);
  }

  request(): void {
    if (this.requested) return;
    this.requested = true;
    this.resolve();
    for (const l of this.listeners) l();
  }
}

export class ConsoleSession {
  readonly ctx: ConsoleContext;
  private readonly feed: Feed;
  private readonly runner: ModalRunner;
  private readonly modals: OpenedModal[] = [];
  /** The level each alert key was last sent firing with (a resolve is sent with it). */
  private readonly alertLevels = new Map<string, 'critical' | 'warning' | 'info'>();
  private lastActivity = Date.now();
  private saidWhereMessagesGo = false;

  constructor(
    private readonly parts: ConsoleParts,
    user: LocalUser,
    channel: string,
    private readonly opts: SessionOptions,
  ) {
    this.ctx = new ConsoleContext(parts, user, channel);
    this.runner = new ModalRunner(this.ctx);
    this.feed = new Feed(
      this.ctx,
      (m) => {
        this.modals.push(m);
        parts.term.interrupt();
      },
      (view) => this.runner.viewUpdated(view),
    );
    parts.slack.subscribe((call) => {
      this.activity();
      try {
        this.feed.show(call);
      } catch (err) {
        this.ctx.say(
          `(could not show what the bot sent: ${err instanceof Error ? err.message : String(err)})`,
          'problem',
        );
      }
    });
  }

  /** Something happened (a request sent, a call of the bot): the bot is not quiet yet. */
  activity(): void {
    this.lastActivity = Date.now();
  }

  prompt(): string {
    const { ctx } = this;
    return `${ctx.style.cyan(ctx.user.name)} in ${ctx.channelLabel(ctx.channel)}> `;
  }

  /** A modal the bot opened, waiting to be filled in. */
  private nextModal(): OpenedModal | undefined {
    return this.modals.shift();
  }

  private runModal(m: OpenedModal): Promise<void> {
    return this.runner.run(m);
  }

  /** Waits until the bot has made no call for `quietMs` (at most `maxMs`), or a modal is waiting. */
  async settle(quietMs = 250, maxMs = 3000): Promise<void> {
    const started = Date.now();
    while (this.modals.length === 0 && Date.now() - started < maxMs) {
      const quietFor = Date.now() - this.lastActivity;
      if (quietFor >= quietMs) return;
      await new Promise((r) => setTimeout(r, Math.min(50, quietMs - quietFor)));
    }
  }

  /**
   * Reads and acts on lines until the person leaves (/quit, Ctrl-D, the end of piped input) or `quit` is requested.
   * A modal the bot opens is filled in before the next line; piped lines wait for the bot to be quiet for longer.
   */
  async run(quit: QuitSignal): Promise<void> {
    const { term } = this.parts;
    const [quietMs, maxMs] = term.tty ? [250, 3000] : [1000, 8000];
    while (!quit.requested) {
      await Promise.race([this.settle(quietMs, maxMs), quit.promise]);
      if (quit.requested) return;
      try {
        const modal = this.nextModal();
        if (modal) {
          await this.runModal(modal);
          continue;
        }
        const line = await term.ask(this.prompt(), { command: true });
        if ((await this.handle(line)) === 'quit') return;
      } catch (err) {
        if (err instanceof Interrupted || err instanceof Cancelled) continue;
        if (err instanceof EndOfInput) return;
        // A fault of the console itself: said in a line, and the console goes on.
        this.ctx.say(`That did not work: ${err instanceof Error ? err.message : String(err)}`, 'problem');
      }
    }
  }

  /** Acts on one typed line; 'quit' when the person leaves. */
  async handle(line: string): Promise<'quit' | undefined> {
    const input = parseConsoleInput(line);
    const { ctx } = this;
    switch (input.kind) {
      case 'empty':
        return;
      case 'quit':
        return 'quit';
      case 'cancel':
        ctx.say('No form is open: /cancel closes one while its questions are asked.', 'problem');
        return;
      case 'help':
        ctx.say(['Console commands:', ...commandList(), this.whereNote()].join('\n'));
        return;
      case 'unknown':
        if (input.meant) {
          ctx.say(
            `${input.word} is not a command, here or in Slack: the bot's commands are under ${INCIDENT_COMMAND}. Type ${input.meant}`,
            'problem',
          );
          return;
        }
        ctx.say([`${input.word} is not a command here. These are:`, ...commandList()].join('\n'), 'problem');
        return;
      case 'setup':
        ctx.say(this.opts.setupText.trimEnd());
        return;
      case 'channels':
        this.listChannels();
        return;
      case 'open':
        this.open(input.channel);
        return;
      case 'as':
        this.switchUser(input.name);
        return;
      case 'join':
      case 'leave':
        this.changeMembership(input.kind, input.channel);
        return;
      case 'alert':
        await this.sendAlert(input.text);
        return;
      case 'press':
        await press(ctx, input.target, (c) => this.show(c));
        return;
      case 'slash': {
        const origin = { user: who(ctx.user), channel: ctx.where(ctx.channel) };
        const ack = await this.parts.toBot.command(origin.user, origin.channel, input.command, input.text);
        if (!ack.ok) ctx.say(ack.problem, 'problem');
        else this.feed.ackReply(ack.body, origin);
        return;
      }
      case 'message':
        await this.post(input.text);
        return;
    }
  }

  /** `/alert …`: the alert sent to the bot's hook; the bot's answer in a line (what it posts follows in the feed). */
  private async sendAlert(text: string): Promise<void> {
    const { ctx } = this;
    const line = parseAlertLine(text, (key) => this.alertLevels.get(key));
    if (!line.ok) {
      ctx.say(line.problem, 'problem');
      return;
    }
    const answer = await this.parts.toBot.alert(line.alert);
    if ('problem' in answer) {
      ctx.say(answer.problem, 'problem');
      return;
    }
    const told = describeAlertAnswer(line.alert, answer.status, answer.body);
    if (told.ok && line.alert.status === 'firing') this.alertLevels.set(line.alert.key, line.alert.level);
    ctx.say(told.line, told.ok ? 'info' : 'problem');
  }

  private whereNote(): string {
    const { ctx } = this;
    return ctx.style.dim(
      `You are @${ctx.user.name} in ${ctx.channelLabel(ctx.channel)}. Words without a slash are a message in the channel; "@bot help" asks the bot.`,
    );
  }

  /** Words without a slash: a message in the channel, as in Slack; `@bot …` mentions the bot. */
  private async post(text: string): Promise<void> {
    const { ctx } = this;
    const mentions = /(^|\s)@(incident[- ]?bot|bot)\b/i;
    const slackText = text.replace(mentions, `$1<@${BOT_USER_ID}>`);
    const refused = cannotPost(ctx.ws, ctx.channel, ctx.user.id);
    if (refused) {
      ctx.say(refused, 'problem');
      return;
    }
    const msg = ctx.ws.addMessage(ctx.channel, ctx.user.id, slackText);
    // Saved before anything is said or sent: a console killed once the person has seen it keeps the message.
    this.opts.changed?.();
    if (!mentions.test(text)) {
      if (!this.saidWhereMessagesGo) {
        this.saidWhereMessagesGo = true;
        ctx.say(
          ctx.style.dim(
            `(Said in ${ctx.channelLabel(ctx.channel)}. The bot answers /incident commands and "@bot help"; /help lists the console's own.)`,
          ),
        );
      }
      return;
    }
    const ack = await this.parts.toBot.mention(who(ctx.user), ctx.where(ctx.channel), slackText, msg.ts);
    if (!ack.ok) ctx.say(ack.problem, 'problem');
  }

  private listChannels(): void {
    const { ctx } = this;
    const lines = ['Channels:'];
    for (const c of ctx.ws.channels.values()) {
      const mark = c.id === ctx.channel ? '*' : ' ';
      const extra = [c.topic ? ctx.style.dim(c.topic) : '', c.isArchived ? ctx.style.dim('(archived)') : '']
        .filter(Boolean)
        .join(' ');
      lines.push(` ${mark} #${c.name}${extra ? `  ${extra}` : ''}`);
    }
    const dms = [...ctx.ws.dms].filter(([, dm]) => ctx.ws.messagesIn(dm).length > 0);
    if (dms.length) {
      lines.push('Direct messages from the bot:');
      for (const [user, dm] of dms) {
        const mark = dm === ctx.channel ? '*' : ' ';
        lines.push(` ${mark} @${this.parts.people.nameOf(user)} (${ctx.ws.messagesIn(dm).length})`);
      }
    }
    lines.push(ctx.style.dim('/open <channel> goes to one; /open @name shows the bot’s direct messages to someone.'));
    ctx.say(lines.join('\n'));
  }

  /** The channel a name, a prefix, an ID or `@person` points at. */
  private findChannel(arg: string): string | { problem: string } {
    const { ctx } = this;
    const t = arg.trim();
    if (!t) return { problem: 'Which channel? /channels lists them.' };
    if (t.startsWith('@')) {
      const user = this.parts.people.find(t);
      return user ? ctx.ws.dmFor(user.id) : { problem: `Nobody here is called ${t}; /as alone lists the people.` };
    }
    const name = t.replace(/^#/, '').toLowerCase();
    const all = [...ctx.ws.channels.values()];
    const exact = all.find((c) => c.name === name || c.id === t);
    if (exact) return exact.id;
    const prefixed = all.filter((c) => c.name.startsWith(name));
    if (prefixed.length === 1) return prefixed[0]!.id;
    if (prefixed.length > 1)
      return { problem: `#${name} could be ${prefixed.map((c) => `#${c.name}`).join(', ')}: type more of its name.` };
    return { problem: `There is no channel #${name}; /channels lists them.` };
  }

  private open(arg: string): void {
    const found = this.findChannel(arg);
    if (typeof found === 'string') this.show(found);
    else this.ctx.say(found.problem, 'problem');
  }

  /** Goes to a channel and shows its latest messages; who joined or left among them in a dim line each. */
  private show(channel: string): void {
    const { ctx } = this;
    ctx.channel = channel;
    const c = ctx.ws.channels.get(channel);
    const messages = latestMessages(ctx.ws.messagesIn(channel), RECENT_MESSAGES);
    ctx.say(
      ctx.style.bold(
        `${ctx.channelLabel(channel)}${c?.topic ? ` — ${c.topic}` : ''}${c?.isArchived ? ' (archived)' : ''}`,
      ),
    );
    if (messages.length === 0) ctx.say(ctx.style.dim('  (no messages yet)'));
    for (const m of messages) {
      const joinedOrLeft = membershipLine(m, { user: (id) => this.parts.people.nameOf(id) });
      if (joinedOrLeft) {
        ctx.note(joinedOrLeft);
        continue;
      }
      const author = m.user === BOT_USER_ID ? 'incident-bot' : `@${this.parts.people.nameOf(m.user)}`;
      const tags = [author, m.thread_ts ? 'in a thread' : '', m.edits ? 'edited' : ''].filter(Boolean).join(' · ');
      ctx.printMessage(tags, m, { channel, ts: m.ts, ephemeral: false });
    }
  }

  /** `/join` or `/leave` of the channel named, or of the one the person is in. */
  private changeMembership(kind: 'join' | 'leave', arg: string): void {
    const { ctx } = this;
    const channel = arg.trim() ? this.findChannel(arg) : ctx.channel;
    if (typeof channel !== 'string') {
      ctx.say(channel.problem, 'problem');
      return;
    }
    const change = (kind === 'join' ? joinChannel : leaveChannel)(ctx.ws, channel, ctx.user.id);
    if (!change.ok) {
      ctx.say(change.problem, 'problem');
      return;
    }
    // Saved before it is said: a console killed once the person has read it keeps the change.
    this.opts.changed?.();
    ctx.say(change.text);
  }

  private switchUser(arg: string): void {
    const { ctx, parts } = this;
    if (!arg.trim()) {
      const lines = ['People:'];
      for (const u of parts.people.list()) {
        const role = parts.roles.get(u.id);
        lines.push(`  ${u.id === ctx.user.id ? '*' : ' '} @${u.name}${role ? ctx.style.dim(` — ${role}`) : ''}`);
      }
      lines.push(ctx.style.dim('/as <name> acts as one of them, or as someone new.'));
      ctx.say(lines.join('\n'));
      return;
    }
    const name = cleanName(arg);
    if (!name) {
      ctx.say('A name is letters and digits (dots and dashes too), e.g. /as bob.', 'problem');
      return;
    }
    const { user, created } = parts.people.ensure(name);
    // Someone new is saved at once (with the channels they joined), as a change the bot makes is.
    if (created) this.opts.changed?.();
    ctx.user = user;
    const role = parts.roles.get(user.id);
    ctx.say(
      `You are now @${user.name}${role ? ` (${role})` : ''}.${created ? ' New in this workspace: joined #general and #incidents.' : ''}`,
    );
  }
}
