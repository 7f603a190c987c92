import type { Button, KnownBlock, ModalView } from '@slack/types';
import { clipEscaped, LIMITS, truncate } from './text.js';

/** A button; the label is cut to Slack's 75 characters. */
export function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: truncate(label, LIMITS.buttonLabel) },
    value,
    ...(style ? { style } : {}),
  };
}

/** A modal with Cancel; the title is cut to Slack's 24 characters. */
export function modal(m: {
  callbackId: string;
  privateMetadata: string;
  title: string;
  submit: string;
  blocks: KnownBlock[];
}): ModalView {
  return {
    type: 'modal',
    callback_id: m.callbackId,
    private_metadata: m.privateMetadata,
    title: { type: 'plain_text', text: truncate(m.title, LIMITS.modalTitle) },
    submit: { type: 'plain_text', text: m.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: m.blocks,
  };
}

/**
 * Lines packed into as few sections as fit, each under Slack's 3000 characters (each line must be shorter than that),
 * at most `maxSections`; `shown`: how many lines made it in.
 */
export function packLines(lines: string[], maxSections: number): { blocks: KnownBlock[]; shown: number } {
  const blocks: KnownBlock[] = [];
  let chunk = '';
  let shown = 0;
  for (const line of lines) {
    if (chunk && chunk.length + 1 + line.length > LIMITS.sectionText) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
      if (blocks.length >= maxSections) return { blocks, shown };
    }
    chunk = chunk ? `${chunk}\n${line}` : line;
    shown++;
  }
  if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  return { blocks, shown };
}

/**
 * Escaped mrkdwn lines as one section's text, of at most `max` characters: whole lines, in order, leaving out a line
 * that does not fit (never cut inside a link or a date token, as cutting the text at `max` did); the first line is cut
 * if it alone is too long.
 */
export function wholeLines(lines: readonly string[], max: number = LIMITS.sectionText): string {
  let text = '';
  for (const line of lines) {
    const next = text ? `${text}\n${line}` : line;
    if (next.length <= max) text = next;
    else if (!text) text = clipEscaped(line, max);
  }
  return text;
}
