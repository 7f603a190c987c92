import type { WebClient } from '@slack/web-api';
import { noteIncident } from '../audit/request-context.js';
import { INCIDENT_AUDIT_MAX } from '../incidents/audit.service.js';
import { NotAnIncidentChannelError } from '../incidents/errors.js';
import type { Incident } from '../incidents/types.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, replyTo, type Tell, type WorkResult } from '../slack/handle.js';
import { incidentInChannel } from '../slack/incident-in-channel.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { BUSY_TEXT } from '../slack/work-gate.js';
import { renderAlertList } from '../templates/alerts.js';
import { renderIncidentAudit } from '../templates/audit.js';
import { renderCommandHeld } from '../templates/commander.js';
import { renderAlreadyEscalated, renderEscalationReply } from '../templates/escalation.js';
import { renderHelp } from '../templates/help.js';
import { renderIncidentCard } from '../templates/incident-card.js';
import { renderIncidentList } from '../templates/incident-list.js';
import { resolveModal, statusUpdateModal } from '../templates/modals.js';
import { renderDeclaredReply } from '../templates/notices.js';
import { modalMetadata } from '../templates/payloads.js';
import { renderPlaybookList } from '../templates/playbook.js';
import { renderTimeline } from '../templates/timeline.js';
import { parseIncidentCommand } from './parse-incident-command.js';
import {
  type IncidentCommand,
  needsIncident,
  SUBCOMMANDS,
  type SubcommandKind,
  type SubcommandSpec,
  type Subcommands,
  USAGE,
} from './subcommands.js';

export const INCIDENT_COMMAND = '/incident';

const ROLL_BACK = /^\s*roll[\s-]?back\s*$/i;
const ROLL_BACK_HINT =
  "To roll back a deployment, use `/incident rollback` (or the card's *Roll back* button): it lists the recent versions with one-click buttons. Nothing was attached. Playbooks about rollback:";

