import type { OwnerRef } from '../incidents/action-items.js';

const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
/** What a Slack handle is made of. */
const HANDLE = '[\\p{L}\\p{N}._-]{1,80}';
const NAME = new RegExp(`^@(${HANDLE})$`, 'u');
/** A name without its @ (`bob`), read as one only where nothing else can follow (`/incident commander bob`). */
const BARE_NAME = new RegExp(`^${HANDLE}$`, 'u');

/** `@here`, `@channel`, `@everyone` as typed or as Slack sends them, and user groups: many people, never one. */
const NOT_PERSON =
  /^(?:@(here|channel|everyone)|<!(here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>)$/i;

/**
 * One person as typed: a mention (`<@U123|alice>`, as Slack sends it) or `@name` (looked up later). A mention of many
 * (`@here`, a user group) is refused with `why` (what needs one person) in the message; anything else is null.
 * `loose`: typed where only a person can be, a name may come without its @ and with a stop after it (`bob.`).
 */
export function parsePerson(
  raw: string | undefined,
  why: string,
  { loose = false }: { loose?: boolean } = {},
): OwnerRef | string | null {
  if (loose && raw) {
    raw = raw.replace(/[.!,;:]+$/, '');
    if (BARE_NAME.test(raw)) raw = `@${raw}`;
  }
  if (!raw) return null;
  const many = NOT_PERSON.exec(raw);
  if (many) {
    const shown = (many[1] ?? many[2]) ? `@${many[1] ?? many[2]}` : (many[3] ?? 'a user group');
    return `\`${shown}\` is not a person: ${why}. Mention one, e.g. \`@alice\`.`;
  }
  const m = MENTION.exec(raw);
  if (m) return { id: m[1]! };
  const n = NAME.exec(raw);
  return n ? { name: n[1]! } : null;
}
