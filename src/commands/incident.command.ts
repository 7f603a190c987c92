import type { WebClient } from '@slack/web-api';
import { noteIncident, noteOutcome } from '../audit/request-context.js';
import { INCIDENT_AUDIT_MAX } from '../incidents/audit.service.js';
import { AlreadyDoneError, DomainError, NotAnIncidentChannelError } from '../incidents/errors.js';
import type { EscalateResult } from '../incidents/escalation.service.js';
import { type BoardMoment, PERSON_DAYS, startAndEnd } from '../incidents/oncall.service.js';
import { mustTakeUpdates } from '../incidents/refusal-phrases.js';
import { WEEKDAYS } from '../incidents/rotation.js';
import { severityNames } from '../incidents/severity.js';
import { publishesByDefault } from '../incidents/status-page.js';
import type { Incident, PagedIncident } from '../incidents/types.js';
import type { ListenerDeps } from '../slack/deps.js';
import { ephemeralElseDirect } from '../slack/direct-tell.js';
import { downWords } from '../slack/down-words.js';
import { afterAck, replyTo, type Tell, type WorkResult } from '../slack/handle.js';
import { incidentInChannel } from '../slack/incident-in-channel.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { within, ZONE_WAIT_MS } from '../slack/report-error.js';
import { BUSY_TEXT } from '../slack/work-gate.js';
import { renderActionItemList, renderItemsAdded } from '../templates/action-items.js';
import { renderAlertList, renderFiringAlerts } from '../templates/alert-lists.js';
import { renderIncidentAudit } from '../templates/audit.js';
import { renderRunnableList, renderRunStarted } from '../templates/checklist.js';
import {
  renderAcknowledgedElsewhere,
  renderCommandHeld,
  renderPageAcknowledged,
  renderPagedChoice,
  renderWhichIncident,
  withLead,
} from '../templates/commander.js';
import { renderDeclareHere } from '../templates/declare-here.js';
import { declareModal } from '../templates/declare-modal.js';
import { renderAlreadyEscalated, renderEscalationReply } from '../templates/escalation.js';
import { renderHelp, renderMistake, renderNotUnderstood } from '../templates/help.js';
import { renderIncidentCard } from '../templates/incident-card.js';
import { renderIncidentList } from '../templates/incident-list.js';
import { resolveModal, statusUpdateMetadata, statusUpdateModal } from '../templates/modals.js';
import { renderAlreadyDeclared, renderDeclaredReply } from '../templates/notices.js';
import {
  renderOnCallBoard,
  renderOverrideCancelled,
  renderOverrideConfirm,
  renderOverrideList,
  renderOverrideRecorded,
  renderPersonShifts,
} from '../templates/oncall.js';
import { declareMetadata, modalMetadata } from '../templates/payloads.js';
import { renderAttachedList, renderPlaybookList } from '../templates/playbook.js';
import { postmortemModal } from '../templates/postmortem-modal.js';
import { renderMakePublicOffer } from '../templates/private-incidents.js';
import { boldName } from '../templates/text.js';
import { renderTimeline } from '../templates/timeline.js';
import { maintenanceCommand } from './maintenance.command.js';
import { parseActionItem } from './parse-action-item.js';
import { parseAlertQuery } from './parse-alert-query.js';
import { parseIncidentCommand, statusUpdatePrefill } from './parse-incident-command.js';
import { type OnCallCommand, type OnCallWordKind, parseOnCall } from './parse-oncall.js';
import { parsePerson } from './parse-person.js';
import { parseTimelineFrom } from './parse-timeline.js';
import {
  type IncidentCommand,
  needsIncident,
  SUBCOMMANDS,
  type SubcommandKind,
  type SubcommandSpec,
  type Subcommands,
  TITLE_MAX,
  USAGE,
} from './subcommands.js';

export const INCIDENT_COMMAND = '/incident';

/** At most this many alerts are read for `/incident alerts` in an incident channel, and of those firing elsewhere. */
const ALERT_LIST_MAX = 200;
const FIRING_LIST_MAX = 100;

const ROLL_BACK = /^\s*roll[\s-]?back\s*$/i;
const ROLL_BACK_HINT =
  "To roll back a deployment, use `/incident rollback` (or the card's *Roll back* button): it lists the recent versions with one-click buttons. Nothing was attached. Playbooks about rollback:";

