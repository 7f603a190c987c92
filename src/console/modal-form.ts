/**
 * A modal (views.open) as questions in the terminal: its input blocks as fields, each asked with its label and hint,
 * and what a person types read into `view.state.values` entries as Slack reports them. Slack's own checks happen here
 * too, before submitting (a required field left empty, a text too long); the bot's checks come back from the
 * submission as `response_action: errors`. Pure.
 */
import { atLocal, localParts } from '../incidents/rotation.js';
import { theirClock } from '../templates/oncall.js';
import { parseConsoleInput } from './commands.js';
import { parseFromNow } from './from-now.js';
import type { ControlOption } from './render-message.js';

export type FieldKind = 'text' | 'select' | 'checkboxes' | 'datetime' | 'number' | 'unsupported';

export interface FormField {
  blockId: string;
  actionId: string;
  label: string;
  hint?: string;
  optional: boolean;
  kind: FieldKind;
  /** The Block Kit element type, e.g. `plain_text_input`, `static_select`, `radio_buttons`. */
  elementType: string;
  multiline?: boolean;
  minLength?: number;
  maxLength?: number;
  placeholder?: string;
  options?: ControlOption[];
  initialText?: string;
  initialOption?: ControlOption;
  initialOptions?: ControlOption[];
  /** Unix seconds. */
  initialDateTime?: number;
}

/** A state.values entry, or why the typed answer cannot be one (the question is asked again). */
export type Answer = { ok: true; value: Record<string, unknown> } | { ok: false; problem: string };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof obj(v).text === 'string' ? (obj(v).text as string) : '');

function option(v: unknown): ControlOption | undefined {
  const o = obj(v);
  if (typeof o.value !== 'string') return undefined;
  const description = text(o.description);
  return { label: text(o.text), value: o.value, ...(description ? { description } : {}) };
}

const KINDS: Record<string, FieldKind> = {
  plain_text_input: 'text',
  email_text_input: 'text',
  url_text_input: 'text',
  static_select: 'select',
  radio_buttons: 'select',
  checkboxes: 'checkboxes',
  datetimepicker: 'datetime',
  number_input: 'number',
};

/** The input blocks of a view, in order. */
export function formFields(view: unknown): FormField[] {
  return arr(obj(view).blocks).flatMap((block): FormField[] => {
    const b = obj(block);
    if (b.type !== 'input') return [];
    const e = obj(b.element);
    const elementType = typeof e.type === 'string' ? e.type : 'unknown';
    const options = arr(e.options).flatMap((o) => option(o) ?? []);
    const initialOption = option(e.initial_option);
    const initialOptions = arr(e.initial_options).flatMap((o) => option(o) ?? []);
    const hint = text(b.hint);
    const placeholder = text(e.placeholder);
    return [
      {
        blockId: typeof b.block_id === 'string' ? b.block_id : '',
        actionId: typeof e.action_id === 'string' ? e.action_id : '',
        label: text(b.label),
        optional: b.optional === true,
        kind: KINDS[elementType] ?? 'unsupported',
        elementType,
        ...(hint ? { hint } : {}),
        ...(placeholder ? { placeholder } : {}),
        ...(e.multiline === true ? { multiline: true } : {}),
        ...(typeof e.min_length === 'number' ? { minLength: e.min_length } : {}),
        ...(typeof e.max_length === 'number' ? { maxLength: e.max_length } : {}),
        ...(options.length ? { options } : {}),
        ...(typeof e.initial_value === 'string' ? { initialText: e.initial_value } : {}),
        ...(initialOption ? { initialOption } : {}),
        ...(initialOptions.length ? { initialOptions } : {}),
        ...(typeof e.initial_date_time === 'number' ? { initialDateTime: e.initial_date_time } : {}),
      },
    ];
  });
}

/** The blocks of a view that are not inputs (what the form says before its fields). */
export function formInfo(view: unknown): unknown[] {
  return arr(obj(view).blocks).filter((b) => obj(b).type !== 'input');
}

