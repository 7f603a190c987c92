import type { Button, KnownBlock, ModalView } from '@slack/types';
import { LIMITS, truncate } from './text.js';

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