export interface Ctx {
  deps: ListenerDeps;
  client: WebClient;
  tell: Tell;
  teamId: string;
  userId: string;
  /** Where it was typed. */
  channelId: string;
  triggerId: string;
  /** The trigger_id is unique per command; a Slack retry carries it again and changes nothing twice. */
  key: string;
  /** The bot's own user id, when Bolt knows it (a person typing the bot's name means another person). */
  botUserId?: string;
}

type CommandOf<K extends SubcommandKind> = Extract<IncidentCommand, { kind: K }>;
/** What a handler gets as the channel's incident: by the table's `where`. */
type IncidentFor<K extends SubcommandKind> = {
  anywhere: null;
  'incident channel': Incident;
  'anywhere / incident channel': Incident | null;
}[Subcommands[K]['where']];

/** What each subcommand does, under its key in SUBCOMMANDS. `help` is answered in the ack. */
const HANDLERS: {
  [K in Exclude<SubcommandKind, 'help'>]: (cmd: CommandOf<K>, c: Ctx, incident: IncidentFor<K>) => WorkResult;
} = {
  async declare(cmd, c) {
    // `/incident sev0 everything is down` in an incident's channel is most likely about that incident: asked, with a
    // button for each, rather than a second incident paging everyone again. `/incident declare sev0 …` is not.
    if (!cmd.explicit) {
      const here = await c.deps.incidents.findByChannel(c.channelId);
      if (here) {
        noteIncident(here.id);
        noteOutcome('answered', 'typed a declaration in an incident channel: asked whether it is this incident');
        await c.tell(renderDeclareHere(here, cmd));
        return null;
      }
    }
    const r = await c.deps.limits.declaring(
      c.userId,
      () =>
        c.deps.incidents.declare({
          teamId: c.teamId,
          reporterId: c.userId,
          title: cmd.title,
          severity: cmd.severity,
          requestKey: c.triggerId,
          private: cmd.private,
        }),
      (r) => r.kind === 'declared',
      () => c.deps.incidents.repeatOf({ teamId: c.teamId, reporterId: c.userId, title: cmd.title }),
    );
    if (r.kind === 'retry') return null;
    noteIncident(r.incident.id);
    if (r.kind === 'existing') {
      await c.tell(renderAlreadyDeclared(r.incident, cmd.severity));
      return r;
    }
    // Its warnings are in the reply, said once.
    await c.tell(renderDeclaredReply(r.incident, r.problems, r.privateWhy));
    return null;
  },
  async declare_form(cmd, c) {
    const prefill =
      cmd.title || cmd.severity !== undefined || cmd.private
        ? { title: cmd.title ?? '', severity: cmd.severity, private: cmd.private }
        : undefined;
    const meta = declareMetadata.encode({ from: 'command', channelId: c.channelId });
    await openModal(c.client, c.triggerId, declareModal(c.deps.severities, meta, TITLE_MAX, prefill));
  },
  async list(_cmd, c) {
    const open = await c.deps.incidents.listOpen(c.teamId, c.userId);
    await c.tell(renderIncidentList(open.incidents, new Date(), open.total));
  },
  set_severity: (cmd, c, i) => c.deps.incidents.changeSeverity(i.id, c.userId, cmd.severity, c.key),
  async ack(_cmd, c, i) {
    const r = await c.deps.incidents.acknowledge(i.id, c.userId, c.key);
    // Typed outside its channel (where the page came): which incident it was, said first.
    const which = c.channelId === i.channelId ? '' : `${renderWhichIncident(i)}\n`;
    if (r?.kind === 'commanded') await c.tell(withLead(which, renderCommandHeld(r)));
    if (r?.kind === 'page_acknowledged') await c.tell(which + renderPageAcknowledged(r));
    if (r?.kind === 'changed' && which) await c.tell(renderAcknowledgedElsewhere(i));
    return r;
  },
  async commander(cmd, c, i) {
    // `@bob.`, `bob`: a name typed without its @ or with the sentence's stop is still that name.
    const typed = (cmd.who ?? '').trim();
    const who = /\s/.test(typed) ? null : parsePerson(typed, 'an incident has one commander', { loose: true });
    // Refusals are DomainErrors: told as the others are, and audited as refused.
    if (typeof who === 'string' || !who) {
      throw new DomainError(
        'not_one_person',
        `${who ?? '`/incident commander` takes one person: name them, e.g. `/incident commander @alice`.'} (\`/incident ack\` or the card's *Take command* makes it you.)`,
      );
    }
    // People typed as @name are looked up as action item owners are.
    const toId = await c.deps.actionItems.resolveOwner(who, 'person');
    if (toId === c.botUserId)
      throw new DomainError(
        'not_a_person',
        'The bot cannot command an incident: name a person, e.g. `/incident commander @alice`.',
      );
    return c.deps.incidents.handOver(i.id, c.userId, toId, c.key);
  },
  async update(cmd, c, i) {
    mustTakeUpdates(i);
    const publish = publishesByDefault(i.severity, c.deps.severities);
    const prefill = statusUpdatePrefill(cmd.summary);
    // The writer's clock, said under Next update (Slack shows and reads the picker on it); briefly, the form waits.
    const [firing, zone] = await Promise.all([
      c.deps.alerts.firingOf(i.id),
      within(c.deps.notes.timeZoneOf(c.userId), ZONE_WAIT_MS, null),
    ]);
    const now = new Date();
    const meta = statusUpdateMetadata(i, i.channelId!, now, firing);
    await openModal(c.client, c.triggerId, statusUpdateModal(i, meta, now, publish, prefill, firing, zone));
  },
  mitigated: (cmd, c, i) => c.deps.incidents.markMitigated(i.id, c.userId, c.key, cmd.summary),
  async resolve(cmd, c, i) {
    if (cmd.summary) return c.deps.incidents.resolve(i.id, c.userId, cmd.summary, c.key);
    if (i.status === 'resolved') throw new AlreadyDoneError('This incident is already resolved.');
    const firing = await c.deps.alerts.firingOf(i.id);
    const meta = modalMetadata.encode({ incidentId: i.id, channelId: i.channelId!, firing });
    await openModal(c.client, c.triggerId, resolveModal(i, meta, firing));
    return null;
  },
  reopen: (cmd, c, i) => c.deps.incidents.reopen(i.id, c.userId, cmd.summary, c.key),
  rename: (cmd, c, i) => c.deps.incidents.rename(i.id, c.userId, cmd.title, c.key),
  impact: (cmd, c, i) => c.deps.incidents.setFlag(i.id, c.userId, 'customer_impact', c.key, cmd.summary),
  data_loss: (cmd, c, i) => c.deps.incidents.setFlag(i.id, c.userId, 'data_loss_risk', c.key, cmd.summary),
  async escalate(cmd, c, i) {
    // `/incident page @dana`: that person, by name. A role typed as a handle (`@database-team`) stays the role.
    // `/incident page @dana @bob`: each, once every one named is known (nobody is paged when one is not).
    // Listed as people write lists: `@dana, @bob`, `@dana and @bob.`
    const handles = (cmd.name ?? '')
      .trim()
      .split(/[\s,;]+/)
      .map((h) => h.replace(/[.:!?]+$/, ''))
      .filter((h) => h && !/^(?:and|&|\+)$/i.test(h));
    const onlyHandles = handles.length > 0 && handles.every((h) => /^(?:@|<[@!])/.test(h));
    const several = onlyHandles && handles.length > 1;
    if (several && handles.length > MAX_PAGED_AT_ONCE) {
      throw new DomainError(
        'too_many_to_page',
        `Page at most ${MAX_PAGED_AT_ONCE} people or roles at once; nobody was paged. For a whole team, name its role (\`/incident page database team\`).`,
      );
    }
    const targets = several ? await Promise.all(handles.map((h) => pageTarget(h, c, { known: true }))) : null;
    let last: EscalateResult | null = null;
    // One handle: as typed, but for the list's punctuation (`@dana,`); a role's name keeps its spaces.
    const one = onlyHandles ? handles[0]! : cmd.name;
    for (const [n, target] of (targets ?? [one ? await pageTarget(one, c) : {}]).entries()) {
      const r = await c.deps.incidents.escalateNow(i.id, c.userId, {
        requestKey: targets ? `${c.key}:${n}` : c.key,
        ...target,
      });
      if (r) await c.tell(r.kind === 'paging' ? renderEscalationReply(r) : renderAlreadyEscalated(r, new Date()));
      last = r ?? last;
    }
    return last;
  },
  async playbook(cmd, c, i) {
    const { playbooks } = c.deps;
    // Without a name (anywhere): the list. With one (in an incident channel): attach it.
    if (!cmd.name || !i) {
      await c.tell(renderPlaybookList(playbooks.list()));
      return;
    }
    const matches = playbooks.matching(cmd.name);
    const named = cmd.name.trim().toLowerCase();
    // "rollback" means a deployment rollback to most people: that is /incident rollback, never a playbook by chance.
    if (ROLL_BACK.test(named) && !matches.some((p) => p.id === named || p.title.toLowerCase() === named)) {
      await c.tell(renderPlaybookList(matches, ROLL_BACK_HINT));
      return;
    }
    if (matches.length !== 1) {
      await c.tell(
        renderPlaybookList(matches.length ? matches : playbooks.list(), fitsNotOne(cmd.name, matches.length)),
      );
      return;
    }
    const found = matches[0]!;
    const r = await playbooks.attach(i.id, found.id, c.userId);
    if (r.already) throw new AlreadyDoneError([{ name: found.title }, ' is already attached to this incident.']);
  },
  async detach(cmd, c, i) {
    // Only what is attached can be detached: the answers name those, not the runbook's every playbook.
    const { playbooks } = c.deps;
    const attached = await playbooks.attachedTo(i.id);
    const list = async (problem?: string, shown = attached) => {
      await c.tell(renderAttachedList(shown, problem).text);
    };
    if (!cmd.name) {
      await list(attached.length ? 'Name the playbook to detach.' : undefined);
      return;
    }
    const named = playbooks.matching(cmd.name);
    const matches = named.filter((p) => attached.some((a) => a.id === p.id));
    // One playbook of the runbook, not attached now: the service says whether it was detached already, and by whom.
    const found = matches.length === 1 ? matches[0]! : matches.length === 0 && named.length === 1 ? named[0]! : null;
    if (!found) {
      await (matches.length > 1
        ? list(`\`${cmd.name}\` fits ${matches.length} attached playbooks; name one by its id.`, matches)
        : list(attached.length ? `No attached playbook is called \`${cmd.name}\`.` : undefined));
      return;
    }
    try {
      await playbooks.detach(i.id, found.id, c.userId);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'not_attached')) throw err;
      await list(`${boldName(found.title, 100)} is not attached to this incident.`);
      return;
    }
    await c.tell(
      `:information_source: Detached ${boldName(found.title, 100)}: its message keeps what was done, without buttons. \`/incident playbook ${found.id}\` attaches it again, where it was left.`,
    );
  },
  async run(cmd, c) {
    const { runs, playbooks } = c.deps;
    if (!cmd.name) {
      await c.tell(renderRunnableList(runs.runnable()));
      return;
    }
    const matches = playbooks.matching(cmd.name);
    // In an incident channel a playbook is the incident's: it is attached there, with the same checklist.
    const incident = await c.deps.incidents.findByChannel(c.channelId);
    // A name that fits several: in an incident channel, any playbook; elsewhere those run outside incidents count (one
    // of them alone is the one meant), and those are listed.
    const runnable = runs.runnable();
    const fitting =
      incident || matches.length < 2 ? matches : runnable.filter((p) => matches.some((m) => m.id === p.id));
    if (fitting.length !== 1) {
      const problem = fitsNotOne(cmd.name, fitting.length);
      await c.tell(
        incident
          ? renderPlaybookList(fitting.length ? fitting : playbooks.list(), problem)
          : renderRunnableList(fitting.length ? fitting : runnable, problem),
      );
      return;
    }
    const found = fitting[0]!;
    if (incident) {
      noteIncident(incident.id);
      const r = await playbooks.attach(incident.id, found.id, c.userId);
      if (r.already) throw new AlreadyDoneError([{ name: found.title }, ' is already attached to this incident.']);
      await c.tell(
        `:information_source: In an incident channel a playbook belongs to the incident: ${boldName(found.title, 100)} is attached here.`,
      );
      return;
    }
    const r = await runs.start({
      teamId: c.teamId,
      playbook: found,
      typedIn: c.channelId,
      userId: c.userId,
      requestKey: c.key,
    });
    await c.tell(renderRunStarted(found, r.run, r.kind === 'started' ? r.link : null, r.kind === 'already'));
  },
  async rollback(cmd, c, i) {
    await c.deps.rollback.showDeployments(i.id, c.userId, cmd.version);
  },
  // The same list as `/incident rollback`, under the name people look for it by: one list, one rule for its buttons.
  async deployments(_cmd, c, i) {
    await c.deps.rollback.showDeployments(i.id, c.userId);
  },
  async status(_cmd, c, i) {
    // As its channel's card shows it: who was paged and who is next, its alerts, its recovery objectives.
    const p = await c.deps.incidents.cardParts(i);
    await c.tell(
      renderIncidentCard(i, new Date(), c.deps.severities, p.escalation, p.alerts, p.objectives, p.followUp),
    );
  },
  async timeline(cmd, c, i) {
    const asked = parseTimelineFrom(cmd.text);
    if (!asked.ok) {
      await c.tell(`:warning: ${asked.error}`);
      return;
    }
    await c.tell(renderTimeline(i, await c.deps.incidents.timeline(i.id), c.deps.names, asked.from));
  },
  // Posted in the channel, which is the answer; what could not be posted is told as a warning.
  note: (cmd, c, i) => c.deps.notes.note(i, c.userId, cmd.text ?? '', c.key),
  async alerts(cmd, c) {
    const asked = parseAlertQuery(cmd.text);
    if (!asked.ok) {
      await c.tell(`:warning: ${asked.error}`);
      return;
    }
    // In an incident channel, that incident's alerts; anywhere else, what is firing now.
    const i = await c.deps.incidents.findByChannel(c.channelId);
    if (i) {
      noteIncident(i.id);
      await c.tell(renderAlertList(i, await c.deps.alerts.ofIncident(i.id, ALERT_LIST_MAX, asked.query)));
      return;
    }
    await c.tell(renderFiringAlerts(await c.deps.alerts.firingNow(c.userId, FIRING_LIST_MAX, asked.query), new Date()));
  },
  async audit(_cmd, c, i) {
    await c.tell(renderIncidentAudit(i, await c.deps.audit.forIncident(i.id, c.userId), INCIDENT_AUDIT_MAX));
  },
  async postmortem(_cmd, c, i) {
    const form = await c.deps.postmortems.form(i.id);
    await openModal(c.client, c.triggerId, postmortemModal(form, formMetadata(i, form.seen)));
  },
  async action(cmd, c, i) {
    const parsed = parseActionItem(cmd.item ?? '', new Date());
    if (!parsed.ok) {
      await c.tell(`:warning: ${parsed.error}`);
      return;
    }
    const { text, owner, dueAt } = parsed.item;
    const ownerId = owner ? await c.deps.actionItems.resolveOwner(owner) : null;
    const r = await c.deps.actionItems.add(i.id, c.userId, [{ text, ownerId, dueAt }], c.key);
    if (r) await c.tell(renderItemsAdded(r.added, r.skipped, new Date()));
    return r;
  },
  async actions(_cmd, c) {
    const { items, total } = await c.deps.actionItems.listOpen(c.teamId, c.userId);
    await c.tell(renderActionItemList(items, total, new Date()));
  },
  async oncall(cmd, c) {
    const parsed = parseOnCall(cmd.args);
    if (!parsed.ok) {
      // A refusal quotes what was typed (`from <text>` is not a time): a secret value pasted there is masked. Thrown,
      // so that it is told as the others are and audited as refused.
      throw new DomainError('oncall_typed', c.deps.oncall.masked(parsed.error));
    }
    const p = parsed.command;
    const now = new Date();
    // A moment typed (`at 18:00`, `friday 09:00`) is read on the typing person's clock (their Slack time zone), else
    // on the rotations'; the answer names the day and the zone.
    // A zone typed after the time (`at 18:00 Europe/London`) is read, and said back, in that zone.
    const zone = async () => (await c.deps.notes.timeZoneOf(c.userId)) ?? c.deps.oncall.boardZone();
    const momentZone = async (m: BoardMoment | undefined) =>
      m?.kind === 'wall' ? (m.zone ?? (await zone())) : c.deps.oncall.boardZone();
    if (p.kind === 'board') {
      // Later (`/incident oncall tomorrow 09:00`): the board as it will be then, overrides and swaps taken in.
      const timeZone = await momentZone(p.at);
      const at = p.at ? c.deps.oncall.boardMoment(p.at, now, timeZone) : now;
      const board = await c.deps.oncall.board(at);
      await c.tell(renderOnCallBoard(board, p.at ? { at, timeZone, note: weekAhead(p.at, at, now), now } : undefined));
      return;
    }
    if (isOnCallWord(p)) {
      await (ONCALL_WORD_HANDLERS[p.kind] as OnCallWordHandler<OnCallWordKind>)(p, c, now);
      return;
    }
    // People typed as @name are looked up as action item owners are.
    const userId = await c.deps.actionItems.resolveOwner(p.who, 'person');
    if (p.kind === 'person') {
      // From a moment on (`@alice tomorrow`): the shifts of the 14 days from then, headed with it.
      const timeZone = await momentZone(p.at);
      const from = p.at ? c.deps.oncall.boardMoment(p.at, now, timeZone) : now;
      const later = p.at ? { at: from, timeZone, note: weekAhead(p.at, from, now), now } : undefined;
      const shifts = await c.deps.oncall.shiftsOf(userId, from);
      const contactOf = c.deps.oncall.contactRolesOf(userId);
      // Nothing to show: someone not on call, or an ID nobody has (said so, not "not on call").
      if (shifts.length === 0 && contactOf.length === 0) await c.deps.oncall.mustBeKnown(userId);
      await c.tell(renderPersonShifts(userId, shifts, PERSON_DAYS, later, contactOf));
      return;
    }
    const otherId = p.kind === 'swap' ? await c.deps.actionItems.resolveOwner(p.other, 'person') : null;
    const r = await c.deps.oncall.override(
      {
        kind: p.kind,
        userId,
        otherId,
        role: p.role,
        start: p.start ? { kind: 'typed', ...p.start } : null,
        end: p.end,
        actorId: c.userId,
        confirmed: false,
        requestKey: c.key,
        // A time typed with no zone (`until 18:00`) is the typing person's 18:00; a refusal names times on their clock.
        typedZone: await c.deps.notes.timeZoneOf(c.userId),
      },
      now,
    );
    // Said back on the typing person's clock (the rotation's alongside when it is another).
    const shownZone = r.kind === 'retry' ? undefined : ((await c.deps.notes.timeZoneOf(c.userId)) ?? r.timeZone);
    if (r.kind === 'confirm') await c.tell(renderOverrideConfirm({ ...r, kind: p.kind, userId, otherId, shownZone }));
    else if (r.kind === 'recorded')
      await c.tell(
        renderOverrideRecorded({ ...r, kind: p.kind, userId, otherId, shownZone, ...startAndEnd(r.override, now) }),
      );
  },
  async public(_cmd, c, i) {
    if (!i.private) throw new AlreadyDoneError(`Incident #${i.number} is public already; nothing makes it private.`);
    await c.tell(renderMakePublicOffer(i, c.deps.incidentsChannel));
  },
  maintenance: (cmd, c) => maintenanceCommand(cmd.what, c),
};

