/** What the templates must show, written once for the unit and the end-to-end tests. */
import { ACTION } from '../../src/templates/ids.js';

/** The incident card's buttons and menu, in the order the card shows them. */
export const CARD_ACTION_IDS = [
  ACTION.acknowledge,
  ACTION.changeSeverity,
  ACTION.postUpdate,
  ACTION.markMitigated,
  ACTION.escalate,
  ACTION.rollback,
  ACTION.resolve,
] as const;

/** The headings of the runbook's communication template, in its order. */
export const COMMUNICATION_HEADINGS = [
  'SUBJECT:',
  'SEVERITY:',
  'STATUS:',
  'STARTED:',
  'AFFECTED:',
  'CURRENT IMPACT:',
  'CURRENT STATUS:',
  'MITIGATION STEPS:',
  'NEXT UPDATE:',
] as const;
