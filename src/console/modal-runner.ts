/**
 * A modal the bot opened, filled in at the terminal: what it says first, then each field asked in turn with its
 * hint (Enter keeps what is shown in brackets), then submitted to the bot. Errors the bot returns
 * (`response_action: errors`) are shown and only those fields asked again; a form the bot replaces
 * (`response_action: update`, e.g. "Run in production?") is asked from the start. Ctrl-C leaves the form: nothing is
 * sent, as when a person closes a modal.
 */
import { isTimeZone } from '../incidents/rotation.js';
import type { SlackArgs } from '../local-slack/workspace.js';
import type { ConsoleContext } from './context.js';
import type { OpenedModal } from './feed.js';
import {
  commandInForm,
  defaultShown,
  type FormField,
  fieldGuide,
  formFields,
  formInfo,
  pressInForm,
  readAnswer,
  readFormLine,
} from './modal-form.js';
import { renderMessage } from './render-message.js';
import { Cancelled, EndOfInput } from './terminal.js';
import type { Who } from './to-bot.js';

/** A person's Slack time zone, when the runtime knows it; UTC else. */
const zoneOf = (tz: string | undefined) => (tz && isTimeZone(tz) ? tz : 'UTC');

/** `/quit` typed at a form's question. */
class QuitInForm extends Error {}

type Values = Record<string, Record<string, unknown>>;

const text = (v: unknown) => String((v as { text?: unknown } | undefined)?.text ?? '');

export class ModalRunner {
  /** The view the bot replaced the open one with (views.update), taken at the next question. */
  private replaced: SlackArgs | undefined;
  private openId: string | undefined;
  /** The title of the form being filled in. */
  private title = '';

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The bot updated a view (views.update): if it is the open one, the form starts again with it. */
  viewUpdated(view: SlackArgs): void {
    if (view && view.id === this.openId) this.replaced = view;
  }

  private intro(view: SlackArgs, user: Who): void {
    const { ctx } = this;
    const info = renderMessage(
      { blocks: formInfo(view) },
      ctx.renderOptions({ channel: 'modal', ts: String(view.id), ephemeral: true }, 4),
    );
    this.title = text(view.title);
    const header = ctx.style.bold(`Form: ${this.title}`);
    const who = user.id === ctx.user.id ? '' : ` (for @${user.name})`;
    ctx.say(
      [
        `${ctx.style.dim('──')} ${header}${who} ${ctx.style.dim('· /cancel or Ctrl-C closes it without sending')}`,
        ...info.map((l) => `    ${l}`),
      ].join('\n'),
    );
  }

  /**
   * Asks one field until its answer is one Slack would take. What the bot refused in it was said just before, under
   * "The bot did not take the form", and is not said again here.
   */
  private async askField(f: FormField, timeZone: string): Promise<Record<string, unknown>> {
    const { ctx } = this;
    const shown = defaultShown(f, timeZone);
    const lines = [
      `${ctx.style.bold(f.label)}${f.optional ? ctx.style.dim(' (optional)') : ''}${f.hint ? ctx.style.dim(` — ${f.hint}`) : ''}`,
      ...fieldGuide(f, timeZone).map((l) => ctx.style.dim(`  ${l}`)),
    ];
    ctx.say(lines.join('\n'));
    const prompt = `${f.label}${shown !== undefined && shown !== '' ? ` [${shown.replace(/\n/g, ' ').slice(0, 60)}]` : ''}: `;
    for (;;) {
      const typed = await this.answer(prompt, f.label, f.kind === 'select' || f.kind === 'checkboxes');
      const answer = readAnswer(f, typed, this.now(), timeZone);
      if (answer.ok) return answer.value;
      ctx.say(`  ${answer.problem}`, 'problem');
    }
  }

