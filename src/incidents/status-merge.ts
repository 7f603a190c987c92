import { createHash } from 'node:crypto';
import type { Incident, StatusUpdateInput } from './types.js';

/**
 * The text fields of a status update a person writes, as the form labels them, and whether one must be written: the
 * one list the form's checks, the check after a merge and the text given back when an update is not posted read.
 */
export const WRITTEN_FIELDS = [
  { field: 'affected', label: 'Affected', required: true },
  { field: 'currentImpact', label: 'Current impact', required: true },
  { field: 'currentStatus', label: 'Current status', required: true },
  { field: 'mitigationSteps', label: 'Mitigation steps', required: false },
] as const;
/** A status update's text field that must be written. */
export type RequiredField = Extract<(typeof WRITTEN_FIELDS)[number], { required: true }>['field'];
export const REQUIRED_FIELDS: readonly RequiredField[] = WRITTEN_FIELDS.flatMap((f) => (f.required ? [f.field] : []));

/** The fields of a status update a form shows from the incident, which another update may change while it is open. */
const FIELDS = {
  status: 'Status',
  affected: 'Affected',
  currentImpact: 'Current impact',
  currentStatus: 'Current status',
  mitigationSteps: 'Mitigation steps',
  customerImpact: 'Customer impact',
  dataLossRisk: 'Data-loss risk',
} as const;
type Field = keyof typeof FIELDS;

/**
 * What a status update form saw of each field, as short fingerprints (carried in the form, back on submission); of
 * the next update, both what the incident had (`nextUpdateAt`) and what the form showed (`nextShown`: the incident's,
 * or half an hour from when it opened).
 */
export type SeenFields = Partial<Record<Field | 'nextUpdateAt' | 'nextShown', string>>;

/** The next update a status update form opened at `now` shows: the incident's when still ahead, else in 30 minutes. */
export function nextUpdateShown(i: Pick<Incident, 'nextUpdateAt'>, now: Date): Date {
  return i.nextUpdateAt && i.nextUpdateAt > now ? i.nextUpdateAt : new Date(now.getTime() + 30 * 60_000);
}

/** A time to the second, as the form's date picker gives it back. */
const seconds = (d: Date | null) => (d ? String(Math.floor(d.getTime() / 1000)) : '');

const fingerprint = (v: string | boolean | null | undefined) =>
  createHash('sha256')
    .update(typeof v === 'boolean' ? String(v) : (v ?? '').trim())
    .digest('base64url')
    .slice(0, 10);

/** Whether a form saw `field` empty (no update had filled it when the form opened). */
export function sawEmpty(seen: SeenFields | undefined, field: RequiredField): boolean {
  return seen?.[field] !== undefined && seen[field] === fingerprint('');
}

/** The fingerprints of what a status update form opened at `now` shows of the incident. */
export function seenOf(i: Incident, now: Date): SeenFields {
  return {
    ...(Object.fromEntries((Object.keys(FIELDS) as Field[]).map((f) => [f, fingerprint(i[f])])) as SeenFields),
    nextUpdateAt: fingerprint(seconds(i.nextUpdateAt)),
    nextShown: fingerprint(seconds(nextUpdateShown(i, now))),
  };
}

/**
 * Two people write status updates at once: the second to submit wrote over every field the first had just changed,
 * with what their form showed when it opened. So each field the person left as their form showed it (its fingerprint
 * is what they saw) keeps what it is now, another update's; the fields they changed are theirs. `kept`: the fields
 * that kept another update's value (said to the person).
 */
export function mergeOverNewer(
  update: StatusUpdateInput,
  seen: SeenFields | undefined,
  current: Incident,
): { update: StatusUpdateInput; kept: string[] } {
  if (!seen) return { update, kept: [] };
  const merged: StatusUpdateInput = { ...update };
  const kept: string[] = [];
  for (const f of Object.keys(FIELDS) as Field[]) {
    const saw = seen[f];
    if (saw === undefined) continue;
    const untouched = fingerprint(update[f]) === saw;
    const changedSince = fingerprint(current[f]) !== saw;
    if (!untouched || !changedSince) continue;
    // Left as it was, and changed by someone else since: theirs stands.
    (merged as unknown as Record<Field, unknown>)[f] = f === 'status' ? current.status : (current[f] ?? '');
    kept.push(FIELDS[f]);
  }
  // The next update: left as the form showed it, and set by another update since.
  if (
    seen.nextShown !== undefined &&
    seen.nextUpdateAt !== undefined &&
    fingerprint(seconds(update.nextUpdateAt)) === seen.nextShown &&
    fingerprint(seconds(current.nextUpdateAt)) !== seen.nextUpdateAt
  ) {
    merged.nextUpdateAt = current.nextUpdateAt;
    kept.push('Next update');
  }
  return { update: merged, kept };
}
