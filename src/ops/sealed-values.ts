import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secret parameter values (a `secret` kind, such as a new DATABASE_URL) must outlive the request that typed them: a
 * confirmation form carries them to its submission, and an approval request keeps them until a second person approves.
 * They travel and are stored sealed (AES-256-GCM), never in clear: in a form's private_metadata (which Slack holds) and
 * in `step_approvals.params`. The key is derived from the bot's own secrets (its Slack tokens, signing secret, database
 * password), which every replica shares; a bot without any uses a key of its own process, so what it sealed cannot be
 * opened after a restart (the person types the value again).
 */

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  seal(value: string): string;
  /** The value sealed, or null when it was not sealed by this key (another bot, a restart without secrets, forged). */
  open(sealed: string): string | null;
}

/**
 * Whether a carried value (a form's metadata, an approval's row) is sealed. Only carried values are asked: a person
 * may type anything, this prefix included, so whatever carries values seals every one that starts with it.
 */
export const isSealed = (value: string): boolean => value.startsWith(PREFIX);

export function createSealer(secrets: readonly string[]): Sealer {
  const material = secrets.filter((s) => s.length > 0);
  const key = material.length
    ? createHash('sha256')
        .update(`incident-bot sealed step parameters v1\0${material.join('\0')}`)
        .digest()
    : randomBytes(32);
  return {
    seal(value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed) {
      if (!isSealed(sealed)) return null;
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}
