/**
 * What the parts of the console share: the local Slack and its workspace, the terminal, the people, who is typing and
 * where, the numbers of the controls shown, and how a message is printed.
 */
import type { LocalSlack } from '../local-slack/local-slack.js';
import type { LocalUser, Workspace } from '../local-slack/workspace.js';
import type { ControlNumbers } from './control-numbers.js';
import type { People } from './people.js';
import { type MessageLike, type RenderOptions, renderMessage } from './render-message.js';
import type { Style } from './style.js';
import type { Terminal } from './terminal.js';
import type { ToBot, Where } from './to-bot.js';

/** A private message only one person sees, kept by the console so its buttons can be pressed. */
export interface EphemeralMessage extends MessageLike {
  channel: string;
  user: string;
  ts: string;
}

export interface ConsoleParts {
  slack: LocalSlack;
  term: Terminal;
  style: Style;
  people: People;
  numbers: ControlNumbers;
  toBot: ToBot;
  /** Who stands in for what ("On-Call Engineer"), by user ID. */
  roles: Map<string, string>;
}

export class ConsoleContext {
  readonly ws: Workspace;
  readonly ephemerals = new Map<string, EphemeralMessage>();
  private ephemeralCounter = 0;

  constructor(
    readonly parts: ConsoleParts,
    public user: LocalUser,
    public channel: string,
  ) {
    this.ws = parts.slack.workspace;
  }

  get term(): Terminal {
    return this.parts.term;
  }

  get style(): Style {
    return this.parts.style;
  }

  /** `#inc-1-db-down`, or `@alice` for someone's direct messages with the bot. */
  channelLabel(id: string): string {
    const dmUser = this.ws.dmUser(id);
    if (dmUser) return `@${this.parts.people.nameOf(dmUser)}`;
    const c = this.ws.channels.get(id);
    return c ? `#${c.name}` : id;
  }

  /** A channel as a request names it. */
  where(id: string): Where {
    if (this.ws.dmUser(id)) return { id, name: 'directmessage' };
    return { id, name: this.ws.channels.get(id)?.name ?? id };
  }

  keepEphemeral(m: Omit<EphemeralMessage, 'ts'>): EphemeralMessage {
    const kept = { ...m, ts: `e${++this.ephemeralCounter}` };
    this.ephemerals.set(kept.ts, kept);
    if (this.ephemerals.size > 100) this.ephemerals.delete(this.ephemerals.keys().next().value as string);
    return kept;
  }

  renderOptions(at: { channel: string; ts: string; ephemeral: boolean }, indent = 2): RenderOptions {
    const people = this.parts.people;
    return {
      style: this.style,
      width: this.term.width() - indent,
      names: {
        user: (id) => people.nameOf(id),
        channel: (id) => this.channelLabel(id).replace(/^#/, ''),
      },
      numberOf: (control) => this.parts.numbers.numberFor(at, control),
    };
  }

  /** Prints a message under a dimmed header line naming where it is. */
  printMessage(header: string, msg: MessageLike, at: { channel: string; ts: string; ephemeral: boolean }): void {
    const lines = renderMessage(msg, this.renderOptions(at));
    this.term.print([this.style.dim(`── ${header}`), ...lines.map((l) => `  ${l}`)].join('\n'));
  }

  /** A line about what happened in the workspace (a channel made, someone invited), dimmed. */
  note(text: string): void {
    this.term.print(this.style.dim(`   ${text}`));
  }

  /** Something the console itself says: a problem in yellow, else plain. */
  say(text: string, kind: 'info' | 'problem' = 'info'): void {
    this.term.print(kind === 'problem' ? this.style.yellow(text) : text);
  }
}
