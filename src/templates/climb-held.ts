/** A role a round of nobody acknowledging did not climb to, as a template names it, with its conditions in words. */
export interface HeldRole {
  name: string;
  when: readonly string[];
}

/**
 * Why a round of nobody acknowledging paged nobody further up, after "the runbook pages": "*Engineering Manager* for
 * customer impact and *CTO* for SEV-0 or a data-loss risk, neither of which applies". Names as the caller shows them
 * (bold, escaped). Pure.
 */
export function climbHeldWords(roles: readonly HeldRole[]): string {
  const parts = roles.map((r) => (r.when.length ? `${r.name} for ${r.when.join(' or ')}` : r.name));
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? '');
  const applies =
    roles.length === 1
      ? 'which does not apply'
      : roles.length === 2
        ? 'neither of which applies'
        : 'none of which applies';
  return `${list}, ${applies}`;
}

/** A climb_held event's `held` (see EVENT_KINDS), read loosely: the entries with a role id. */
export function heldOf(d: Record<string, unknown>): { role: string; when: string[] }[] {
  if (!Array.isArray(d.held)) return [];
  return d.held.flatMap((h: unknown) => {
    const e = h as { role?: unknown; when?: unknown } | null;
    if (!e || typeof e.role !== 'string') return [];
    const when = Array.isArray(e.when) ? e.when.filter((w): w is string => typeof w === 'string') : [];
    return [{ role: e.role, when }];
  });
}