type OnCallWordHandler<K extends OnCallWordKind> = (
  cmd: Extract<OnCallCommand, { kind: K }>,
  c: Ctx,
  now: Date,
) => Promise<void>;

type OnCallWordCommand = Extract<OnCallCommand, { kind: OnCallWordKind }>;

const isOnCallWord = (p: OnCallCommand): p is OnCallWordCommand => Object.hasOwn(ONCALL_WORD_HANDLERS, p.kind);

/** What each on-call subcommand of a word of its own does, under its key in ONCALL_SUBCOMMANDS. */
const ONCALL_WORD_HANDLERS: { [K in OnCallWordKind]: OnCallWordHandler<K> } = {
  async overrides(_cmd, c, now) {
    // On each rotation's own clock, named (as the board says its shifts).
    await c.tell(renderOverrideList(await c.deps.oncall.upcoming(now), now));
  },
  async cancel(cmd, c, now) {
    const r = await c.deps.oncall.cancel(cmd.id, c.userId, now, c.key);
    if (r) await c.tell(renderOverrideCancelled(r, c.userId));
  },
};

const weekdayName = (dow: number) => {
  const d = WEEKDAYS[dow] ?? '';
  return d.charAt(0).toUpperCase() + d.slice(1);
};

/**
 * A weekday typed for the board that is today, at a time already past today (`saturday 18:00` on Saturday evening),
 * is next week's: the answer says so, not a date a week out unexplained. Today's weekday with no time is the rest of
 * today: said so too, as the moment shown is now.
 */
