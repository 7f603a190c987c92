import { TYPED_NOTE_MAX } from '../incidents/incident-notes.js';
import type { Severity } from '../incidents/severity.js';
import type { WhenDown } from '../slack/report-error.js';

export const TITLE_MAX = 150;
export const RESOLVE_SUMMARY_MAX = 300;
const FLAG_NOTE_TOO_LONG = `Keep what you say with the flag to ${RESOLVE_SUMMARY_MAX} characters; details go in a status update.`;

/** What `/incident update TEXT` may put in the form's current status (a multiline input of at most 2,900). */
export const STATUS_UPDATE_TEXT_MAX = 2900;

/** A parsed `/incident …`: the subcommand's key in SUBCOMMANDS and its argument, named as the table says. */
export type IncidentCommand =
  | { kind: 'help' }
  | {
      kind: 'declare';
      severity: Severity;
      title: string;
      private: boolean;
      /** Typed as `/incident declare sev1 …`: a new incident, wherever it is typed (see HANDLERS.declare). */
      explicit?: true;
    }
  | { kind: 'declare_form'; title: string | null; severity?: Severity; private: boolean }
  | { kind: 'set_severity'; severity: Severity /** Typed by its name (`/incident severity sev0`). */; named?: true }
  | { kind: 'list' }
  | { kind: 'ack' }
  | { kind: 'commander'; who: string | null }
  | { kind: 'update'; summary: string | null }
  | { kind: 'mitigated'; summary: string | null }
  | { kind: 'resolve'; summary: string | null }
  | { kind: 'reopen'; summary: string | null }
  | { kind: 'rename'; title: string }
  | { kind: 'status' }
  | { kind: 'timeline'; text: string | null }
  | { kind: 'note'; text: string | null }
  | { kind: 'alerts'; text: string | null }
  | { kind: 'audit' }
  | { kind: 'impact'; summary: string | null }
  | { kind: 'data_loss'; summary: string | null }
  | { kind: 'escalate'; name: string | null }
  | { kind: 'playbook'; name: string | null }
  | { kind: 'detach'; name: string | null }
  | { kind: 'run'; name: string | null }
  | { kind: 'rollback'; version: string | null }
  | { kind: 'deployments' }
  | { kind: 'postmortem' }
  | { kind: 'action'; item: string | null }
  | { kind: 'actions' }
  | { kind: 'oncall'; args: string | null }
  | { kind: 'public' }
  | { kind: 'maintenance'; what: string | null };

export type SubcommandKind = IncidentCommand['kind'];

export interface SubcommandSpec {
  /** The words that choose it: its name first, then aliases. Empty for the forms that start with a severity. */
  names: readonly string[];
  /**
   * `none`: nothing may follow. `text`: free text may follow, kept as `text.field` (ignored without `text`).
   * `severity`: the form starts with a severity (`sev1`) instead of a name; with `text`, a text must follow it.
   */
  args: 'none' | 'text' | 'severity';
  text?: {
    field: 'title' | 'summary' | 'name' | 'item' | 'args' | 'what' | 'version' | 'who' | 'text';
    max?: number;
    tooLong?: (length: number) => string;
    /** When set, the text is required: said when it is missing, or shows nothing. */
    required?: string;
  };
  /** Flags that may come before the text (`--private`), each a boolean field of the command, false when absent. */
  flags?: readonly string[];
  /**
   * A severity may come first: followed by a text, the whole is read as the declaration (`declare sev1 db down` is
   * `sev1 db down`); alone, it is kept as the command's `severity`.
   */
  severityFirst?: true;
  /** Shown under "Declare an incident" in the help, with the forms that start with a severity. */
  declares?: true;
  /**
   * It only opens a form (no database): it runs at once, outside the gates, for a form must open within the
   * trigger's 3 s.
   */
  opensForm?: true;
  /** Where it works. The last: anywhere as it is, only in an incident channel with its text. */
  where: 'anywhere' | 'incident channel' | 'anywhere / incident channel';
  /** Its line in `/incident help`: the form in backticks, then what it does. */
  usage: string;
  /**
   * Said with the usage outside an incident channel, instead of "works inside an incident channel" (which is said
   * when it gives nothing).
   */
  elsewhere?: (cmd: IncidentCommand) => string | undefined;
  /**
   * Typed in the bot's direct messages (where pages come) instead of an incident channel, it is for the open incident
   * that paged the person: the one, or the one whose page to them is unanswered; several are listed to choose from.
   */
  fromPage?: true;
  /** Its work takes the heavy gate (few at once, held back while the process is busy) instead of the light one. */
  heavy?: true;
  /**
   * For a subcommand that takes nothing (`args: 'none'`): what to say when a text follows it, given that text, where
   * people type it meaning another subcommand (`/incident status investigating: …` meant as a status update, `status 12` meant
   * for incident #12); undefined: the default, that it takes nothing after it.
   */
  afterIt?: (text: string) => string | undefined;
  /**
   * What it asks, for the words said when the database cannot be reached (default: a change; see WhenDown), or how
   * to tell from the command (a severity pages only when raised to SEV-0).
   */
  whenDown?: WhenDown | ((cmd: IncidentCommand) => WhenDown);
}