/**
 * What Enter keeps, as shown in the question; undefined when Enter leaves the field empty. A date and time is shown on
 * the clock of the person filling the form (`timeZone`, their Slack time zone), UTC beside, as Slack's picker shows it
 * on theirs.
 */
export function defaultShown(f: FormField, timeZone = 'UTC'): string | undefined {
  switch (f.kind) {
    case 'text':
    case 'number':
      return f.initialText;
    case 'select':
      return f.initialOption?.label;
    case 'checkboxes':
      return f.initialOptions?.map((o) => o.label).join(', ');
    case 'datetime':
      return f.initialDateTime === undefined ? undefined : theirClock(new Date(f.initialDateTime * 1000), timeZone);
    default:
      return undefined;
  }
}

/** How a date and time is typed, on the clock of `timeZone` (the person's). */
const timeHelp = (timeZone: string) =>
  timeZone === 'UTC'
    ? 'A time in UTC: in 30 minutes (or 30m, 1 hour), 14:30 (today), or 2026-12-01 14:30.'
    : `A time on your clock (${timeZone}): in 30 minutes (or 30m, 1 hour), 14:30 (today), or 2026-12-01 14:30; add UTC for a time in UTC.`;

/**
 * The lines that introduce a field (after its label): options to choose from and how to answer (a date and time on
 * the clock of `timeZone`, the person's).
 */
export function fieldGuide(f: FormField, timeZone = 'UTC'): string[] {
  const lines: string[] = [];
  if (f.options && (f.kind === 'select' || f.kind === 'checkboxes')) {
    f.options.forEach((o, i) => {
      lines.push(`  ${i + 1}) ${o.label}${o.description ? ` — ${o.description}` : ''}`);
    });
  }
  if (f.kind === 'select') lines.push('Type a number or a name.');
  if (f.kind === 'checkboxes') lines.push('Type the numbers to tick, e.g. 1,2; "none" for none.');
  if (f.kind === 'datetime') lines.push(timeHelp(timeZone));
  if (f.kind === 'text' && f.multiline) lines.push('One line; type \\n for a line break.');
  if (f.kind === 'unsupported') lines.push(`(a ${f.elementType} field, which the console cannot fill; left empty)`);
  return lines;
}

const required = (f: FormField): Answer => ({ ok: false, problem: `${f.label} is required.` });

function pick(options: ControlOption[], typed: string): ControlOption | undefined {
  const found = fits(options, typed);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * The options typed text names: its number; else the option named exactly; else those whose name starts with it; else
 * those whose name holds every word typed, as Slack's select filters as you type (`slow response` is *Playbook: Slow
 * Response Times*). Several: none is chosen, and the problem names them.
 */
function fits(options: ControlOption[], typed: string): ControlOption[] {
  const t = typed.trim().toLowerCase();
  if (!t) return [];
  if (/^\d+$/.test(t)) {
    const o = options[Number(t) - 1];
    return o ? [o] : [];
  }
  const exact = options.find((o) => o.label.toLowerCase() === t || o.value.toLowerCase() === t);
  if (exact) return [exact];
  const starts = options.filter((o) => o.label.toLowerCase().startsWith(t));
  if (starts.length > 0) return starts;
  const words = t.split(/\s+/);
  return options.filter((o) => words.every((w) => o.label.toLowerCase().includes(w)));
}

/** Why typed text chose no option of a select: it names none, or several (listed with their numbers). */
function noChoice(options: ControlOption[], typed: string): string {
  const found = fits(options, typed);
  if (found.length < 2) return `Choose 1 to ${options.length}, or type an option's name.`;
  const listed = found.slice(0, 5).map((o) => `${options.indexOf(o) + 1}) ${o.label}`);
  const more = found.length > 5 ? `, and ${found.length - 5} more` : '';
  return `"${typed.trim()}" fits ${found.length} options: ${listed.join('; ')}${more}. Type its number, or more of its name.`;
}