function weekAhead(m: BoardMoment, at: Date, now: Date): string | undefined {
  if (m.kind !== 'wall' || m.day?.kind !== 'weekday') return undefined;
  // Today's weekday with no time (`friday` on a Friday): the rest of today, said so, with how to ask for a week on.
  if (!m.time)
    return at.getTime() - now.getTime() < 60_000
      ? `${weekdayName(m.day.dow)} is today, so from now; \`next week\` for a week on`
      : undefined;
  if (at.getTime() - now.getTime() < 6 * 86_400_000) return undefined;
  const hhmm = `${String(m.time.h).padStart(2, '0')}:${String(m.time.m).padStart(2, '0')}`;
  return `today's ${hhmm} has passed, so next week's`;
}

/**
 * Whom `/incident page` names: a person (a mention, or `@name` that no role of the runbook answers to), with their
 * name; else the role typed (`cto`, `@database-team`, a user group of that handle). Many people (`@here`) are refused.
 */
async function pageTarget(
  typed: string,
  c: Ctx,
  /** One of several named at once: a name that is nobody and no role is refused here, before anyone is paged. */
  { known = false }: { known?: boolean } = {},
): Promise<{ person: { userId: string; name: string } } | { named: string }> {
  const raw = typed.trim();
  const { incidents } = c.deps;
  const nobody = () =>
    new DomainError(
      'unknown_person_or_role',
      `Nobody in this workspace is called \`${raw}\`, and no role of the runbook is: nobody was paged. Mention each person so Slack fills in who you mean.`,
    );
  // A user group that Slack filled in for a role's handle (`@database-team`): the role.
  const group = /^<!subteam\^[A-Z0-9]+\|@?([^>]+)>$/.exec(raw)?.[1];
  if (group && incidents.namesRole(group)) return { named: group };
  const who = /\s/.test(raw) ? null : parsePerson(raw, 'a page by name goes to one person');
  if (typeof who === 'string')
    throw new DomainError('not_one_person', `${who} Or name a role: \`/incident page cto\`.`);
  if (!who || ('name' in who && incidents.namesRole(raw))) {
    if (known && !incidents.namesRole(raw)) throw nobody();
    return { named: raw };
  }
  let userId: string;
  try {
    userId = await c.deps.actionItems.resolveOwner(who, 'person');
  } catch (err) {
    // Nobody of that name: told with the roles there are, as a role of no such name is.
    if (err instanceof DomainError && err.code === 'owner_unknown') {
      if (known) throw nobody();
      return { named: raw };
    }
    throw err;
  }
  if (userId === c.botUserId)
    throw new DomainError(
      'not_a_person',
      'The bot cannot be paged: name a person (`/incident page @alice`) or a role (`/incident page cto`).',
    );
  if (userId === c.userId)
    throw new DomainError(
      'page_yourself',
      'That is you: name someone else (`/incident page @alice`), or a role (`/incident page cto`).',
    );
  const label = /^<@[UW][A-Z0-9]+\|([^>]+)>$/.exec(raw)?.[1] ?? ('name' in who ? who.name : null);
  const names = await c.deps.notes.contactNames([userId]).catch(() => new Map<string, { name: string }>());
  return { person: { userId, name: names.get(userId)?.name || label || userId } };
}