interface Ctx {
  deps: ListenerDeps;
  client: WebClient;
  tell: Tell;
  teamId: string;
  userId: string;
  triggerId: string;
  /** The trigger_id is unique per command; a Slack retry carries it again and changes nothing twice. */
  key: string;
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
    await c.deps.limits.declare(c.userId);
    const r = await c.deps.incidents.declare({
      teamId: c.teamId,
      reporterId: c.userId,
      title: cmd.title,
      severity: cmd.severity,
      requestKey: c.triggerId,
    });
    if (r.kind === 'retry') return;
    noteIncident(r.incident.id);
    if (r.kind === 'existing') {
      const where = r.incident.channelId ? ` in <#${r.incident.channelId}>` : '';
      await c.tell(
        `:information_source: You declared this a moment ago: incident #${r.incident.number}${where}. No second incident was opened.`,
      );
      return;
    }
    await c.tell(renderDeclaredReply(r.incident, r.problems));
  },
  async list(_cmd, c) {
    await c.tell(renderIncidentList(await c.deps.incidents.listOpen(c.teamId), new Date()));
  },
  set_severity: (cmd, c, i) => c.deps.incidents.changeSeverity(i.id, c.userId, cmd.severity, c.key),
  async ack(_cmd, c, i) {
    const r = await c.deps.incidents.acknowledge(i.id, c.userId, c.key);
    if (r?.kind === 'commanded') await c.tell(renderCommandHeld(r));
    return r;
  },
  async update(_cmd, c, i) {
    if (i.status === 'resolved') {
      await c.tell(':information_source: This incident is resolved; it takes no more status updates.');
      return;
    }
    await openModal(c.client, c.triggerId, statusUpdateModal(i, formMetadata(i), new Date()));
  },
  mitigated: (_cmd, c, i) => c.deps.incidents.markMitigated(i.id, c.userId, c.key),
  async resolve(cmd, c, i) {
    if (cmd.summary) return c.deps.incidents.resolve(i.id, c.userId, cmd.summary, c.key);
    if (i.status === 'resolved') await c.tell(':information_source: This incident is already resolved.');
    else await openModal(c.client, c.triggerId, resolveModal(i, formMetadata(i)));
    return null;
  },
  impact: (_cmd, c, i) => c.deps.incidents.setFlag(i.id, c.userId, 'customer_impact', c.key),
  data_loss: (_cmd, c, i) => c.deps.incidents.setFlag(i.id, c.userId, 'data_loss_risk', c.key),
  async escalate(_cmd, c, i) {
    const r = await c.deps.incidents.escalateNow(i.id, c.userId, { requestKey: c.key });
    if (r) await c.tell(r.kind === 'paging' ? renderEscalationReply(r) : renderAlreadyEscalated(r, new Date()));
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
      const problem = matches.length
        ? `\`${cmd.name}\` fits ${matches.length} playbooks; name one by its id:`
        : `There is no playbook \`${cmd.name}\`. Pick one of these:`;
      await c.tell(renderPlaybookList(matches.length ? matches : playbooks.list(), problem));
      return;
    }
    const found = matches[0]!;
    const r = await playbooks.attach(i.id, found.id, c.userId);
    if (r.already) await c.tell(`:information_source: *${found.title}* is already attached to this incident.`);
  },
  async rollback(_cmd, c, i) {
    await c.deps.rollback.showDeployments(i.id, c.userId);
  },
  async status(_cmd, c, i) {
    await c.tell(renderIncidentCard(i, new Date(), c.deps.severities));
  },
  async timeline(_cmd, c, i) {
    await c.tell(renderTimeline(i, await c.deps.incidents.timeline(i.id)));
  },
  async alerts(_cmd, c, i) {
    await c.tell(renderAlertList(i, await c.deps.alerts.ofIncident(i.id)));
  },
  async audit(_cmd, c, i) {
    await c.tell(renderIncidentAudit(i, await c.deps.audit.forIncident(i.id, c.userId), INCIDENT_AUDIT_MAX));
  },
};

const formMetadata = (i: Incident) => modalMetadata.encode({ incidentId: i.id, channelId: i.channelId! });

const notHere = (what: string) =>
  `\`/incident ${what}\` works inside an incident channel (the \`#inc-…\` channel the bot made). Run it there, or use \`/incident list\` to find the incident.`;

/** Finds the channel's incident when the table says the command needs it, then runs the command's handler. */
async function run(cmd: Exclude<IncidentCommand, { kind: 'help' }>, c: Ctx, channelId: string): Promise<WorkResult> {
  const spec: SubcommandSpec = SUBCOMMANDS[cmd.kind];
  let incident: Incident | null = null;
  if (needsIncident(cmd)) {
    try {
      incident = await incidentInChannel(c.deps, channelId, notHere(spec.names[0] ?? cmd.kind));
    } catch (err) {
      if (!(err instanceof NotAnIncidentChannelError && spec.elsewhere)) throw err;
      await c.tell(renderHelp(USAGE, spec.elsewhere(cmd)).text);
      return;
    }
  }
  const handler = HANDLERS[cmd.kind] as (cmd: IncidentCommand, c: Ctx, incident: Incident | null) => WorkResult;
  return handler(cmd, c, incident);
}

/** `/incident …`: parse, ack (the usage at once for help and mistakes), one service call, render. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.command(INCIDENT_COMMAND, async ({ command, ack, respond, client, logger }) => {
    const parsed = parseIncidentCommand(command.text ?? '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: renderHelp(USAGE, parsed.error).text });
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
      triggerId: command.trigger_id,
      key: `cmd:${command.trigger_id}`,
    };
    await afterAck({ ack: () => ack(), gate: deps.gate, logger, tell }, () => run(cmd, ctx, command.channel_id), {
      admit: 'gate',
      refuse: () => ack({ response_type: 'ephemeral', text: BUSY_TEXT }),
    });
  });
}
