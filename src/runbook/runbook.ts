import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { AlertRule } from '../incidents/alert-types.js';
import { type EscalationRule, FILE_RULES, type RuleSettings } from '../incidents/escalation-policy.js';
import type { Rotation } from '../incidents/rotation.js';
import { type SeverityDefs, STATUS_PAGE_DEFAULTS } from '../incidents/severity.js';
import { alertRuleProblems, alertRulesSchema, toAlertRules } from './alert-rules.js';
import { runbookDuration } from './duration.js';
import {
  type Maintenance,
  maintenanceProblems,
  maintenanceSchema,
  type PrivateAnnounce,
  privateIncidentsSchema,
  toMaintenance,
} from './maintenance.js';
import {
  type NotifyStep,
  notifyProblems,
  notifySchema,
  type Person,
  pagerdutySchema,
  peopleSchema,
  toPeople,
} from './people.js';
import { type Playbook, playbooksSchema } from './playbooks.js';
import { type ChecklistItem, postmortemSchema } from './postmortem-checklist.js';
import { shownProblem, visibleText } from './problem-paths.js';
import { runbookIssueMessage } from './problem-words.js';
import { readRunbookText } from './read-runbook-file.js';
import { rotationSchema } from './rotation-schema.js';
import { limitedText } from './text-limits.js';
import { type Place, placeOf } from './yaml-places.js';

export const DEFAULT_RUNBOOK_FILE = fileURLToPath(new URL('../../runbooks/atom.yml', import.meta.url));

const duration = z.string().transform((s, ctx) => {
  const d = runbookDuration(s);
  if ('problem' in d) {
    ctx.addIssue({ code: 'custom', message: d.problem });
    return z.NEVER;
  }
  return d.ms;
});

const contact = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user ID (U…/W…) or user-group ID (S…)');

const role = z
  .object({
    name: z.string().min(1),
    contacts: z.array(contact).default([]),
    /** Who is on call is computed from it at the moment of a page; the contacts are paged besides. */
    rotation: rotationSchema.optional(),
    /** The role's PagerDuty service; a person's own routing key wins. */
    pagerduty: pagerdutySchema.optional(),
    /** How the role's contacts are reached (a person's own `notify` wins); default: the Slack DM only. */
    notify: notifySchema.optional(),
  })
  .strict();

const severity = z
  .object({
    name: z.string().min(1),
    definition: limitedText(z.string(), 'severityText').default(''),
    /** Shown where a person picks a severity (the select, /incident help). */
    impact: limitedText(z.string(), 'severityText').default(''),
    examples: z.array(z.string().min(1)).default([]),
    respond_within: duration,
    /** The public status page: the wording for this level, and whether its incidents are public by default. */
    status_page: z
      .object({ impact: z.string().trim().min(1).max(60).optional(), publish: z.boolean().optional() })
      .strict()
      .optional(),
  })
  .strict();

const roleRef = z.string().min(1);

/** How each form of escalation rule is written in the file, parsed into the policy's RuleSettings. */
const RULE_FORMS = {
  /** One role (`critical: cto`) or several paged together (`critical: [senior_devops, cto]`). */
  role: z
    .union([roleRef, z.array(roleRef).min(1)])
    .transform((r): RuleSettings => ({ roles: typeof r === 'string' ? [r] : r, afterMs: null, until: null })),
  /** `{ after: 30m, page: senior_devops, until: resolved }`; until (resolved or mitigated) defaults to resolved. */
  after: z
    .object({ after: duration, page: roleRef, until: z.enum(['resolved', 'mitigated']).default('resolved') })
    .strict()
    .transform((v): RuleSettings => ({ roles: [v.page], afterMs: v.after, until: v.until })),
};

/** `escalation.rules`: one entry per rule of the escalation policy that the file sets, under its file key. */
const rulesSchema = z
  .object(
    Object.fromEntries(
      FILE_RULES.map((r) => [r.key, r.optional ? RULE_FORMS[r.form].optional() : RULE_FORMS[r.form]]),
    ) as Record<string, z.ZodType<RuleSettings | undefined>>,
  )
  .strict();

