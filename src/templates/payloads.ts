import { z } from 'zod';

/**
 * Every value the bot hands Slack to carry back to it (a modal's private_metadata, a button's value) is encoded and
 * decoded here, each from one zod schema. Decoding never throws: a stale, edited or foreign value is `null`, and the
 * listener says "out of date" in its own words.
 */
export interface Codec<T> {
  encode(value: T): string;
  decode(raw: string | undefined): T | null;
}

export function jsonCodec<S extends z.ZodType>(schema: S): Codec<z.infer<S>> {
  return {
    encode: (value) => JSON.stringify(value),
    decode(raw) {
      if (raw === undefined) return null;
      try {
        const r = schema.safeParse(JSON.parse(raw));
        return r.success ? r.data : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * The ids a value carries are rows' ids, Postgres integers: a forged value past 2^31 - 1 is no id at all (it reached
 * the database, whose range error came back as "Something went wrong").
 */
const ROW_ID_MAX = 2 ** 31 - 1;
const rowId = z.number().int().positive().max(ROW_ID_MAX);
const incidentId = rowId;
const channelId = z.string().min(1);

/**
 * The status update, resolve and post-mortem forms: which incident, and where to answer; the status update form also
 * what it showed of the incident's fields (short fingerprints, SeenFields), and the post-mortem form of the answers so
 * far (SeenAnswers), so that an update or a version written meanwhile is not undone.
 */
const modalSchema = z.object({
  incidentId,
  channelId,
  seen: z.record(z.string().max(40), z.string().max(40)).optional(),
  /**
   * The resolve and status update forms: how many of its alerts fired as it opened (more at its submission: not
   * resolved, and said).
   */
  firing: z.number().int().min(0).max(1_000_000).optional(),
});
export type ModalMetadata = z.infer<typeof modalSchema>;
export const modalMetadata = jsonCodec(modalSchema);

/** Kept for callers that only encode (tests build form submissions with it). */
export const encodeModalMetadata = modalMetadata.encode;

/** A playbook run outside an incident (`/incident run`), by id. */
const runId = rowId;

/**
 * A playbook step's parameters form and its confirmation: which step, for which incident, or for which playbook run
 * outside an incident (`runId`, and then no incidentId).
 */
const runSchema = z
  .object({
    incidentId: incidentId.optional(),
    runId: runId.optional(),
    channelId,
    playbookId: z.string().min(1),
    stepKey: z.string().min(1),
    /** Set on the confirmation of a destructive step: the values already checked. */
    params: z.record(z.string(), z.string()).optional(),
  })
  .refine((m) => (m.incidentId === undefined) !== (m.runId === undefined));
export type RunMetadata = z.infer<typeof runSchema>;
export const runMetadata = jsonCodec(runSchema);

/** Whose a step is, as forms carry it: an incident's, or a playbook run's outside any incident. */
export const hostOfMetadata = (m: { incidentId?: number | undefined; runId?: number | undefined }) =>
  m.runId !== undefined ? { kind: 'run' as const, id: m.runId } : { kind: 'incident' as const, id: m.incidentId! };

/** Deny's reason form: which approval request, and where to answer. */
export const denyMetadata = jsonCodec(z.object({ approvalId: rowId, channelId }));

const playbookRef = z.string().min(1).max(100);
const stepKeyRef = z.string().regex(/^[a-z]+\.\d{1,3}$/);

/**
 * A step's buttons (Run/Check, Done, Skip, Undo): the playbook id, the step key (`mitigation.2`) and, for a playbook
 * run outside an incident, the run's id; without it, the channel's incident.
 */
export const stepRef = jsonCodec(z.object({ p: playbookRef, s: stepKeyRef, r: runId.optional() }));

/** A "Roll back to vN" button in a playbook run's thread: the version, and the run (its channel has no incident). */
export const rollbackRef = jsonCodec(z.object({ v: z.string().min(1).max(100), r: runId }));

/** "Roll back again" (asked first, on a list older than a rollback): the version, and the run outside an incident. */
export const rollbackAgainRef = jsonCodec(z.object({ v: z.string().min(1).max(100), r: runId.optional() }));

/** The page select of a long playbook: which playbook (and run), and the page chosen. */
export const pageRef = jsonCodec(z.object({ p: playbookRef, n: z.number().int().min(0).max(99), r: runId.optional() }));

/** Skip's reason form: which step, whose (the run; else the channel's incident), and where to answer. */
export const skipMetadata = jsonCodec(z.object({ p: playbookRef, s: stepKeyRef, r: runId.optional(), channelId }));

/** Approve and Deny buttons carry the approval request's id. */
export const approvalRef = jsonCodec(rowId);

/** An incident id as a button carries it (`"42"`); built once, as a zod schema costs more to build than to run. */
const incidentRef = z.coerce.number().int().positive().max(ROW_ID_MAX);

/** Buttons carry the incident id as their value; selects carry it in the block_id (`incident_card_actions:42`). */
export function parseIncidentRef(value: string | undefined, blockId?: string): number | null {
  const fromValue = incidentRef.safeParse(value);
  if (value !== undefined && fromValue.success) return fromValue.data;
  const m = /:(\d+)$/.exec(blockId ?? '');
  const id = m ? Number(m[1]) : 0;
  return id >= 1 && id <= ROW_ID_MAX ? id : null;
}

/**
 * The Escalate now button (on the card, and offered in a private reply): the incident and the role it showed as next,
 * `{"i":42,"r":"cto"}`, so a click pages that role or, if it was paged meanwhile, nobody. A card posted before the
 * button carried a role holds the incident id alone (`42`): role null.
 */
export const escalateRef: Codec<{ incidentId: number; role: string | null }> = (() => {
  const json = jsonCodec(z.object({ i: incidentId, r: z.string().min(1).max(100) }));
  return {
    encode: ({ incidentId: i, role }) => (role ? json.encode({ i, r: role }) : String(i)),
    decode(raw) {
      const ref = json.decode(raw);
      if (ref) return { incidentId: ref.i, role: ref.r };
      const id = raw === undefined ? null : parseIncidentRef(raw);
      return id ? { incidentId: id, role: null } : null;
    },
  };
})();

/**
 * The Acknowledge button (card, page) carries the incident id (`42`); Take command (the acknowledged card, and the
 * private reply to a later acknowledgement) also the commander it showed, `{"i":42,"from":"U…"}`, so a click takes
 * command from that person or, if command changed hands meanwhile, from nobody.
 */
export const ackRef: Codec<{ incidentId: number; takeFrom: string | null }> = (() => {
  const json = jsonCodec(z.object({ i: incidentId, from: z.string().regex(/^[UW][A-Z0-9]{2,30}$/) }));
  return {
    encode: ({ incidentId: i, takeFrom }) => (takeFrom ? json.encode({ i, from: takeFrom }) : String(i)),
    decode(raw) {
      const ref = json.decode(raw);
      if (ref) return { incidentId: ref.i, takeFrom: ref.from };
      const id = raw === undefined ? null : parseIncidentRef(raw);
      return id ? { incidentId: id, takeFrom: null } : null;
    },
  };
})();

/**
 * The incident a click on an incident's button (or select) names: the button's value, in any of the forms above
 * (`42`, Escalate now's `{"i":42,"r":…}`, Take command's `{"i":42,"from":…}`), else the block_id's `:42`. Read so by
 * the listeners and by the audit, so a click's row is filed under the incident it acted on.
 */
export function clickedIncident(value: string | undefined, blockId?: string): number | null {
  return escalateRef.decode(value)?.incidentId ?? ackRef.decode(value)?.incidentId ?? parseIncidentRef(value, blockId);
}

/** An action item's Done button carries the item's id. */
export const actionItemRef = jsonCodec(rowId);

/**
 * The declare form: where it was opened from, so that its answer goes back there: the Home tab (answered by direct
 * message), `/incident declare` (the channel it was typed in), or a warning alert's notice (which alert, and the
 * channel to answer in).
 */
export const declareMetadata = jsonCodec(
  z.union([
    z.object({ from: z.literal('home') }),
    z.object({ from: z.literal('command'), channelId }),
    // A message's Declare incident shortcut: answered in its channel, and its thread told of a public incident.
    z.object({ from: z.literal('message'), channelId, ts: z.string().regex(/^\d+\.\d+$/) }),
    z.object({ from: z.literal('alert'), alertId: rowId, channelId }),
  ]),
);

/**
 * What was typed to declare (`/incident sev0 everything is down`) in an open incident's channel, carried by the reply's
 * Declare it as a new incident button: its severity, title and Private flag, `{"s":0,"t":"everything is down","p":false}`.
 */
export const typedDeclarationRef = jsonCodec(
  z.object({ s: z.number().int().min(0).max(3), t: z.string().min(1).max(600), p: z.boolean() }),
);

/** A warning alert's Declare incident button carries the alert's id. */
export const alertRef = jsonCodec(rowId);

/** The Take out button of the message saying alerts were added to an incident: their alert incident's id. */
export const attachedRef = jsonCodec(rowId);

/** The Add to an open incident form: which alert, and the channel of its notice (the answer goes there). */
export const attachMetadata = jsonCodec(z.object({ alertId: rowId, channelId }));

/**
 * The Home tab's override form: the clock its hints named (the clicker's Slack time zone), so that the times typed in
 * it are read on that clock even if Slack cannot be asked again when it is sent. No `tz`: the role's clock.
 */
export const overrideFormRef = jsonCodec(
  z.object({
    from: z.literal('home'),
    tz: z.string().min(1).max(64).optional(),
  }),
);

/**
 * An on-call override waiting for Confirm: its kind, role, people and end (an instant), `{"k":"override","r":"on_call",
 * "u":"U…","e":"2026-12-01T09:00:00.000Z"}`; a swap has the other person in `o`, one that starts later its start in
 * `s`.
 */
export const overrideRef = jsonCodec(
  z.object({
    k: z.enum(['override', 'swap']),
    r: z.string().min(1).max(100),
    u: z.string().regex(/^[UW][A-Z0-9]{2,30}$/),
    o: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,30}$/)
      .optional(),
    /** The start of an override that starts later; absent: from now. */
    s: z.iso.datetime().optional(),
    e: z.iso.datetime(),
  }),
);