  /** Fills in and submits the modal; returns when it is closed (submitted, cancelled, or the bot cleared it). */
  async run(opened: OpenedModal): Promise<void> {
    const { ctx } = this;
    const user: Who = opened.origin?.user ?? ctx.user;
    // Times are read and shown on the clock of the person filling the form (their Slack time zone), as Slack does.
    const timeZone = zoneOf(ctx.ws.user(user.id).tz);
    let view = opened.view;
    this.openId = String(view.id);
    let fields = formFields(view);
    let values: Values = {};
    let errors: Record<string, string> = {};
    let ask = fields;
    this.intro(view, user);
    try {
      for (;;) {
        for (const f of ask) {
          values[f.blockId] = { [f.actionId]: await this.askField(f, timeZone) };
          if (this.replaced) break;
        }
        if (this.replaced) {
          view = this.replaced;
          this.replaced = undefined;
          this.openId = String(view.id);
          fields = formFields(view);
          values = {};
          errors = {};
          ask = fields;
          ctx.say(ctx.style.dim('(the bot changed the form)'));
          this.intro(view, user);
          continue;
        }
        if (fields.length === 0 && !(await this.confirmSubmit(view))) {
          ctx.say('Closed; nothing was sent.');
          return;
        }
        const ack = await ctx.parts.toBot.submit(user, view, values);
        if (!ack.ok) {
          ctx.say(ack.problem, 'problem');
          return;
        }
        const body = ack.body ?? {};
        if (body.response_action === 'errors' && body.errors && typeof body.errors === 'object') {
          errors = body.errors as Record<string, string>;
          ask = fields.filter((f) => errors[f.blockId]);
          const elsewhere = Object.entries(errors).filter(([block]) => !fields.some((f) => f.blockId === block));
          ctx.say(
            [
              ctx.style.yellow('The bot did not take the form:'),
              ...Object.entries(errors).map(
                ([block, msg]) => `  ⚠️ ${fields.find((f) => f.blockId === block)?.label ?? 'Form'}: ${msg}`,
              ),
            ].join('\n'),
          );
          if (ask.length === 0) {
            if (elsewhere.length) ctx.say('Closed; nothing was changed.');
            return;
          }
          continue;
        }
        if ((body.response_action === 'update' || body.response_action === 'push') && body.view) {
          view = { ...(body.view as SlackArgs), id: view.id, hash: view.hash };
          fields = formFields(view);
          values = {};
          errors = {};
          ask = fields;
          this.intro(view, user);
          continue;
        }
        ctx.say(ctx.style.dim(`(${text(view.submit) || 'Submit'}: sent)`));
        return;
      }
    } catch (err) {
      if (err instanceof Cancelled) {
        ctx.say('Form closed; nothing was sent.');
        return;
      }
      // /quit in a form: the person is leaving, not answering; the form is closed unsent and the console stops.
      if (err instanceof QuitInForm) {
        ctx.say(`Form "${this.title}" closed; nothing was sent.`);
        throw new EndOfInput();
      }
      // Ctrl-D, or piped lines that ran out before the form's last question: the console stops, and says so first.
      if (err instanceof EndOfInput)
        ctx.say(`The input ended in the form "${this.title}": nothing was sent.`, 'problem');
      throw err;
    } finally {
      this.openId = undefined;
      this.replaced = undefined;
    }
  }

  /**
   * A line typed as the answer to a question of the form. `/cancel` closes the form (Cancelled, as Ctrl-C); `/quit`
   * closes it and stops the console (QuitInForm); a command
   * or `press …` is not an answer: the person is told where they are and asked again. `choice`: the question is
   * answered by choosing an option.
   */
  private async answer(prompt: string, question: string, choice = false): Promise<string> {
    for (;;) {
      const line = readFormLine(await this.ctx.term.ask(prompt));
      if (line.kind === 'answer') return line.typed;
      if (line.kind === 'cancel') throw new Cancelled();
      if (line.kind === 'quit') throw new QuitInForm();
      const told =
        line.kind === 'press'
          ? pressInForm(this.title, question, line.line, choice)
          : commandInForm(this.title, question, line.line);
      this.ctx.say(told, 'problem');
    }
  }

  private async confirmSubmit(view: SlackArgs): Promise<boolean> {
    const label = text(view.submit) || 'Submit';
    for (;;) {
      const typed = (await this.answer(`${label}? (y/n) `, `${label}?`)).trim().toLowerCase();
      if (['y', 'yes'].includes(typed)) return true;
      if (['n', 'no', ''].includes(typed)) return false;
      this.ctx.say('Type y or n.', 'problem');
    }
  }
}