/** People (and roles) one `/incident page` names at most. */
const MAX_PAGED_AT_ONCE = 5;

/** Why a name did not pick one playbook: it fits several, or none. */
const fitsNotOne = (name: string, count: number) =>
  count
    ? `\`${name}\` fits ${count} playbooks; name one by its id:`
    : `There is no playbook \`${name}\`. Pick one of these:`;

/** A form's private_metadata; `seen`: what a form showed that another writer may change meanwhile (ModalMetadata). */
const formMetadata = (i: Incident, seen?: Record<string, string>) =>
  modalMetadata.encode({ incidentId: i.id, channelId: i.channelId!, ...(seen ? { seen } : {}) });

/** A direct message with the bot (Slack's conversation ids for them start with D), where pages come. */
const isDirectMessage = (channelId: string) => channelId.startsWith('D');

/**
 * The incident a command typed in the bot's direct messages is for: the one open incident that paged the person, or
 * the one of several whose page to them is unanswered; null when none or several.
 */
function pagedOne(paged: readonly PagedIncident[]): Incident | null {
  if (paged.length === 1) return paged[0]!.incident;
  const unanswered = paged.filter((p) => p.unanswered);
  return unanswered.length === 1 ? unanswered[0]!.incident : null;
}

const notHere = (what: string) =>
  `\`/incident ${what}\` works inside an incident channel (the \`#inc-…\` channel the bot made). Run it there, or use \`/incident list\` to find the incident.`;

