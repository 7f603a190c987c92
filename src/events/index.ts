import type { App } from '@slack/bolt';
import { register as registerMention } from './app-mention.event.js';

/** Every Events API event the app subscribes to; a test checks this against manifest.yml. */
export const EVENTS = ['app_mention'] as const;

export function register(app: App): void {
  registerMention(app);
}