const schema = z
  .object({
    name: z.string().min(1),
    severities: z.object({ 'SEV-0': severity, 'SEV-1': severity, 'SEV-2': severity, 'SEV-3': severity }).strict(),
    escalation: z
      .object({
        order: z.array(roleRef).min(1),
        roles: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'role ids are lowercase words like senior_devops'), role),
        rules: rulesSchema,
      })
      .strict(),
    playbooks: playbooksSchema.optional(),
    /** Who may run destructive steps (responders) and approve the ones that need a second person (approvers). */
    access: z
      .object({ responders: z.array(contact).default([]), approvers: z.array(contact).default([]) })
      .strict()
      .optional(),
    /** The post-mortem phase: its checklist, shown ticked or not in every post-mortem document. */
    postmortem: postmortemSchema.optional(),
    /** The runbook's Alert Thresholds table: what each monitoring alert means and what to do about it. */
    alerts: alertRulesSchema.optional(),
    /** Contact methods by Slack user ID: name, email, phone (shown), PagerDuty routing key, own notification rules. */
    people: peopleSchema.optional(),
    /** The runbook's Maintenance Windows: schedule, task lists, notice, and the Before/During/After process. */
    maintenance: maintenanceSchema.optional(),
    /** Private (security) incidents: what the incidents channel is told of one. */
    private_incidents: privateIncidentsSchema.optional(),
  })
  .strict();

/**
 * Role references must name a defined role. Checked on the raw data so that these problems are reported together
 * with any other (zod skips refinements once a field is invalid).
 */
function referenceProblems(data: unknown): string[] {
  const esc = (data as { escalation?: unknown } | null)?.escalation as
    | { order?: unknown; roles?: unknown; rules?: Record<string, unknown> }
    | undefined;
  if (!esc || typeof esc !== 'object' || !esc.roles || typeof esc.roles !== 'object') return [];
  const known = Object.keys(esc.roles);
  const out: string[] = [];
  const check = (id: unknown, path: string) => {
    if (typeof id === 'string' && !known.includes(id))
      out.push(`${path}: unknown role "${id}"; known roles: ${known.join(', ')}`);
  };
  if (Array.isArray(esc.order)) {
    for (const [i, id] of esc.order.entries()) check(id, `escalation.order.${i}`);
  }
  const rules = esc.rules && typeof esc.rules === 'object' ? esc.rules : {};
  for (const { key, form } of FILE_RULES) {
    const entry = rules[key];
    if (form === 'role' && Array.isArray(entry)) {
      for (const [i, id] of entry.entries()) check(id, `escalation.rules.${key}.${i}`);
    } else if (form === 'role') check(entry, `escalation.rules.${key}`);
    else if (entry && typeof entry === 'object')
      check((entry as { page?: unknown }).page, `escalation.rules.${key}.page`);
  }
  return out;
}

export interface RoleDef {
  id: string;
  name: string;
  /** Paged every time (after the people on call, when the role has a rotation). */
  contacts: string[];
  /** The role's PagerDuty routing key (a person's own wins); null: none. */
  pagerdutyRoutingKey?: string | null;
  /** The role's notification rules; null or absent: the Slack DM only. */
  notify?: NotifyStep[] | null;
  /** Who is on call is computed from it at the moment of a page (src/incidents/rotation.ts). */
  rotation?: Rotation;
}

/** The runbook as the bot uses it: durations in ms, roles by id. */
export interface Runbook {
  name: string;
  severities: SeverityDefs;
  escalation: {
    order: string[];
    roles: Record<string, RoleDef>;
    /** By rule name (the policy's RULES), as the file sets them. */
    rules: Readonly<Partial<Record<EscalationRule, RuleSettings>>>;
  };
  /** Common incidents and issues, in file order. */
  playbooks: Playbook[];
  access: { responders: string[]; approvers: string[] };
  /** The post-mortem checklist, in file order (empty when the file has none). */
  postmortem: { checklist: ChecklistItem[] };
  /** The Alert Thresholds table, in file order. */
  alerts: AlertRule[];
  /** Contact methods and notification rules by Slack user ID (empty when the file has none). */
  people: Readonly<Record<string, Person>>;
  /** Maintenance windows (none scheduled when the file has no `maintenance:`). */
  maintenance: Maintenance;
  /** Private incidents: `none`, the incidents channel hears nothing; `notice`, that one was declared. */
  privateIncidents: { announce: PrivateAnnounce };
}

