import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { formatDistanceStrict } from 'date-fns/formatDistanceStrict';
import type { Phrase } from '../incidents/errors.js';
import type { ContactName } from '../incidents/follow-up-ports.js';
import { cutToChars } from '../incidents/text.js';
import { describeDuration } from '../runbook/duration.js';

/** Slack limits we build to (Block Kit reference). */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  fieldText: 2000,
  headerText: 150,
  buttonLabel: 75,
  modalTitle: 24,
  optionText: 75,
  contextElements: 10,
  messageText: 40_000,
  plainInputInitial: 3000,
} as const;

/** Escapes user text for mrkdwn so `<!channel>` or `<@U123>` is shown, never acted on. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to at most `max` characters (by code point, so emoji are never split), ending with an ellipsis when cut. */
export const truncate = cutToChars;

/**
 * Truncates text that is already escaped without cutting an entity like `&amp;` in half, nor leaving a code span or
 * block open: cut inside one (an odd number of backticks kept), its backticks are shown as ˋ, so that what follows it
 * in the message (a mention, the next lines) is not taken into it.
 */
export function clipEscaped(escaped: string, max: number): string {
  if ([...escaped].length <= max) return escaped;
  const cut = truncate(escaped, max).replace(/&[a-z]{0,3}…$/, '…');
  return (cut.match(/`/g)?.length ?? 0) % 2 === 1 ? cut.replace(/`/g, 'ˋ') : cut;
}

/** Escapes, then truncates without cutting an entity like `&amp;` in half. */
export function mrkdwnClip(s: string, max: number): string {
  return clipEscaped(escapeMrkdwn(s), max);
}

/**
 * Text shown in a code block (```…```), `max` characters with its fences at most: escaped, cut without cutting an
 * entity, and every backtick in it shown as ˋ (clipEscaped's look-alike), so that its fences are the only ones. A title
 * `db ``` down *x*` closed a page's template block after "db ", and the rest rendered as formatting.
 */
export function codeBlock(text: string, max: number): string {
  return `\`\`\`${mrkdwnClip(codeText(text), max - 6)}\`\`\``;
}

/** Text for inside a code block, not yet escaped: every backtick shown as ˋ, so the block's fences are its only ones. */
export const codeText = (text: string): string => text.replace(/`/g, 'ˋ');

/**
 * Slack's mrkdwn formatting characters, each with the look-alike shown in their place inside a span of formatting.
 * Slack has no escape for them: `*Disk*Full*` is bold `Disk` and a stray `Full*`, and `*\`rm\`*` opens a code span
 * that takes in the rest of the line. A look-alike reads the same and is never formatting, whatever Slack makes of
 * the characters around it (a zero-width joiner beside it would rely on that, and is lost when the text is copied
 * into a search anyway). The backtick's is clipEscaped's.
 */
const FORMATTING_LOOKALIKES: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ ASTERISK OPERATOR
  _: '\u02CD', // ˍ MODIFIER LETTER LOW MACRON
  '~': '\u223C', // ∼ TILDE OPERATOR
  '`': '\u02CB', // ˋ MODIFIER LETTER GRAVE ACCENT
};

/**
 * The formatting characters a name shown in a span must not hold: every `*`, `~` and backtick, and a `_` at a word's
 * edge. A `_` between two letters or digits is left as written: Slack never reads it as italics, and snake_case
 * (`orders.created_at`, `node_disk_full`) is what a reader copies into a query or a terminal.
 */
const FORMATTING = /[*~`]|_(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])_/gu;

/**
 * mrkdwnClip, for a name (an alert's, a role's, a title) shown inside bold, italics or code: its formatting characters
 * become their look-alikes (FORMATTING), so the span closes where the template closes it and the name reads as written.
 */
export function mrkdwnName(s: string, max: number): string {
  return mrkdwnClip(
    s.replace(FORMATTING, (c) => FORMATTING_LOOKALIKES[c] ?? c),
    max,
  );
}

/** A name in bold: `*Disk∗Full*`, escaped, clipped and with its formatting characters made look-alikes (mrkdwnName). */
export const boldName = (s: string, max: number): string => `*${mrkdwnName(s, max)}*`;

/**
 * mrkdwnClip, where Slack counts UTF-16 units (a channel topic's 250): an emoji family is one character but eleven
 * units, so a title of 21 families fitted the character count and Slack refused the topic as too_long.
 */
export function mrkdwnClipUnits(s: string, max: number): string {
  for (let chars = max; ; chars = Math.floor(chars * 0.9)) {
    const clipped = mrkdwnClip(s, chars);
    if (clipped.length <= max || chars <= 1) return clipped;
  }
}

export const mention = (userId: string | null | undefined) => (userId ? `<@${userId}>` : '_nobody yet_');

/** A user (U…/W…) or a user group (S…) as a mention. */
export const mentionContact = (id: string) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`);

/**
 * A list of people (and user groups), each as `shown` gives them (a mention, or a name in plain text), by `names`
 * where it has them. Two or more of one name in the list are each followed by their handle (`(priya.shah)`): in Slack
 * their mentions, like their names, look the same, and the reader must be able to tell whom to mention. Someone
 * `names` does not name is shown as `shown` gives them, without a handle.
 */
export function peopleList(
  ids: readonly string[],
  names: ReadonlyMap<string, ContactName>,
  shown: (id: string, name: ContactName | undefined) => string,
): string {
  const nameOf = (id: string) => names.get(id)?.name.toLowerCase();
  const count = new Map<string, number>();
  for (const id of new Set(ids)) {
    const n = nameOf(id);
    if (n) count.set(n, (count.get(n) ?? 0) + 1);
  }
  return ids
    .map((id) => {
      const n = names.get(id);
      const clash = (count.get(nameOf(id) ?? '') ?? 0) > 1;
      return clash && n?.handle ? `${shown(id, n)} (${n.handle})` : shown(id, n);
    })
    .join(', ');
}

/**
 * A domain phrase in mrkdwn: people become mentions, links Slack links; the words are the domain's own. With `names`
 * (who the people are), people of one name in a list are told apart by their handles (peopleList).
 */
export function renderPhrase(phrase: Phrase, names: ReadonlyMap<string, ContactName> = new Map()): string {
  return phrase
    .map((p) =>
      typeof p === 'string'
        ? p
        : 'people' in p
          ? peopleList(p.people, names, mentionContact)
          : 'typed' in p
            ? mrkdwnClip(p.typed, p.max ?? 200)
            : 'name' in p
              ? boldName(p.name, p.max ?? 100)
              : 'channel' in p
                ? channelLink(p.channel)
                : `<${p.link}|${p.label.replace(/[<>|]/g, '')}>`,
    )
    .join('');
}
export const channelLink = (channelId: string) => `<#${channelId}>`;

/** "5 minutes ago" */
export function ago(then: Date, now: Date): string {
  return formatDistanceStrict(then, now, { addSuffix: true });
}

/** Time between two moments: "1 hour 5 minutes" (whole minutes from a minute on), "45 seconds", "1 second". */
export function humanDuration(from: Date, to: Date): string {
  const ms = Math.max(0, to.getTime() - from.getTime());
  if (ms < 60_000) return describeDuration(Math.round(ms / 1000) * 1000);
  return describeDuration(Math.floor(ms / 60_000) * 60_000);
}

/**
 * Slack date token: renders in each reader's own time zone, as `format` says (Slack's tokens: the date and time by
 * default); `fallback` is shown where tokens are not supported.
 */
export function slackDate(d: Date, fallback?: string, format = '{date_short_pretty} {time}'): string {
  const ts = Math.floor(d.getTime() / 1000);
  return `<!date^${ts}^${format}|${fallback ?? utcStamp(d)}>`;
}

/**
 * "3 minutes ago" as Slack shows it to each reader, counted when they read it: a message that stays up (the card, the
 * App Home) never says "0 seconds ago" of something an hour old, and renders the same whenever it is rendered.
 * `fallback` (where tokens do not show): the moment itself, "at 02:14 UTC" by default.
 */
export function slackAgo(d: Date, fallback = `at ${utcStamp(d).slice(11)}`): string {
  return slackDate(d, fallback, '{ago}');
}

/** The time of day alone, as a Slack date token in the reader's time zone; "02:14 UTC" where tokens do not show. */
export function slackTime(d: Date): string {
  return slackDate(d, utcStamp(d).slice(11), '{time}');
}

/**
 * "2026-11-28 00:14 Europe/Berlin": a moment for plain text on the clock of `timeZone`, naming it; utcStamp's
 * "2026-11-27 23:14 UTC" for UTC.
 */
export function zonedStamp(d: Date, timeZone: string): string {
  if (timeZone === 'UTC') return utcStamp(d);
  const z = new TZDate(d.getTime(), timeZone);
  return `${format(z, 'yyyy-MM-dd HH:mm')} ${timeZone}`;
}

/** "2026-11-27 23:14 UTC" for plain text (communication template, channel topic). */
export function utcStamp(d: Date): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** A message's mrkdwn as the plain text a person reads: links, mentions and dates by their labels, entities undone. */
export function plainFromMrkdwn(text: string, names?: ReadonlyMap<string, string>): string {
  return text
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]+))?>/g, (_, id: string, name?: string) => `@${name ?? names?.get(id) ?? id}`)
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => `#${name || id}`)
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]+))?>/g, (_, name?: string) => name ?? '@group')
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!date\^\d+\^[^|>]*\|([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
