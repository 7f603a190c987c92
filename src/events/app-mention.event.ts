import { mentionHint } from '../commands/mention.js';
import { USAGE } from '../commands/subcommands.js';
import { afterAck, ephemeralIn } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { renderHelp, renderMentionHint } from '../templates/help.js';

/**
 * `@Incident Bot` in a channel: answer in the thread with how to use the bot (alone or with `help`), or, when the
 * mention held words, in a line or two: the `/incident` line that does it (mentionHint), not 40 lines of help in public.
 */
export function register(app: ListenerRegistry): void {
  app.event('app_mention', async ({ event, client, logger }) => {
    const thread = event.thread_ts ?? event.ts;
    await afterAck(
      // Bolt acknowledges Events API requests itself; a problem is told privately in the thread.
      { ack: async () => {}, logger, tell: ephemeralIn(client, event.channel, event.user ?? '', thread) },
      async () => {
        const hint = mentionHint(event.text ?? '');
        await client.chat.postMessage({
          channel: event.channel,
          thread_ts: thread,
          text: (hint ? renderMentionHint(hint) : renderHelp(USAGE)).text,
        });
      },
      // Admitted always: one message, no database, nothing worth queueing behind incident changes.
      { admit: 'always' },
    );
  });
}
