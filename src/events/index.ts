import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { register as registerHome } from './app-home-opened.event.js';
import { register as registerMention } from './app-mention.event.js';
import { register as registerArchive } from './channel-archive.event.js';

/** Every Events API event the app subscribes to; a test checks this against manifest.yml. */
export const EVENTS = [
  'app_mention',
  'app_home_opened',
  'channel_archive',
  'group_archive',
  'channel_unarchive',
  'group_unarchive',
] as const;

export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  registerMention(app);
  registerHome(app, deps);
  registerArchive(app, deps);
}
