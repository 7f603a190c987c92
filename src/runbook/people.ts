import { z } from 'zod';
import { parseDuration } from './duration.js';

/**
 * How people are reached when they are paged: the runbook's `people:` map (contact methods by Slack user ID) and the
 * `notify:` rules of a role or a person (which method, how long after the page). The Slack DM is always the first.
 */

/** The ways a page reaches a person; a new one is a row in NOTIFY_METHODS (src/incidents/notification-methods.ts). */
export const NOTIFY_VIAS = ['slack', 'email', 'pagerduty'] as const;
export type NotifyVia = (typeof NOTIFY_VIAS)[number];

/** One step of a notification rule: by `via`, `afterMs` after the page (0: at once). */
export interface NotifyStep {
  via: NotifyVia;
  afterMs: number;
}

/** Today's behaviour, and the default of a role and person without `notify:`: the Slack DM only. */
export const DEFAULT_NOTIFY: readonly NotifyStep[] = Object.freeze([{ via: 'slack', afterMs: 0 }]);

export interface Person {
  id: string;
  name: string | null;
  email: string | null;
  /** Shown on the card and in pages, never dialled. */
  phone: string | null;
  /** The PagerDuty Events API v2 routing key (integration key) of this person's service. */
  pagerdutyRoutingKey: string | null;
  /** This person's own rules; null: the role's. */
  notify: NotifyStep[] | null;
}

/** A PagerDuty integration key: 32 letters and digits (Events API v2 `routing_key`). */
export const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;

/** Never repeats the key: it lets anyone who has it open incidents in PagerDuty. */
const routingKey = z.string().superRefine((s, ctx) => {
  if (ROUTING_KEY.test(s)) return;
  const signs = /[^A-Za-z0-9]/.test(s) ? ' with other signs in it' : '';
  ctx.addIssue({
    code: 'custom',
    message: `must be a PagerDuty integration key: 32 letters and digits (the service's Events API v2 Integration Key), got ${s.length} characters${signs}`,
  });
});

export const pagerdutySchema = z.object({ routing_key: routingKey }).strict();

const after = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration; write e.g. 30s, 2m or 1h` });
    return z.NEVER;
  }
  return ms;
});

export const notifySchema = z
  .array(
    z
      .object({
        via: z.enum(NOTIFY_VIAS),
        after: after.optional(),
      })
      .strict()
      .transform((s): NotifyStep => ({ via: s.via, afterMs: s.after ?? 0 })),
  )
  .min(1, 'must list at least one step, e.g. [{ via: slack }]');

const email = z
  .string()
  .trim()
  .regex(/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/, 'must be an email address such as olive@example.com');

const personSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    email: email.optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ().-]{3,30}$/, 'must be a phone number such as +1 555 0100 (digits, spaces, + ( ) . -)')
      .optional(),
    pagerduty: pagerdutySchema.optional(),
    notify: notifySchema.optional(),
  })
  .strict();

export const peopleSchema = z.record(z.string(), personSchema).superRefine((people, ctx) => {
  for (const id of Object.keys(people)) {
    if (!/^[UW][A-Z0-9]{2,}$/.test(id))
      ctx.addIssue({ code: 'custom', path: [id], message: 'people are keyed by Slack user ID (U… or W…)' });
  }
});

export function toPeople(raw: z.output<typeof peopleSchema> | undefined): Record<string, Person> {
  return Object.fromEntries(
    Object.entries(raw ?? {}).map(([id, p]) => [
      id,
      {
        id,
        name: p.name ?? null,
        email: p.email ?? null,
        phone: p.phone ?? null,
        pagerdutyRoutingKey: p.pagerduty?.routing_key ?? null,
        notify: p.notify ?? null,
      },
    ]),
  );
}

/** A person's steps: their own rules, else the role's, else the Slack DM only. */
export function stepsFor(person: Person | undefined, roleNotify: readonly NotifyStep[] | null): readonly NotifyStep[] {
  return person?.notify ?? roleNotify ?? DEFAULT_NOTIFY;
}

/** A method of a person's rule that cannot reach them as the runbook file stands. */
export type ReachGap = 'email' | 'pagerduty';

/**
 * The steps of a person's rule (theirs, else the role's) that cannot reach them: email with no address, PagerDuty with
 * no routing key (theirs or the role's). The start checks the people the file names (notifyProblems); this is for the
 * people an override brings in, who are told when it is made rather than finding out at a page.
 */
export function reachGaps(
  person: Person | undefined,
  role: { notify?: readonly NotifyStep[] | null; pagerdutyRoutingKey?: string | null },
): ReachGap[] {
  const vias = new Set(stepsFor(person, role.notify ?? null).map((s) => s.via));
  const gaps: ReachGap[] = [];
  if (vias.has('email') && !person?.email) gaps.push('email');
  if (vias.has('pagerduty') && !person?.pagerdutyRoutingKey && !role.pagerdutyRoutingKey) gaps.push('pagerduty');
  return gaps;
}

/**
 * Checks on the raw file that the schema cannot make: a rule that pages through PagerDuty with no routing key to use
 * for a person it may page (the person's, else the role's): the fixed contacts and the people of the rotation and of
 * its second layer, each named once. Contacts that are user groups, and people an override brings in, are checked when
 * paged.
 */
export function notifyProblems(data: unknown): string[] {
  const d = data as { people?: unknown; escalation?: { roles?: unknown } } | null;
  const people = (d?.people && typeof d.people === 'object' ? d.people : {}) as Record<string, unknown>;
  const roles = d?.escalation?.roles;
  if (!roles || typeof roles !== 'object') return [];
  const out: string[] = [];
  const hasKey = (v: unknown) =>
    !!v && typeof v === 'object' && typeof (v as { routing_key?: unknown }).routing_key === 'string';
  const pagesByPd = (notify: unknown) =>
    Array.isArray(notify) && notify.some((s) => (s as { via?: unknown } | null)?.via === 'pagerduty');
  const ids = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string' && !c.startsWith('S')) : [];
  for (const [id, r] of Object.entries(roles as Record<string, unknown>)) {
    const role = r as { contacts?: unknown; notify?: unknown; pagerduty?: unknown; rotation?: unknown } | null;
    if (!role || typeof role !== 'object' || hasKey(role.pagerduty)) continue;
    const rotation = (role.rotation && typeof role.rotation === 'object' ? role.rotation : {}) as {
      people?: unknown;
      layer?: { people?: unknown } | null;
    };
    const contacts = new Set(ids(role.contacts));
    const onRotation = [...ids(rotation.people), ...ids(rotation.layer?.people)].filter((c) => !contacts.has(c));
    for (const c of new Set([...contacts, ...onRotation])) {
      const person = people[c] as { notify?: unknown; pagerduty?: unknown } | undefined;
      const notify = person?.notify ?? role.notify;
      if (pagesByPd(notify) && !hasKey(person?.pagerduty)) {
        const where = contacts.has(c) ? '' : ' (in its rotation)';
        out.push(
          `escalation.roles.${id}: ${c}${where} is notified through PagerDuty but has no routing key: add pagerduty: { routing_key } to the role or to people.${c}`,
        );
      }
    }
  }
  return out;
}
