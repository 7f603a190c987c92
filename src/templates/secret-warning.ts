import { channelLink } from './text.js';

/**
 * What the author of a message put on an incident's timeline is told when it held one of the bot's known secret
 * values or a credential told by its shape (see typedTextMask): masked on the timeline, but still in their message,
 * which the bot cannot edit. Names no value.
 */
export function secretInMessageWarning(channelId: string, link: string | null): string {
  const message = link ? `<${link}|Your message>` : 'Your message';
  return (
    `:warning: ${message} in ${channelLink(channelId)} holds what looks like a secret: one the bot is configured with ` +
    "(a token, key or password it knows), or a provider's key by its shape (such as `sk_live_…` or `ghp_…`). It was " +
    'masked on the incident timeline, but the message itself still shows it to everyone in the channel, and the bot ' +
    'cannot edit it: delete the message or edit the secret out, and rotate the secret, as it has been seen.'
  );
}

/** What the person who put someone else's message on the timeline is told beside it: its author was warned. */
export function secretAuthorTold(authorId: string): string {
  return ` It held what looks like a secret, masked there: <@${authorId}> was told privately to delete or edit the message and rotate the secret.`;
}
