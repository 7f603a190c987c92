import type { ModalView } from '@slack/types';
import { SEVERITIES, type SeverityDefs } from '../incidents/severity.js';
import { modal } from './blocks.js';
import { BLOCK, INPUT, VIEW } from './ids.js';
import { severityOption } from './severities.js';

/** Longest description the declare form takes. */
export const DESCRIPTION_MAX = 2900;

/**
 * The declare form (the Home tab's Declare incident): a severity (the runbook's levels, with their impact and examples),
 * a title, and an optional description. It declares exactly as `/incident sev1 <title>` does. Pure.
 */
export function declareModal(severities: SeverityDefs, privateMetadata: string, titleMax: number): ModalView {
  return modal({
    callbackId: VIEW.declare,
    privateMetadata,
    title: 'Declare an incident',
    submit: 'Declare',
    blocks: [
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
        },
      },
    ],
  });
}