/** Finds the channel's incident when the table says the command needs it, then runs the command's handler. */
async function run(cmd: Exclude<IncidentCommand, { kind: 'help' }>, c: Ctx, channelId: string): Promise<WorkResult> {
  const spec: SubcommandSpec = SUBCOMMANDS[cmd.kind];
  let incident: Incident | null = null;
  if (needsIncident(cmd)) {
    const what = spec.names[0] ?? cmd.kind;
    try {
      incident = await incidentInChannel(c.deps, channelId, notHere(what));
    } catch (err) {
      if (!(err instanceof NotAnIncidentChannelError)) throw err;
      if (spec.fromPage && isDirectMessage(channelId)) {
        // Typed where the pages came: the incident that paged them, or the ones to choose from.
        const paged = await c.deps.incidents.pagedIncidents(c.teamId, c.userId);
        incident = pagedOne(paged);
        if (!incident) {
          noteOutcome('refused', `${err.code}: typed in a direct message; ${paged.length} open incidents paged them`);
          await c.tell(renderPagedChoice(paged, what));
          return;
        }
        noteIncident(incident.id);
      } else {
        const said = spec.elsewhere?.(cmd);
        if (!said) throw err;
        // Refused as it is without `elsewhere`; the person is shown what they may have meant, and how to declare.
        noteOutcome('refused', `${err.code}: not in an incident channel; answered with the usage`);
        await c.tell(renderMistake(said, SUBCOMMANDS.declare.usage).text);
        return;
      }
    }
  }
  const handler = HANDLERS[cmd.kind] as (cmd: IncidentCommand, c: Ctx, incident: Incident | null) => WorkResult;
  return handler(cmd, c, incident);
}

