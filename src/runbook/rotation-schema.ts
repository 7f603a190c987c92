import { z } from 'zod';
import {
  atLocal,
  type ClockTime,
  type ExtraLayer,
  firstHandoffFrom,
  isTimeZone,
  type Rotation,
  type Shift,
  WEEKDAYS,
} from '../incidents/rotation.js';
import { parseDuration } from './duration.js';

/**
 * A role's `rotation:` in the runbook file, checked and turned into the domain's Rotation:
 *
 *   rotation:
 *     people: [U0AAAAAAA, U0BBBBBBB]       # in order; Slack user IDs
 *     shift: weekly                         # daily, weekly, or a length such as 12h
 *     handoff: { day: monday, time: '09:00', time_zone: Europe/London }
 *     start: 2026-01-05                     # people[0] takes the first hand-off from then
 *     handoff_channel: C0123456789          # optional; default INCIDENTS_CHANNEL
 *     layer: { name: Daytime shadow, people: [U0CCCCCCC], hours: { from: '09:00', to: '17:00' },
 *              days: [monday, tuesday, wednesday, thursday, friday] }
 */

const shown = (v: unknown) => JSON.stringify(v);

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID (U…/W…): one person takes a shift');

const clock = z.union([z.string(), z.number()]).transform((raw, ctx): ClockTime => {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(String(raw).trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `${shown(raw)} is not a time of day; write it as HH:MM, e.g. '09:00'` });
    return z.NEVER;
  }
  return { h: Number(m[1]), m: Number(m[2]) };
});

const weekday = z.string().transform((raw, ctx) => {
  const i = (WEEKDAYS as readonly string[]).indexOf(raw.trim().toLowerCase());
  if (i === -1) {
    ctx.addIssue({ code: 'custom', message: `unknown day ${shown(raw)}; write one of ${WEEKDAYS.join(', ')}` });
    return z.NEVER;
  }
  return i;
});

const timeZone = z.string().superRefine((tz, ctx) => {
  if (!isTimeZone(tz))
    ctx.addIssue({
      code: 'custom',
      message: `${shown(tz)} is not a time zone; write an IANA name such as Europe/London, America/New_York or UTC`,
    });
});

const shift = z.string().transform((raw, ctx): Shift | { kind: 'weekly'; day: -1 } => {
  const s = raw.trim().toLowerCase();
  if (s === 'daily') return { kind: 'daily' };
  if (s === 'weekly') return { kind: 'weekly', day: -1 };
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: `${shown(raw)} is not a shift; write daily, weekly, or a length like 12h`,
    });
    return z.NEVER;
  }
  return { kind: 'every', ms };
});

/** `2026-01-05`, `2026-01-05 09:00` (in the rotation's time zone) or an instant with its offset. */
type Start =
  | { kind: 'instant'; at: Date }
  | { kind: 'local'; y: number; mo: number; d: number; time: ClockTime | null };

const start = z.union([z.string(), z.date()]).transform((raw, ctx): Start => {
  if (raw instanceof Date) return { kind: 'instant', at: raw };
  const s = raw.trim();
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]([01]\d|2[0-3]):([0-5]\d))?$/.exec(s);
  if (local) {
    const [y, mo, d] = [Number(local[1]), Number(local[2]) - 1, Number(local[3])];
    const check = new Date(Date.UTC(y, mo, d));
    if (check.getUTCMonth() === mo && check.getUTCDate() === d)
      return { kind: 'local', y, mo, d, time: local[4] ? { h: Number(local[4]), m: Number(local[5]) } : null };
  } else if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s))) {
    return { kind: 'instant', at: new Date(s) };
  }
  ctx.addIssue({
    code: 'custom',
    message: `${shown(raw)} is not a start; write a date (2026-01-05) or a date and time ('2026-01-05 09:00')`,
  });
  return z.NEVER;
});

const handoffObject = z
  .object({ day: weekday.optional(), time: clock.default({ h: 9, m: 0 }), time_zone: timeZone })
  .strict();

const layerSchema = z
  .object({
    name: z.string().min(1).default('Second layer'),
    people: z.array(userId).min(1, 'a layer needs at least one person (Slack user IDs, in order)'),
    shift: shift.optional(),
    handoff: handoffObject.optional(),
    start: start.optional(),
    hours: z.object({ from: clock, to: clock }).strict().optional(),
    days: z.array(weekday).min(1).optional(),
  })
  .strict();

export const rotationSchema = z
  .object({
    people: z.array(userId).min(1, 'a rotation needs at least one person (Slack user IDs, in order)'),
    shift,
    handoff: z
      .custom<unknown>((v) => v !== undefined, {
        error:
          "missing: say when shifts hand over, e.g. handoff: { time: '09:00', time_zone: Europe/London } (and day: monday for weekly shifts)",
      })
      .pipe(handoffObject),
    start,
    handoff_channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{6,}$/, 'must be a channel ID such as C0123456789')
      .optional(),
    layer: layerSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const dayFits = (s: { kind: string }, day: number | undefined, path: (string | number)[]) => {
      if (s.kind === 'weekly' && day === undefined)
        ctx.addIssue({ code: 'custom', path, message: 'a weekly shift needs the hand-off day, e.g. day: monday' });
      if (s.kind !== 'weekly' && day !== undefined)
        ctx.addIssue({ code: 'custom', path, message: 'a hand-off day is only for weekly shifts' });
    };
    dayFits(r.shift, r.handoff.day, ['handoff', 'day']);
    // A layer's own hand-off is checked as the rotation's; one it takes from the rotation only needs a day if weekly.
    const layerShift = r.layer?.shift ?? r.shift;
    if (r.layer?.handoff) dayFits(layerShift, r.layer.handoff.day, ['layer', 'handoff', 'day']);
    else if (r.layer && layerShift.kind === 'weekly' && r.handoff.day === undefined)
      dayFits(layerShift, undefined, ['layer', 'handoff', 'day']);
  })
  .transform((r): Rotation => {
    const main = toLayer(r.people, r.shift, r.handoff, r.start);
    let layer: ExtraLayer | null = null;
    if (r.layer) {
      const l = r.layer;
      layer = {
        ...toLayer(l.people, l.shift ?? r.shift, l.handoff ?? r.handoff, l.start ?? r.start),
        name: l.name,
        hours: l.hours ?? null,
        days: l.days ?? null,
      };
    }
    return { ...main, handoffChannel: r.handoff_channel ?? null, layer };
  });

type ParsedShift = z.infer<typeof shift>;
type ParsedHandoff = { day?: number | undefined; time: ClockTime; time_zone: string };

function toLayer(people: string[], s: ParsedShift, h: ParsedHandoff, from: Start) {
  const shiftOf: Shift = s.kind === 'weekly' ? { kind: 'weekly', day: h.day ?? 1 } : s;
  const base = { shift: shiftOf, time: h.time, timeZone: h.time_zone };
  let startAt: Date;
  if (from.kind === 'instant') startAt = from.at;
  else {
    // A date alone starts at the hand-off time of fixed-length shifts, at the day's start for calendar ones.
    const time = from.time ?? (shiftOf.kind === 'every' ? h.time : { h: 0, m: 0 });
    startAt = atLocal(from.y, from.mo, from.d, time, h.time_zone);
  }
  return { ...base, people, anchor: firstHandoffFrom(base, startAt) };
}
