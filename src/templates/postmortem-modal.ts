import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { ActionItem } from '../incidents/action-items.js';
import { POSTMORTEM_ANSWER_MAX, type StoredPostmortem } from '../incidents/postmortem.js';
import { severityLabel } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { modal } from './blocks.js';
import { BLOCK, INPUT, VIEW } from './ids.js';
import { LIMITS, mention, mrkdwnClip, truncate, utcStamp } from './text.js';

/** The runbook select's answer for "no update needed". */
export const NO_RUNBOOK_UPDATE = 'none';
/** Slack's limits: a select's options, an option's value, checkboxes' options. */
const MAX_OPTIONS = 100;
const MAX_OPTION_VALUE = 150;
const MAX_CHECKBOXES = 10;
/** Items listed above the form at most. */
const ITEMS_SHOWN = 15;

export interface PostmortemModalInput {
  incident: Incident;
  stored: StoredPostmortem | null;
  items: ActionItem[];
  sections: string[];
  /** The section to suggest (offered first, and said in the hint), one of `sections`; null: none. */
  suggested?: string | null;
  manualChecks: string[];
}

const option = (text: string, value = text): PlainTextOption => ({
  text: { type: 'plain_text', text: truncate(text, LIMITS.optionText) },
  value: truncate(value, MAX_OPTION_VALUE),
});

/**
 * The runbook select's options: no update, then each section the form can offer (Slack's 100 at most), the suggested
 * one (when offered) first among them.
 */
function runbookOptions(sections: string[], suggested?: string | null): PlainTextOption[] {
  const first = suggested && sections.includes(suggested) ? [suggested] : [];
  const ordered = [...first, ...sections.filter((t) => !first.includes(t))];
  return [option('No update needed', NO_RUNBOOK_UPDATE), ...ordered.map((t) => option(t))].slice(0, MAX_OPTIONS);
}

/** Whether a submitted runbook choice is one the form offers for these sections (not a value made up or gone). */
export function offersRunbookChoice(sections: string[], value: string): boolean {
  return runbookOptions(sections).some((o) => o.value === value);
}

const textInput = (
  blockId: string,
  label: string,
  o: {
    initial?: string | undefined;
    optional?: boolean;
    multiline?: boolean;
    max?: number;
    hint?: string;
    placeholder?: string;
  },
): KnownBlock => ({
  type: 'input',
  block_id: blockId,
  optional: o.optional ?? false,
  label: { type: 'plain_text', text: label },
  ...(o.hint ? { hint: { type: 'plain_text' as const, text: o.hint } } : {}),
  element: {
    type: 'plain_text_input',
    action_id: INPUT.text,
    multiline: o.multiline ?? true,
    max_length: o.max ?? POSTMORTEM_ANSWER_MAX,
    ...(o.placeholder ? { placeholder: { type: 'plain_text' as const, text: o.placeholder } } : {}),
    ...(o.initial ? { initial_value: truncate(o.initial, o.max ?? POSTMORTEM_ANSWER_MAX) } : {}),
  },
});

function itemLine(i: ActionItem): string {
  const facts = [
    i.ownerId ? mention(i.ownerId) : 'nobody',
    i.dueAt ? `due ${utcStamp(i.dueAt)}` : '',
    i.state === 'done' ? ':white_check_mark: done' : 'open',
  ].filter(Boolean);
  return `• ${mrkdwnClip(i.text, 200)} — ${facts.join(', ')}`;
}

/**
 * The post-mortem form, prefilled with the answers so far: root cause, contributing factors, what went well and badly,
 * whether the runbook needs an update (which section), new action items one per line, and the checklist items only a
 * person can tick. Pure.
 */
export function postmortemModal(f: PostmortemModalInput, privateMetadata: string): ModalView {
  const s = f.stored;
  const i = f.incident;
  const blocks: KnownBlock[] = [
    {
      type: 'context',
      elements: [
        {
          type: 'plain_text',
          text: truncate(
            `[${severityLabel(i.severity)}] #${i.number} ${i.title}${s ? ' · writing a new version' : ''}`,
            2000,
          ),
        },
      ],
    },
  ];
  if (f.items.length) {
    const lines = f.items.slice(0, ITEMS_SHOWN).map(itemLine);
    if (f.items.length > ITEMS_SHOWN) lines.push(`…and ${f.items.length - ITEMS_SHOWN} more.`);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`*Action items so far*\n${lines.join('\n')}`, LIMITS.sectionText) },
    });
  }
  blocks.push(
    textInput(BLOCK.pmRootCause, 'Root cause', {
      initial: s?.rootCause,
      placeholder: 'Why it happened, as far as is known',
    }),
    textInput(BLOCK.pmFactors, 'Contributing factors', { initial: s?.factors, optional: true }),
    textInput(BLOCK.pmWentWell, 'What went well', { initial: s?.wentWell, optional: true }),
    textInput(BLOCK.pmWentBadly, 'What went badly', { initial: s?.wentBadly, optional: true }),
  );
  const sections = runbookOptions(f.sections, f.suggested);
  const suggested = f.suggested && f.sections.includes(f.suggested) ? f.suggested : null;
  const current = s ? (s.runbookSection ?? NO_RUNBOOK_UPDATE) : undefined;
  const initial =
    current === undefined ? undefined : sections.find((o) => o.value === current || o.text.text === current);
  blocks.push(
    {
      type: 'input',
      block_id: BLOCK.pmRunbook,
      label: { type: 'plain_text', text: 'Does the runbook need an update?' },
      hint: {
        type: 'plain_text',
        text: suggested
          ? `Monitoring's alerts opened or joined this incident: if a threshold, duration, level or action of theirs was wrong, choose ${suggested}. Naming a section adds an action item to update it.`
          : 'Naming a section adds an action item to update it.',
      },
      element: {
        type: 'static_select',
        action_id: INPUT.select,
        placeholder: { type: 'plain_text', text: 'No update, or which section' },
        options: sections,
        ...(initial ? { initial_option: initial } : {}),
      },
    },
    textInput(BLOCK.pmRunbookNote, 'What to change in the runbook', {
      initial: s?.runbookNote,
      optional: true,
      multiline: false,
      max: 500,
    }),
    textInput(BLOCK.pmItems, 'New action items', {
      optional: true,
      hint: `One per line: TEXT [@owner] [due: YYYY-MM-DD, 3d, tomorrow, by friday or by friday 5pm (UTC)], e.g. Add pool monitoring @alice by friday.${f.items.length ? ' The items above stay.' : ''}`,
    }),
  );
  const checks = f.manualChecks.slice(0, MAX_CHECKBOXES).map((t) => option(t));
  if (checks.length) {
    const ticked = checks.filter((o) => s?.checked.some((c) => c.toLowerCase() === (o.value ?? '').toLowerCase()));
    blocks.push({
      type: 'input',
      block_id: BLOCK.pmChecklist,
      optional: true,
      label: { type: 'plain_text', text: "The runbook's post-mortem checklist" },
      element: {
        type: 'checkboxes',
        action_id: INPUT.checks,
        options: checks,
        ...(ticked.length ? { initial_options: ticked } : {}),
      },
    });
  }
  return modal({
    callbackId: VIEW.postmortem,
    privateMetadata,
    title: `Post-mortem #${i.number}`,
    submit: s ? 'Write new version' : 'Write',
    blocks,
  });
}
