import type { ModalView } from '@slack/types';
import { SEVERITIES, type Severity, type SeverityDefs } from '../incidents/severity.js';
import { cleanText } from '../incidents/text.js';
import { modal } from './blocks.js';
import { BLOCK, FLAG, INPUT, VIEW } from './ids.js';
import { severityOption } from './severities.js';
import { plainFromMrkdwn } from './text.js';

/** Longest description the declare form takes. */
export const DESCRIPTION_MAX = 2900;

/** What the form is prefilled with when opened from something (a warning alert: its summary and row's severity). */
export interface DeclarePrefill {
  title: string;
  /** Chosen in the form; absent, the person picks one. */
  severity?: Severity;
  /** Shown first: what the form was opened from. */
  about?: string;
  /** The description's first text (a message the form was opened from). */
  description?: string;
  /** Private ticked (`/incident declare --private`). */
  private?: boolean;
}

/**
 * The declare form (the Home tab's Declare incident, a warning alert's notice): a severity (the runbook's levels, with
 * their impact and examples), a title, and an optional description, prefilled when opened from an alert. It declares
 * exactly as `/incident sev1 <title>` does. Pure.
 */
export function declareModal(
  severities: SeverityDefs,
  privateMetadata: string,
  titleMax: number,
  prefill?: DeclarePrefill,
): ModalView {
  const initialTitle = prefill ? [...prefill.title.replace(/\s+/g, ' ').trim()].slice(0, titleMax).join('') : '';
  return modal({
    callbackId: VIEW.declare,
    privateMetadata,
    title: 'Declare an incident',
    submit: 'Declare',
    blocks: [
      ...(prefill?.about
        ? [
            {
              type: 'context' as const,
              elements: [{ type: 'plain_text' as const, text: prefill.about.slice(0, 2000) }],
            },
          ]
        : []),
      {
        type: 'input',
        block_id: BLOCK.declareSeverity,
        label: { type: 'plain_text', text: 'Severity' },
        hint: { type: 'plain_text', text: 'SEV-0 is the most severe. `/incident help` shows each level in full.' },
        element: {
          type: 'static_select',
          action_id: INPUT.severity,
          placeholder: { type: 'plain_text', text: 'Pick a severity' },
          options: SEVERITIES.map((s) => severityOption(s, severities)),
          ...(prefill?.severity !== undefined ? { initial_option: severityOption(prefill.severity, severities) } : {}),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.declareTitle,
        label: { type: 'plain_text', text: 'Title' },
        element: {
          type: 'plain_text_input',
          action_id: INPUT.text,
          max_length: titleMax,
          ...(initialTitle ? { initial_value: initialTitle } : {}),
          placeholder: { type: 'plain_text', text: 'db down' },
        },
      },
      {
        type: 'input',
        block_id: BLOCK.declareDescription,
        optional: true,
        label: { type: 'plain_text', text: 'Description' },
        hint: { type: 'plain_text', text: 'What you see so far; it is posted in the incident channel.' },
        element: {
          type: 'plain_text_input',
          action_id: INPUT.text,
          multiline: true,
          max_length: DESCRIPTION_MAX,
          ...(prefill?.description
            ? { initial_value: [...prefill.description].slice(0, DESCRIPTION_MAX).join('') }
            : {}),
        },
      },
      // From an alert too: its notice in the incidents channel then says only that a private incident was declared.
      prefill?.private
        ? { ...privateBox, element: { ...privateBox.element, initial_options: privateBox.element.options } }
        : privateBox,
    ],
  });
}

/** The Private box: a private (security) incident, as `--private` declares. */
const privateBox = {
  type: 'input' as const,
  block_id: BLOCK.declarePrivate,
  optional: true,
  label: { type: 'plain_text' as const, text: 'Visibility' },
  element: {
    type: 'checkboxes' as const,
    action_id: INPUT.checks,
    options: [
      {
        text: { type: 'plain_text' as const, text: 'Private (security incident)' },
        description: {
          type: 'plain_text' as const,
          text: 'A private channel, not announced, listed only to its people.',
        },
        value: FLAG.private,
      },
    ],
  },
};

/** The first `max` characters of a line, cut at a word where one is near, with an ellipsis when cut. */
function firstWords(line: string, max: number): string {
  const chars = [...line];
  if (chars.length <= max) return line;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** A message as Slack gives it to a shortcut: its text, and the attachments and blocks an integration posts. */
export interface ShortcutMessage {
  text?: string;
  attachments?: unknown;
  blocks?: unknown;
}

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

/** The words of a block: a section's or a header's text and fields, a context's texts, rich text's runs. */
function blockWords(b: Record<string, unknown>): string[] {
  const textOf = (t: unknown) => str((t as { text?: unknown } | null)?.text);
  const rich = (els: unknown): string =>
    list(els)
      .map((e) => (typeof e.text === 'string' ? e.text : e.elements ? rich(e.elements) : ''))
      .join('');
  switch (b.type) {
    case 'header':
    case 'section':
      return [textOf(b.text), ...list(b.fields).map(textOf)];
    case 'context':
      return list(b.elements).map(textOf);
    case 'rich_text':
      return list(b.elements).map((e) => rich(e.elements).trim());
    default:
      return [];
  }
}

/**
 * The words of a message: its text; when it has none (a monitoring integration's message is often only attachments or
 * blocks: Grafana, Alertmanager, Datadog), its attachments' pretext, title, text and fields (their fallback when they
 * have nothing else), else its blocks' text. Pure.
 */
export function messageWords(message: ShortcutMessage): string {
  const text = str(message.text);
  if (text) return text;
  const fromAttachments = list(message.attachments).flatMap((a) => {
    const parts = [
      str(a.pretext),
      str(a.title),
      str(a.text),
      ...list(a.fields).map((f) => [str(f.title), str(f.value)].filter(Boolean).join(': ')),
    ].filter(Boolean);
    return parts.length ? parts : [str(a.fallback)].filter(Boolean);
  });
  if (fromAttachments.length) return fromAttachments.join('\n');
  return list(message.blocks).flatMap(blockWords).filter(Boolean).join('\n');
}

/**
 * The declare form opened from a message (its Declare incident shortcut): the title from its first line, the
 * description its text with where it was said. Pure.
 */
export function messagePrefill(
  message: ShortcutMessage,
  where: { channelName: string | null; permalink: string | null },
  titleMax: number,
  /** The names of people the message mentions (`<@U0…>` is shown `@Alice`, not `@U0…`). */
  names?: ReadonlyMap<string, string>,
): DeclarePrefill {
  // As the form will store it: no control characters (they were cleaned only on submit, after showing in the form).
  const plain = cleanText(plainFromMrkdwn(messageWords(message), names), { multiline: true }).trim();
  const firstLine =
    plain
      .split('\n')
      // Quote marks, bullets and emphasis are the message's layout, not its words (`db_primary` keeps its underscore).
      .map((l) =>
        l
          .replace(/^[\s>•-]+/, '')
          .replace(/[*~`]+/g, '')
          .replace(/(^|\s)_+|_+(?=\s|$)/g, '$1')
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .find((l) => l !== '') ?? '';
  const from = `From a message${where.channelName ? ` in #${where.channelName}` : ''}${where.permalink ? `: ${where.permalink}` : ''}`;
  return {
    title: firstWords(firstLine, titleMax),
    description: plain ? `${plain}\n\n${from}` : from,
    about: `${from}. Pick a severity; the title and description are the message's, to change as you like.`,
  };
}