/** What `/incident timeline` takes after it. */
export const TIMELINE_FORMS =
  '`/incident timeline` shows the latest events (all of them when they fit one message); `/incident timeline from 1` shows them from the first, `from 201` from the 201st.';

/**
 * `/incident status 12` (or `#12`, `inc-12`): an incident named by its number, which a subcommand of its channel does
 * not take. Where to type it instead; undefined for any other text.
 */
export function numberOfAnIncident(text: string, name: string): string | undefined {
  const n = /^(?:#|inc-?)?(\d{1,9})$/i.exec(text.trim())?.[1];
  if (!n) return undefined;
  return `\`/incident ${name}\` takes no number: it is about the incident whose channel it is typed in. Type it in incident #${Number(n)}'s channel (\`/incident list\` links each open incident's).`;
}

/**
 * Every subcommand of `/incident`, in the order of the help. The parser, the help text, the "works only in an incident
 * channel" check, the manifest's usage hint and the README's table are derived from (or checked against) this table;
 * what each does is in incident.command.ts, under the same keys.
 */
export const SUBCOMMANDS = {
  declare: {
    names: [],
    args: 'severity',
    text: {
      field: 'title',
      max: TITLE_MAX,
      tooLong: (n) =>
        `The title is ${n} characters long; keep it to ${TITLE_MAX} or fewer (details go in status updates).`,
    },
    flags: ['private'],
    where: 'anywhere',
    heavy: true,
    whenDown: 'declare',
    usage: `\`/incident sev1 db down\` — severity \`sev0\`..\`sev3\` (SEV-0 most severe), then a title of up to ${TITLE_MAX} characters; \`/incident sev1 --private suspicious logins\` (or a security title) declares a private incident.`,
  },
  declare_form: {
    names: ['declare', 'new', 'start', 'open', 'create', 'raise', 'trigger'],
    args: 'text',
    text: {
      field: 'title',
      max: TITLE_MAX,
      tooLong: (n) => `The title is ${n} characters long; keep it to ${TITLE_MAX} or fewer.`,
    },
    flags: ['private'],
    severityFirst: true,
    declares: true,
    opensForm: true,
    whenDown: 'declare',
    where: 'anywhere',
    usage:
      '`/incident declare [title]` — the declare form (severity, title, description), with what you typed as its title (`new`, `start`, `open`, `create`, `raise` and `trigger` too; `--private` ticks Private); `/incident declare sev1 db down` declares at once',
  },
  list: {
    names: ['list', 'ls'],
    args: 'none',
    where: 'anywhere',
    whenDown: 'read',
    usage: '`/incident list` — open incidents',
    afterIt: (text) => {
      if (/^(resolved|closed|recent|history|past|old|all)$/i.test(text.trim()))
        return "`/incident list` shows the open incidents and takes nothing after it. Those resolved in the last 7 days are on the bot's Home tab (the bot's name in Slack, then Home); each one's channel keeps its `/incident timeline`.";
      if (/^(mine|me|my)$/i.test(text.trim()))
        return "`/incident list` shows the open incidents and takes nothing after it. Yours (declared, commanded, paged or worked on) come first on the bot's Home tab (the bot's name in Slack, then Home).";
      return undefined;
    },
  },
  help: { names: ['help'], args: 'text', where: 'anywhere', usage: '`/incident help` — this message' },
  set_severity: {
    // `/incident sev0` is the form; `/incident severity sev0` (as other incident tools spell it) is read the same.
    names: ['severity'],
    args: 'severity',
    where: 'incident channel',
    whenDown: (cmd) => (cmd.kind === 'set_severity' && cmd.severity === 0 ? 'page' : 'change'),
    usage: '`/incident sev0` — change the severity (`/incident severity sev0` too)',
    // `/incident sev0` alone outside an incident channel was most likely a declaration without its title;
    // `/incident severity sev0` was not.
    elsewhere: (cmd) => {
      if (cmd.kind === 'set_severity' && cmd.named) return undefined;
      const sev = cmd.kind === 'set_severity' ? cmd.severity : 1;
      return `To declare an incident, add a title after the severity, e.g. \`/incident sev${sev} db down\`. (\`/incident sev${sev}\` alone changes the severity inside an incident channel.)`;
    },
  },
  ack: {
    names: ['ack', 'acknowledge'],
    args: 'none',
    where: 'incident channel',
    fromPage: true,
    whenDown: 'ack',
    usage:
      "`/incident ack` — acknowledge and become commander (in the bot's direct messages: the incident that paged you)",
  },
  commander: {
    names: ['commander', 'lead', 'ic', 'handover', 'hand-over'],
    args: 'text',
    text: {
      field: 'who',
      max: 100,
      tooLong: () => 'Name one person after it, e.g. `/incident commander @alice`.',
      required: 'Name the new commander after it, e.g. `/incident commander @alice`.',
    },
    where: 'incident channel',
    usage:
      '`/incident commander @person` — hand command to someone (`lead` too): announced and recorded; they are invited to the channel and told in a direct message',
  },
  update: {
    names: ['update'],
    args: 'text',
    text: {
      field: 'summary',
      max: STATUS_UPDATE_TEXT_MAX,
      tooLong: (n) => `That is ${n} characters; the form's current status takes ${STATUS_UPDATE_TEXT_MAX}.`,
    },
    where: 'incident channel',
    fromPage: true,
    whenDown: 'update',
    usage:
      '`/incident update [text]` — post a status update (the runbook communication template); the form opens with what you typed (a first word `mitigated` chooses that status)',
  },
  mitigated: {
    names: ['mitigated', 'mitigate'],
    args: 'text',
    text: {
      field: 'summary',
      max: RESOLVE_SUMMARY_MAX,
      tooLong: () => `Keep how it was mitigated to ${RESOLVE_SUMMARY_MAX} characters; details go in a status update.`,
    },
    where: 'incident channel',
    whenDown: 'update',
    usage:
      '`/incident mitigated [how]` — mark mitigated, saying how if you like (`/incident mitigated rolled back to v57`)',
  },
  resolve: {
    names: ['resolve', 'resolved', 'close', 'closed'],
    args: 'text',
    text: {
      field: 'summary',
      max: RESOLVE_SUMMARY_MAX,
      tooLong: () => `Keep the resolve summary to ${RESOLVE_SUMMARY_MAX} characters; details go in the post-mortem.`,
    },
    where: 'incident channel',
    whenDown: 'update',
    usage: '`/incident resolve [summary]` — resolve with a one-line summary',
  },
  reopen: {
    names: ['reopen', 're-open', 'unresolve'],
    args: 'text',
    text: {
      field: 'summary',
      max: RESOLVE_SUMMARY_MAX,
      tooLong: () => `Keep why it is reopened to ${RESOLVE_SUMMARY_MAX} characters; details go in a status update.`,
    },
    where: 'incident channel',
    whenDown: 'update',
    usage:
      '`/incident reopen [why]` — work on a resolved incident again (back to Investigating; escalation counts from now)',
  },
  rename: {
    names: ['rename', 'retitle'],
    args: 'text',
    text: {
      field: 'title',
      max: TITLE_MAX,
      tooLong: (n) => `The new title is ${n} characters long; keep it to ${TITLE_MAX} or fewer.`,
      required: 'Write the new title after it, e.g. `/incident rename primary db out of connections`.',
    },
    where: 'incident channel',
    usage:
      '`/incident rename TITLE` — change the title (the card, the topic and the timeline follow; the channel keeps its name)',
  },
  impact: {
    names: ['impact', 'customer-impact'],
    args: 'text',
    text: { field: 'summary', max: RESOLVE_SUMMARY_MAX, tooLong: () => FLAG_NOTE_TOO_LONG },
    where: 'incident channel',
    whenDown: 'page',
    usage: '`/incident impact [what]` — flag customer impact, saying what if you like (pages the engineering manager)',
  },
  data_loss: {
    names: ['data-loss', 'dataloss'],
    args: 'text',
    text: { field: 'summary', max: RESOLVE_SUMMARY_MAX, tooLong: () => FLAG_NOTE_TOO_LONG },
    where: 'incident channel',
    whenDown: 'page',
    usage:
      '`/incident data-loss [what]` — flag a data-loss risk, saying what if you like (pages senior DevOps, the CTO and the database team)',
  },
  escalate: {
    names: ['escalate', 'page'],
    args: 'text',
    text: { field: 'name', max: 200 },
    where: 'incident channel',
    whenDown: 'page',
    usage:
      '`/incident escalate [role or @person]` — page the next role in the contact order now; with a role of the runbook (`/incident escalate cto`, `page database team`), that role; with a person (`/incident page @dana`), them',
  },
  playbook: {
    names: ['playbook', 'playbooks', 'attach'],
    args: 'text',
    text: { field: 'name' },
    where: 'anywhere / incident channel',
    usage:
      '`/incident playbook [name]` — list the playbooks, or attach one (a checklist: Done, Skip, Run; `attach [name]` too)',
  },
  run: {
    names: ['run'],
    args: 'text',
    text: { field: 'name' },
    where: 'anywhere',
    usage:
      '`/incident run [playbook]` — start a playbook the runbook uses outside incidents (a deployment, a backup check) in a thread here',
  },
  detach: {
    names: ['detach'],
    args: 'text',
    text: { field: 'name' },
    where: 'incident channel',
    usage: '`/incident detach [playbook]` — detach a playbook from the incident (its message keeps what was done)',
  },
  rollback: {
    names: ['rollback'],
    args: 'text',
    text: {
      field: 'version',
      max: 100,
      tooLong: () => 'That is not a version: name one as `atom-cli deployments` lists it, e.g. `v57`.',
    },
    where: 'incident channel',
    usage:
      '`/incident rollback [version]` — list recent deployments with a one-click roll back (also the Roll back button); with a version (`v57`, `previous`), its button to press',
  },
  deployments: {
    names: ['deployments', 'deploys'],
    args: 'none',
    where: 'incident channel',
    usage:
      '`/incident deployments` — list recent deployments (`atom-cli deployments`), each with its Roll back button, as `/incident rollback` does',
  },
  status: {
    names: ['status'],
    args: 'none',
    where: 'incident channel',
    fromPage: true,
    whenDown: 'read',
    usage:
      "`/incident status` — show the incident card (only to you; in the bot's direct messages: the incident that paged you)",
    afterIt: (text) =>
      numberOfAnIncident(text, 'status') ??
      `\`/incident status\` shows the incident card and takes nothing after it. To post a status update, use \`/incident update\`: \`/incident update ${text}\` opens the form with what you typed.`,
  },
  timeline: {
    names: ['timeline'],
    args: 'text',
    text: {
      field: 'text',
      max: 40,
      tooLong: () => TIMELINE_FORMS,
    },
    where: 'incident channel',
    fromPage: true,
    whenDown: 'read',
    usage:
      '`/incident timeline [from N]` — everything that happened, in order; a timeline too long for one message shows its latest events, and `from 1` shows it from the first, a page at a time',
  },
  note: {
    names: ['note', 'log'],
    args: 'text',
    text: {
      field: 'text',
      max: TYPED_NOTE_MAX,
      tooLong: (n) => `The note is ${n} characters long; keep it to ${TYPED_NOTE_MAX} or fewer.`,
      required: 'Write the note after it, e.g. `/incident note EU customers report timeouts since 02:10`.',
    },
    where: 'incident channel',
    usage:
      '`/incident note TEXT` — put a note on the timeline (posted in the channel; the post-mortem keeps it), resolved incidents too',
  },
  alerts: {
    names: ['alerts'],
    args: 'text',
    text: {
      field: 'text',
      max: 200,
      tooLong: () => 'Narrow the alerts with a few words (a host, an alert name): 200 characters at most.',
    },
    where: 'anywhere',
    whenDown: 'read',
    usage:
      '`/incident alerts [words] [from N]` — in an incident channel, its monitoring alerts (state, first and last seen, count); elsewhere, every alert firing now, most severe first, and where each is. Words keep only the alerts holding each (`/incident alerts node-12`, `/incident alerts resolved`); `from 201` shows a long list from its 201st',
  },
  audit: {
    names: ['audit'],
    args: 'none',
    where: 'incident channel',
    whenDown: 'read',
    usage: '`/incident audit` — who did what and what was refused, only to you (approvers only)',
  },
  postmortem: {
    names: ['postmortem', 'post-mortem', 'pm'],
    args: 'none',
    where: 'incident channel',
    usage:
      "`/incident postmortem` — write the post-mortem of a resolved incident (also the card's Write post-mortem button)",
  },
  action: {
    names: ['action', 'action-item'],
    args: 'text',
    text: { field: 'item' },
    where: 'incident channel',
    usage:
      '`/incident action TEXT [@owner] [due]` — add an action item (due: YYYY-MM-DD, 3d, tomorrow, by friday or by friday 5pm UTC); its owner gets a direct message',
  },
  actions: {
    names: ['actions', 'action-items'],
    args: 'none',
    where: 'anywhere',
    whenDown: 'read',
    usage: '`/incident actions` — open action items across incidents, yours first, each with a Done button',
  },
  oncall: {
    names: ['oncall', 'on-call', 'who', "who's", 'whos'],
    args: 'text',
    text: { field: 'args', max: 300 },
    where: 'anywhere',
    usage:
      '`/incident oncall [@person]` — who is on call for each role, until when and who is next (later: `oncall tomorrow 09:00`, `oncall friday`, `oncall in 8h`); with a person, their shifts in the next 14 days (`oncall @person tomorrow`: from then). `oncall override @person [role] 2h` (or `until 18:00`, `from 20:00 until 23:00`) takes a shift; `oncall swap @a @b [role] 2h` trades two; `oncall overrides` lists those now and to come, numbered, and `oncall cancel N` cancels one',
  },
  maintenance: {
    names: ['maintenance', 'maint'],
    args: 'text',
    text: { field: 'what', max: 120 },
    where: 'anywhere',
    usage:
      '`/incident maintenance schedule, start [window], end` — the next maintenance windows; open one now (a window of the runbook, or a title), or close it',
  },
  public: {
    names: ['public'],
    args: 'none',
    where: 'incident channel',
    usage:
      '`/incident public` — make a private incident public (announced and listed; asks to confirm; cannot be undone)',
  },
} as const satisfies Record<SubcommandKind, SubcommandSpec>;

export type Subcommands = typeof SUBCOMMANDS;

/** The rows in table order, typed as specs. */
export const SUBCOMMAND_ROWS = Object.entries(SUBCOMMANDS) as [SubcommandKind, SubcommandSpec][];

/** What a usage line shows a person typing after `/incident` (`resolve [summary]`, `sev1 db down`). */
export function usageForm(spec: Pick<SubcommandSpec, 'usage'>): string {
  const m = /^`\/incident ?([^`]*)`/.exec(spec.usage);
  if (!m) throw new Error(`usage line without its form in backticks: ${spec.usage}`);
  return m[1]!;
}

/** Whether this command, as typed, needs the incident of the channel it was typed in. */
export function needsIncident(cmd: IncidentCommand): boolean {
  const { where, text } = SUBCOMMANDS[cmd.kind] as SubcommandSpec;
  if (where === 'anywhere') return false;
  if (where === 'incident channel') return true;
  return text !== undefined && (cmd as Record<string, unknown>)[text.field] != null;
}

const lines = (keep: (spec: SubcommandSpec) => boolean) =>
  SUBCOMMAND_ROWS.filter(([, spec]) => keep(spec)).map(([, spec]) => spec.usage);

const declares = (spec: SubcommandSpec) => (spec.args === 'severity' && spec.text !== undefined) || !!spec.declares;

/** The usage, from the subcommand table: declaring first, then what works anywhere, then inside an incident channel. */
export const USAGE = [
  '*Declare an incident*',
  ...lines(declares),
  '',
  '*Anywhere*',
  ...lines((s) => !declares(s) && s.where === 'anywhere'),
  '',
  '*Inside an incident channel*',
  ...lines((s) => !declares(s) && s.where !== 'anywhere'),
  '',
  '*On a message* (its ⋯ menu, More message shortcuts)',
  '*Declare incident* — the declare form, with the message as its title and description',
  "*Add to incident timeline* — in an incident channel, put the message on the incident's timeline at the time it was said",
].join('\n');
