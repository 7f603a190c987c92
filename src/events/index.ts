import type { ListenerRegistry } from '../slack/listener-router.js';
import { register as registerMention } from './app-mention.event.js';

/** Every Events API event the app subscribes to; a test checks this against manifest.yml. */
export const EVENTS = ['app_mention'] as const;

export function register(app: ListenerRegistry): void {
  registerMention(app);
}
