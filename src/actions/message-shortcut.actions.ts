import type { MessageShortcut } from '@slack/bolt';
import { TITLE_MAX } from '../commands/subcommands.js';
import type { ListenerDeps } from '../slack/deps.js';
import { directMessageTo } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { declareModal, messagePrefill } from '../templates/declare-modal.js';
import { SHORTCUT } from '../templates/ids.js';
import { declareMetadata } from '../templates/payloads.js';

/** How long the form waits for the message's link before it opens without it (the trigger lasts 3 s). */
const PERMALINK_WAIT_MS = 1000;

/**
 * A message's Declare incident shortcut (someone in #support posts "checkout throws 500s"): the declare form, with
 * the message's first line as the title and its text and link as the description. Declared as the form always does;
 * the answer comes in the message's channel, and the message's thread is told of a public incident.
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.shortcut<MessageShortcut>(SHORTCUT.declareFromMessage, ({ ack, shortcut, client, logger }) =>
    afterAck(
      { ack: () => ack(), logger, tell: directMessageTo(client, shortcut.user.id) },
      async () => {
        const channelId = shortcut.channel.id;
        const ts = shortcut.message.ts;
        const link = client.chat
          .getPermalink({ channel: channelId, message_ts: ts })
          .then((r) => r.permalink ?? null)
          .catch(() => null);
        const timeout = new Promise<null>((r) => setTimeout(() => r(null), PERMALINK_WAIT_MS).unref());
        const permalink = await Promise.race([link, timeout]);
        const prefill = messagePrefill(
          { text: shortcut.message.text ?? '' },
          { channelName: shortcut.channel.name ?? null, permalink },
          TITLE_MAX,
        );
        const meta = declareMetadata.encode({ from: 'message', channelId, ts });
        await openModal(client, shortcut.trigger_id, declareModal(deps.severities, meta, TITLE_MAX, prefill));
      },
      // Admitted always: the form must open within the trigger's 3 s, and touches no database.
      { admit: 'always' },
    ),
  );
}