/** `/incident …`: parse, ack (the usage at once for help and mistakes), one service call, render. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.command(INCIDENT_COMMAND, async ({ command, ack, respond, client, logger, context }) => {
    const parsed = parseIncidentCommand(command.text ?? '', severityNames(deps.severities));
    if (!parsed.ok) {
      // A mistake quotes what was typed (`I don't know \`…\``): a secret value pasted there is masked.
      const problem = deps.typed(parsed.error);
      const answer = parsed.kind
        ? renderMistake(problem, SUBCOMMANDS[parsed.kind].usage)
        : renderNotUnderstood(problem);
      await ack({ response_type: 'ephemeral', text: answer.text });
      return;
    }
    const cmd = parsed.command;
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: renderHelp(USAGE, undefined, deps.severities).text });
      return;
    }
    const tell = replyTo(respond);
    const ctx: Ctx = {
      deps,
      client,
      tell,
      teamId: command.team_id,
      userId: command.user_id,
      channelId: command.channel_id,
      triggerId: command.trigger_id,
      key: `cmd:${command.trigger_id}`,
      ...(context.botUserId ? { botUserId: context.botUserId } : {}),
    };
    const spec: SubcommandSpec = SUBCOMMANDS[cmd.kind];
    // An error is told where the person still can be when Slack refuses the response_url: an ephemeral message in
    // the channel, else a direct message. A declaration's, once the incident is whole, names it, and is what keeps
    // them from declaring it a second time.
    const tellElse = ephemeralElseDirect(client, command.channel_id, command.user_id);
    await afterAck({ ack: () => ack(), deps, logger, tell, tellElse }, () => run(cmd, ctx, command.channel_id), {
      admit: spec.opensForm ? 'always' : spec.heavy ? 'heavy' : 'gate',
      refuse: () => ack({ response_type: 'ephemeral', text: BUSY_TEXT }),
      whenDown: downWords(typeof spec.whenDown === 'function' ? spec.whenDown(cmd) : spec.whenDown, deps),
    });
  });
}