const optionJson = (o: ControlOption) => ({
  text: { type: 'plain_text', text: o.label, emoji: true },
  value: o.value,
});

/**
 * Reads a time typed on the clock of `timeZone` (the person's; UTC by default): from now as a person says it (`30m`,
 * `in 30 minutes`, `30 min`, `1 hour`, `in 1h`, `+45m`: parseFromNow), `14:30` (today there), `2026-12-01 14:30`
 * (`… UTC` or `…Z`: in UTC); unix seconds, or null.
 */
export function parseTime(typed: string, now: Date, timeZone = 'UTC'): number | null {
  const t = typed.trim().toLowerCase();
  const ms = parseFromNow(t);
  if (ms !== null) return Math.floor((now.getTime() + ms) / 1000);
  const hm = /^(\d{1,2}):(\d{2})$/.exec(t);
  if (hm) {
    const [h, m] = [Number(hm[1]), Number(hm[2])];
    if (h > 23 || m > 59) return null;
    const today = localParts(now, timeZone);
    return Math.floor(atLocal(today.y, today.mo, today.d, { h, m }, timeZone).getTime() / 1000);
  }
  const full = /^(\d{4})-(\d{2})-(\d{2})[ t](\d{1,2}):(\d{2})( ?utc|z)?$/.exec(t);
  if (full) {
    const [y, mo, d, h, mi] = full.slice(1, 6).map(Number) as [number, number, number, number, number];
    const back = new Date(Date.UTC(y, mo - 1, d));
    if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) return null;
    const zone = full[6] ? 'UTC' : timeZone;
    return Math.floor(atLocal(y, mo - 1, d, { h, m: mi }, zone).getTime() / 1000);
  }
  return null;
}

/** What was typed for a field, as the state.values entry Slack would send; an empty answer keeps the default. */
export function readAnswer(f: FormField, typed: string, now: Date, timeZone = 'UTC'): Answer {
  const blank = typed.trim() === '';
  switch (f.kind) {
    case 'text': {
      const value = blank ? (f.initialText ?? '') : f.multiline ? typed.trim().replace(/\\n/g, '\n') : typed.trim();
      if (value === '' && !f.optional) return required(f);
      const length = [...value].length;
      if (f.maxLength !== undefined && length > f.maxLength)
        return { ok: false, problem: `${f.label} takes at most ${f.maxLength} characters (this is ${length}).` };
      if (value !== '' && f.minLength !== undefined && length < f.minLength)
        return { ok: false, problem: `${f.label} needs at least ${f.minLength} characters.` };
      return { ok: true, value: { type: f.elementType, value: value === '' ? null : value } };
    }
    case 'number': {
      const value = blank ? (f.initialText ?? '') : typed.trim();
      if (value === '') return f.optional ? { ok: true, value: { type: f.elementType, value: null } } : required(f);
      if (!/^-?\d+(\.\d+)?$/.test(value)) return { ok: false, problem: `${f.label} is a number.` };
      return { ok: true, value: { type: f.elementType, value } };
    }
    case 'select': {
      const chosen = blank ? f.initialOption : pick(f.options ?? [], typed);
      if (!chosen) {
        if (blank)
          return f.optional ? { ok: true, value: { type: f.elementType, selected_option: null } } : required(f);
        return { ok: false, problem: noChoice(f.options ?? [], typed) };
      }
      return { ok: true, value: { type: f.elementType, selected_option: optionJson(chosen) } };
    }
    case 'checkboxes': {
      let chosen: ControlOption[];
      if (blank) chosen = f.initialOptions ?? [];
      else if (/^(none|-)$/i.test(typed.trim())) chosen = [];
      else {
        const picks = typed.split(/[,\s]+/).filter(Boolean);
        const found = picks.map((p) => pick(f.options ?? [], p));
        if (found.some((o) => !o))
          return { ok: false, problem: `Type numbers from 1 to ${f.options?.length ?? 0}, separated by commas.` };
        chosen = [...new Set(found as ControlOption[])];
      }
      if (chosen.length === 0 && !f.optional) return required(f);
      return { ok: true, value: { type: f.elementType, selected_options: chosen.map(optionJson) } };
    }
    case 'datetime': {
      const seconds = blank ? f.initialDateTime : parseTime(typed, now, timeZone);
      if (seconds === undefined)
        return f.optional ? { ok: true, value: { type: f.elementType, selected_date_time: null } } : required(f);
      if (seconds === null)
        return {
          ok: false,
          problem: `"${typed.trim()}" is not a time. Type ${timeHelp(timeZone).replace(/^A /, 'a ')}`,
        };
      return { ok: true, value: { type: f.elementType, selected_date_time: seconds } };
    }
    default:
      return { ok: true, value: { type: f.elementType } };
  }
}

