import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { toChatPlatformError } from './slack-errors.js';

/** Opens a modal; Slack's refusals (expired trigger, missing scope) become messages a person can act on. */
export async function openModal(client: WebClient, triggerId: string, view: ModalView): Promise<void> {
  try {
    await client.views.open({ trigger_id: triggerId, view });
  } catch (err) {
    throw toChatPlatformError(err, 'open the form');
  }
}
