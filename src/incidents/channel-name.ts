/** Slack channel names: lowercase a-z, 0-9, '-' and '_', at most 80 characters. */
export const CHANNEL_NAME_MAX = 80;

/** `inc-42-db-down`. A title with nothing usable gives `inc-42`. `suffix` (2, 3, …) disambiguates a taken name. */
export function incidentChannelName(number: number, title: string, suffix?: number): string {
  const prefix = `inc-${number}`;
  const tail = suffix && suffix > 1 ? `-${suffix}` : '';
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents: é -> e
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  const room = CHANNEL_NAME_MAX - prefix.length - tail.length - 1;
  const cut = slug.slice(0, Math.max(0, room)).replace(/[-_]+$/g, '');
  return cut ? `${prefix}-${cut}${tail}` : `${prefix}${tail}`;
}
