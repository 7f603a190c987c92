/** Durations as written in the runbook file: `30s`, `15m`, `4h`, `1d`, `1h30m`, `500ms`. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(s)) return null;
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return total > 0 ? total : null;
}

/** 900000 -> "15 minutes", 3600000 -> "1 hour", 2000 -> "2 seconds". */
export function describeDuration(ms: number): string {
  const parts: string[] = [];
  const take = (size: number, unit: string) => {
    const n = Math.floor(ms / size);
    if (n > 0) {
      parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
      ms -= n * size;
    }
  };
  take(UNIT_MS.d, 'day');
  take(UNIT_MS.h, 'hour');
  take(UNIT_MS.m, 'minute');
  take(UNIT_MS.s, 'second');
  if (parts.length === 0) return `${ms} ms`;
  return parts.join(' ');
}