/**
 * A line typed at a form's question: its answer, `/cancel`, `/quit` (the form is closed unsent and the console
 * stops), a command typed as if at the prompt, or `press …` (a button of a message, which the form covers until it is
 * closed).
 */
export type FormLine =
  | { kind: 'answer'; typed: string }
  | { kind: 'cancel' }
  | { kind: 'quit' }
  | { kind: 'command'; line: string }
  | { kind: 'press'; line: string };

/** Would be read as something other than an answer: a slash word (`/incident …`, `/quit`) or `press …`. */
function commandLike(t: string): boolean {
  return /^\/[^\s/]*(\s|$)/.test(t) || parseConsoleInput(t).kind === 'press';
}

/**
 * Reads a line typed at a form's question. A line that starts with a slash word (`/incident resolve …`, `/quit`) is a
 * command, not the answer: taken as one, it was stored as the incident's resolution. So is `press 2`, which was
 * stored as the resolution too. A path (`/api/health is down`) is an answer; `//` in front makes a line that starts
 * with a slash one (`//tmp is full` answers "/tmp is full"), and `\` in front any line that would be read as a
 * command (`\press 2` answers "press 2").
 */
export function readFormLine(typed: string): FormLine {
  const t = typed.trim();
  if (t.startsWith('//')) return { kind: 'answer', typed: t.slice(1) };
  if (t.startsWith('\\') && commandLike(t.slice(1))) return { kind: 'answer', typed: t.slice(1) };
  if (!commandLike(t)) return { kind: 'answer', typed };
  const input = parseConsoleInput(t);
  if (input.kind === 'cancel') return { kind: 'cancel' };
  if (input.kind === 'quit') return { kind: 'quit' };
  return input.kind === 'press' ? { kind: 'press', line: t } : { kind: 'command', line: t };
}

const shorten = (line: string) => ([...line].length > 60 ? `${[...line].slice(0, 59).join('')}…` : line);

/** What is said when a command is typed at a form's question; the question is asked again after it. */
export function commandInForm(form: string, question: string, line: string): string {
  return [
    `You are filling in the form "${form}": "${shorten(line)}" is a command, not an answer to ${question}.`,
    `Answer it to go on (the form is sent after its last question), or type /cancel to close the form without sending (Ctrl-C does too), then type your command. An answer that starts with / is typed with // in front.`,
  ].join('\n');
}

/**
 * What is said when `press …` is typed at a form's question: as in Slack, the messages' buttons wait behind an open
 * form. `choose`: the question is a choice, whose options are chosen by number or name alone.
 */
export function pressInForm(form: string, question: string, line: string, choose: boolean): string {
  const shown = shorten(line);
  return [
    `You are filling in the form "${form}": "${shown}" presses a button of a message, and the form is in front of the messages until it is closed; it is not an answer to ${question}.`,
    choose
      ? `To choose one of the options of ${question}, type its number or its name alone, without press.`
      : `Answer ${question} to go on (the form is sent after its last question).`,
    `To press a button, type /cancel to close the form without sending (Ctrl-C does too), then press. To answer "${shown}" as typed, type it with \\ in front.`,
  ].join('\n');
}
