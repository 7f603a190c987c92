/**
 * A stored value as shown (a timeline event's or an audit row's details): every string in it, at any depth, masked.
 * What the bot stores is masked before it is written; a row written before a value was known to be secret (an older
 * version, a COMMAND_ENV value added since) is masked so when it is read, so no row shows a known secret. Pure.
 */
export function maskStored<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskStored(v, mask)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStored(v, mask)])) as T;
  }
  return value;
}