export class RunbookError extends Error {
  /** Each problem as printed: what the file wrote in it (a name, a key) with its control and bidi characters shown. */
  readonly problems: string[];
  constructor(
    readonly file: string,
    problems: string[],
  ) {
    const shown = problems.map(visibleText);
    super(`The runbook file ${visibleText(file)} is not valid:\n${shown.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RunbookError';
    this.problems = shown;
  }
}

/**
 * Validates runbook data (already parsed from YAML); every problem names its entry as a person finds it (a list's
 * entry by its number from 1 and its name), and its line when `locate` finds it in the file.
 */
export function parseRunbook(data: unknown, file = 'runbook', locate?: (path: string[]) => Place | null): Runbook {
  const parsed = schema.safeParse(data, { error: runbookIssueMessage });
  const found = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)),
    ...referenceProblems(data),
    ...alertRuleProblems(data),
    ...notifyProblems(data),
    ...maintenanceProblems(data),
  ];
  const problems = found.map((p) => shownProblem(p, data, locate));
  if (!parsed.success || problems.length) throw new RunbookError(file, problems);
  const rb = parsed.data;
  // The maintenance checklists are playbooks (procedures run outside incidents), after the file's own.
  const maintenance = toMaintenance(rb.maintenance);
  const sev = (level: 0 | 1 | 2 | 3) => {
    const s = rb.severities[`SEV-${level}`];
    return {
      name: s.name,
      definition: s.definition,
      impact: s.impact,
      examples: s.examples,
      respondWithinMs: s.respond_within,
      statusPage: {
        impact: s.status_page?.impact ?? STATUS_PAGE_DEFAULTS[level].impact,
        publish: s.status_page?.publish ?? STATUS_PAGE_DEFAULTS[level].publish,
      },
    };
  };
  return {
    name: rb.name,
    severities: { 0: sev(0), 1: sev(1), 2: sev(2), 3: sev(3) },
    escalation: {
      order: rb.escalation.order,
      roles: Object.fromEntries(
        Object.entries(rb.escalation.roles).map(([id, r]) => [
          id,
          {
            id,
            name: r.name,
            contacts: r.contacts,
            pagerdutyRoutingKey: r.pagerduty?.routing_key ?? null,
            notify: r.notify ?? null,
            ...(r.rotation ? { rotation: r.rotation } : {}),
          },
        ]),
      ),
      rules: Object.fromEntries(
        FILE_RULES.flatMap(({ rule, key }) => (rb.escalation.rules[key] ? [[rule, rb.escalation.rules[key]]] : [])),
      ),
    },
    playbooks: [...(rb.playbooks ?? []), ...maintenance.playbooks],
    access: { responders: rb.access?.responders ?? [], approvers: rb.access?.approvers ?? [] },
    postmortem: { checklist: rb.postmortem?.checklist ?? [] },
    alerts: securityRows(toAlertRules(rb.alerts), [...(rb.playbooks ?? []), ...maintenance.playbooks]),
    people: toPeople(rb.people),
    maintenance: maintenance.maintenance,
    privateIncidents: { announce: rb.private_incidents?.announce ?? 'none' },
  };
}

/** The rows whose playbook is a security one, marked so (AlertRule.security). */
function securityRows(rows: AlertRule[], playbooks: readonly { id: string; kind?: string }[]): AlertRule[] {
  const security = new Set(playbooks.filter((p) => p.kind === 'security').map((p) => p.id));
  return rows.map((r) => (r.playbook && security.has(r.playbook) ? { ...r, security: true } : r));
}

export async function loadRunbook(file = DEFAULT_RUNBOOK_FILE): Promise<Runbook> {
  const read = await readRunbookText(file);
  if ('problem' in read) throw new RunbookError(file, [read.problem]);
  const lines = new LineCounter();
  const doc = parseDocument(read.text, { lineCounter: lines });
  let data: unknown;
  try {
    if (doc.errors[0]) throw doc.errors[0];
    data = doc.toJS();
  } catch (err) {
    throw new RunbookError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  const shape = topLevelProblem(data);
  if (shape) throw new RunbookError(file, [shape]);
  return parseRunbook(data, file, (path) => placeOf(doc, lines, path));
}

/** A file with nothing in it, or a list or a text where the runbook's sections belong: said as what to write. */
function topLevelProblem(data: unknown): string | null {
  const sections = 'name:, severities:, escalation: and the optional sections, as runbooks/atom.yml does';
  if (data === null || data === undefined)
    return `it is empty (or only comments): write the runbook in it, ${sections} (copy that file and change what differs)`;
  if (Array.isArray(data)) return `it is a list (lines starting with "- "); the file must be a mapping of ${sections}`;
  if (typeof data !== 'object')
    return `it holds only the text ${JSON.stringify(String(data)).slice(0, 80)}; the file must be a mapping of ${sections}`;
  return null;
}
