/**
 * `press 2` or `press acknowledge`: finds the control on the message as it is now, asks what Slack would ask (the
 * confirmation of a button that has one, the option of a select), and sends the click to the bot.
 */
import type { ConsoleContext } from './context.js';
import type { ControlRef } from './control-numbers.js';
import { readFormLine } from './modal-form.js';
import { type Control, type ControlOption, controlsOf, mrkdwnLines } from './render-message.js';
import { Cancelled, EndOfInput } from './terminal.js';

const HOW = 'Type press and the number shown in brackets, e.g. press 1.';

function findRef(ctx: ConsoleContext, target: string): { n: number; ref: ControlRef } | { problem: string } {
  const t = target.trim();
  if (!t) return { problem: `Press what? ${HOW}` };
  const numbered = /^\[?(\d+)\]?$/.exec(t);
  const n = numbered ? Number(numbered[1]) : ctx.parts.numbers.byLabel(t, ctx.channel);
  if (n === undefined) return { problem: `No button or select called "${t}" is shown above. ${HOW}` };
  const ref = ctx.parts.numbers.get(n);
  if (!ref) return { problem: `There is no button [${n}]. ${HOW}` };
  return { n, ref };
}

function chooseFrom(options: ControlOption[], typed: string): ControlOption | undefined {
  const t = typed.trim().toLowerCase();
  if (/^\d+$/.test(t)) return options[Number(t) - 1];
  return (
    options.find((o) => o.label.toLowerCase() === t || o.value.toLowerCase() === t) ??
    (options.filter((o) => o.label.toLowerCase().startsWith(t)).length === 1
      ? options.find((o) => o.label.toLowerCase().startsWith(t))
      : undefined)
  );
}

/** Asks which option of a select; undefined when the person gives up (Ctrl-C). */
async function askOption(ctx: ConsoleContext, control: Control): Promise<ControlOption | undefined> {
  const options = control.options ?? [];
  ctx.say(
    [
      `${control.label}:`,
      ...options.map(
        (o, i) =>
          `  ${i + 1}) ${o.label}${o.description ? ctx.style.dim(` — ${o.description}`) : ''}${
            o.value === control.initial?.value ? ctx.style.dim(' (now)') : ''
          }`,
      ),
    ].join('\n'),
  );
  for (;;) {
    const typed = await askInPress(ctx, `Choose 1-${options.length}: `);
    const chosen = chooseFrom(options, typed);
    if (chosen) return chosen;
    ctx.say(
      `Type a number from 1 to ${options.length}, or an option's name (/cancel or Ctrl-C to leave it).`,
      'problem',
    );
  }
}

/**
 * A line typed at what a press asks (an option, a confirmation): `/cancel` leaves it (Cancelled, as Ctrl-C), `/quit`
 * leaves it and the console (EndOfInput: the console stops), any other command is not an answer and is asked again.
 */
async function askInPress(ctx: ConsoleContext, prompt: string): Promise<string> {
  for (;;) {
    const line = readFormLine(await ctx.term.ask(prompt));
    if (line.kind === 'answer') return line.typed;
    if (line.kind === 'cancel') throw new Cancelled();
    if (line.kind === 'quit') {
      ctx.say('Cancelled; nothing was sent.');
      throw new EndOfInput();
    }
    ctx.say(`"${line.line}" is not an answer here: answer, or type /cancel to leave it (Ctrl-C does too).`, 'problem');
  }
}

async function confirmed(ctx: ConsoleContext, control: Control): Promise<boolean> {
  const c = control.confirm;
  if (!c) return true;
  const body = mrkdwnLines(c.text, ctx.renderOptions({ channel: 'confirm', ts: '', ephemeral: true }));
  const lines = [ctx.style.bold(c.title), ...body.map((l) => `  ${l}`)];
  ctx.say(lines.join('\n'));
  for (;;) {
    const typed = (await askInPress(ctx, `${c.confirm}? (y/n) `)).trim().toLowerCase();
    if (['y', 'yes'].includes(typed)) return true;
    if (['n', 'no', ''].includes(typed)) return false;
    ctx.say('Type y or n.', 'problem');
  }
}

/** Presses a control; problems are told in words. Switches channel for a link to an incident channel. */
export async function press(ctx: ConsoleContext, target: string, open: (channel: string) => void): Promise<void> {
  const found = findRef(ctx, target);
  if ('problem' in found) return ctx.say(found.problem, 'problem');
  const { n, ref } = found;
  // A direct message with the bot is seen by its person alone, in Slack: nobody else can press its buttons.
  const dmUser = ctx.ws.dmUser(ref.channel);
  if (dmUser && dmUser !== ctx.user.id) {
    const owner = ctx.channelLabel(ref.channel);
    return ctx.say(
      `[${n}] is in ${owner}'s direct messages with the bot, which only ${owner} sees: /as ${owner.slice(1)} to press it as them.`,
      'problem',
    );
  }
  const msg = ref.ephemeral ? ctx.ephemerals.get(ref.ts) : ctx.ws.message(ref.channel, ref.ts);
  if (!msg || ('deleted' in msg && msg.deleted)) return ctx.say(`The message of [${n}] is gone.`, 'problem');
  const control = controlsOf(msg.blocks).find(
    (c) => c.actionId === ref.actionId && (c.value ?? '') === (ref.value ?? ''),
  );
  if (!control) {
    return ctx.say(
      `[${n}] is no longer on that message (it changed since); press a number from its latest version.`,
      'problem',
    );
  }
  let selected: ControlOption | undefined;
  try {
    if (control.kind === 'select') {
      selected = await askOption(ctx, control);
      if (!selected) return;
    }
    if (!(await confirmed(ctx, control))) return ctx.say('Cancelled; nothing was sent.');
  } catch (err) {
    if (err instanceof Cancelled) return ctx.say('Cancelled; nothing was sent.');
    throw err;
  }
  if (control.url) {
    const channel = /[?&]channel=([A-Z0-9]+)/.exec(control.url)?.[1];
    if (channel && ctx.ws.channels.has(channel)) open(channel);
    else ctx.say(`Opens ${control.url}`);
  }
  const ack = await ctx.parts.toBot.action(
    ctx.user,
    ctx.where(ref.channel),
    msg as { ts: string; text?: string; blocks?: unknown[]; thread_ts?: string },
    control,
    { ...(selected ? { selected } : {}), ephemeral: ref.ephemeral },
  );
  if (!ack.ok) ctx.say(ack.problem, 'problem');
}
