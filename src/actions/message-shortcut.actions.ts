import type { MessageShortcut } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { noteDetails, noteIncident } from '../audit/request-context.js';
import { TITLE_MAX } from '../commands/subcommands.js';
import type { ListenerDeps } from '../slack/deps.js';
import { directMessageTo, ephemeralElseDirect } from '../slack/direct-tell.js';
import { afterAck, replyTo } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { declareModal, messagePrefill, messageWords, type ShortcutMessage } from '../templates/declare-modal.js';
import { SHORTCUT } from '../templates/ids.js';
import { declareMetadata } from '../templates/payloads.js';
import { secretAuthorTold, secretInMessageWarning } from '../templates/secret-warning.js';
import { channelLink, mrkdwnClip, plainFromMrkdwn } from '../templates/text.js';

/** How long the form waits for the message's link before it opens without it (the trigger lasts 3 s). */
const PERMALINK_WAIT_MS = 1000;

/** What `p` gives, or `fallback` when it fails or takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  const timeout = new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref());
  return Promise.race([p.catch(() => fallback), timeout]);
}

/** The message's link, or null when Slack does not give it within `ms`. */
function permalinkOf(client: WebClient, channel: string, ts: string, ms: number): Promise<string | null> {
  const link = client.chat.getPermalink({ channel, message_ts: ts }).then((r) => r.permalink ?? null);
  return within(link, ms, null);
}

/** The people a message mentions without a name (`<@U0ALICE>`), at most 20. */
const mentionedIds = (text: string) =>
  [...new Set([...text.matchAll(/<@([UW][A-Z0-9]+)>/g)].map((m) => m[1]!))].slice(0, 20);

/**
 * Tells a message's author, privately (in its channel, else a direct message), that it holds one of the bot's known
 * secret values, which the bot cannot edit out of it; recorded on the request's audit row. True once told.
 */
async function warnOfSecret(
  client: WebClient,
  at: { channelId: string; authorId: string; link: string | null },
  logger: { warn: (...args: unknown[]) => void },
): Promise<boolean> {
  try {
    await ephemeralElseDirect(client, at.channelId, at.authorId)(secretInMessageWarning(at.channelId, at.link));
    noteDetails({ secret_warned: at.authorId });
    return true;
  } catch (err) {
    logger.warn('could not warn the author of a message holding a known secret value', err);
    noteDetails({ secret_warning_failed: at.authorId });
    return false;
  }
}

/**
 * A message's Declare incident shortcut (someone in #support posts "checkout throws 500s"): the declare form, with
 * the message's first line as the title and its text and link as the description. Declared as the form always does;
 * the answer comes in the message's channel, and the message's thread is told of a public incident.
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.shortcut<MessageShortcut>(SHORTCUT.declareFromMessage, ({ ack, shortcut, client, logger }) =>
    afterAck(
      { ack: () => ack(), deps, logger, tell: directMessageTo(client, shortcut.user.id) },
      async () => {
        const channelId = shortcut.channel.id;
        const ts = shortcut.message.ts;
        const message = shortcut.message as ShortcutMessage;
        const text = messageWords(message);
        // The link and the names of the people it mentions, at once, within the wait the trigger allows.
        const [permalink, names] = await Promise.all([
          permalinkOf(client, channelId, ts, PERMALINK_WAIT_MS),
          within(deps.notes.userNames(mentionedIds(text)), PERMALINK_WAIT_MS, new Map<string, string>()),
        ]);
        const prefill = messagePrefill(
          { text },
          { channelName: shortcut.channel.name ?? null, permalink },
          TITLE_MAX,
          names,
        );
        const meta = declareMetadata.encode({ from: 'message', channelId, ts });
        await openModal(client, shortcut.trigger_id, declareModal(deps.severities, meta, TITLE_MAX, prefill));
      },
      // Admitted always: the form must open within the trigger's 3 s, and touches no database.
      { admit: 'always' },
    ),
  );

  // A message in an incident channel put on its timeline, at the time it was said (for the post-mortem).
  app.shortcut<MessageShortcut>(SHORTCUT.addToTimeline, ({ ack, shortcut, respond, client, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const incident = await deps.incidents.findByChannel(shortcut.channel.id);
        if (!incident) {
          await tell(
            ':information_source: *Add to incident timeline* works on messages in an incident channel (the `#inc-…` channel the bot made). Nothing was added.',
          );
          return;
        }
        noteIncident(incident.id);
        const { message } = shortcut;
        // An integration's message (attachments or blocks, no text) is added by the words they hold.
        const text = plainFromMrkdwn(messageWords(message as ShortcutMessage)).trim();
        if (!text) {
          await tell(':information_source: That message has no text to put on the timeline. Nothing was added.');
          return;
        }
        const link = await permalinkOf(client, shortcut.channel.id, message.ts, PERMALINK_WAIT_MS);
        const authorId = typeof message.user === 'string' ? message.user : null;
        const r = await deps.notes.fromMessage(incident, shortcut.user.id, { text, authorId, ts: message.ts, link });
        // A known secret value is masked on the timeline, but stays in the message, which only its author can change.
        const warned =
          r.result === 'added' && r.heldSecret && authorId
            ? await warnOfSecret(client, { channelId: shortcut.channel.id, authorId, link }, logger)
            : false;
        const told = warned && authorId && authorId !== shortcut.user.id ? secretAuthorTold(authorId) : '';
        // Quoted as recorded: a known secret value in the message masked.
        await tell(
          r.result === 'already'
            ? `:information_source: That message is on the timeline of incident #${incident.number} already.`
            : `:memo: Added to the timeline of incident #${incident.number} (${channelLink(incident.channelId ?? shortcut.channel.id)}), at the time it was said: “${mrkdwnClip(r.text, 200)}”. \`/incident timeline\` shows it.${told}`,
        );
      },
      { admit: 'gate' },
    );
  });
}
