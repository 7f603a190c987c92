import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { NotAnIncidentChannelError } from '../incidents/errors.js';
import type { Incident } from '../incidents/types.js';
import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { encodeModalMetadata } from '../slack/payloads.js';
import { reportErrors } from '../slack/report-error.js';
import { BUSY_TEXT } from '../slack/work-gate.js';
import { renderHelp } from '../templates/help.js';
import { renderIncidentCard } from '../templates/incident-card.js';
import { renderIncidentList } from '../templates/incident-list.js';
import { resolveModal, statusUpdateModal } from '../templates/modals.js';
import { renderDeclaredReply } from '../templates/notices.js';
import { renderPlaybookList } from '../templates/playbook.js';
import { renderTimeline } from '../templates/timeline.js';
import { type IncidentCommand, parseIncidentCommand } from './parse-incident-command.js';

export const INCIDENT_COMMAND = '/incident';

const ephemeral = (respond: RespondFn, text: string, blocks?: unknown[]) =>
  respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks: blocks as never } : {}) });

/** `/incident …`: parse, ack at once, one service call, render. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.command(INCIDENT_COMMAND, async ({ command, ack, respond, client, logger }) => {
    const parsed = parseIncidentCommand(command.text ?? '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: renderHelp(parsed.error).text });
      return;
    }
    const cmd = parsed.command;
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: renderHelp(undefined, deps.severities).text });
      return;
    }
    const ticket = deps.gate.reserve();
    if (!ticket) {
      await ack({ response_type: 'ephemeral', text: BUSY_TEXT });
      return;
    }
    await ack();
    const ctx: Ctx = {
      deps,
      client,
      respond,
      teamId: command.team_id,
      userId: command.user_id,
      channelId: command.channel_id,
      triggerId: command.trigger_id,
    };
    await ticket.run(() =>
      reportErrors(
        logger,
        (text) => ephemeral(respond, text),
        () => run(cmd, ctx),
      ),
    );
  });
}

interface Ctx {
  deps: ListenerDeps;
  client: WebClient;
  respond: RespondFn;
  teamId: string;
  userId: string;
  channelId: string;
  triggerId: string;
}

async function run(cmd: Exclude<IncidentCommand, { kind: 'help' }>, c: Ctx): Promise<void> {
  const { incidents } = c.deps;
  const key = `cmd:${c.triggerId}`;
  switch (cmd.kind) {
    case 'declare': {
      const r = await incidents.declare({
        teamId: c.teamId,
        reporterId: c.userId,
        title: cmd.title,
        severity: cmd.severity,
        requestKey: c.triggerId,
      });
      if (r.kind === 'retry') return;
      if (r.kind === 'existing') {
        await ephemeral(
          c.respond,
          `:information_source: You declared this a moment ago: incident #${r.incident.number}${r.incident.channelId ? ` in <#${r.incident.channelId}>` : ''}. No second incident was opened.`,
        );
        return;
      }
      await ephemeral(c.respond, renderDeclaredReply(r.incident, r.warnings));
      return;
    }
    case 'playbook': {
      if (cmd.name) break;
      const msg = renderPlaybookList(c.deps.playbooks.list());
      await ephemeral(c.respond, msg.text, msg.blocks);
      return;
    }
    case 'list': {
      const open = await incidents.listOpen(c.teamId);
      const msg = renderIncidentList(open, new Date());
      await ephemeral(c.respond, msg.text, msg.blocks);
      return;
    }
    default:
      break;
  }

  const incident = await incidents.findByChannel(c.channelId);
  if (!incident) {
    if (cmd.kind === 'set_severity') {
      await ephemeral(
        c.respond,
        renderHelp(
          `To declare an incident, add a title after the severity, e.g. \`/incident sev${cmd.severity} db down\`. (\`/incident sev${cmd.severity}\` alone changes the severity inside an incident channel.)`,
        ).text,
      );
      return;
    }
    throw new NotAnIncidentChannelError(cmd.kind === 'data_loss' ? 'data-loss' : cmd.kind);
  }
  await inIncident(cmd, incident, c, key);
}

async function inIncident(
  cmd: Exclude<IncidentCommand, { kind: 'help' | 'declare' | 'list' }>,
  i: Incident,
  c: Ctx,
  key: string,
) {
  const { incidents } = c.deps;
  const warn = async (r: { warnings: string[] } | null) => {
    if (r?.warnings.length) await ephemeral(c.respond, `:warning: Recorded, but ${r.warnings.join('; ')}.`);
  };
  const meta = encodeModalMetadata({ incidentId: i.id, channelId: i.channelId! });
  switch (cmd.kind) {
    case 'set_severity':
      return warn(await incidents.changeSeverity(i.id, c.userId, cmd.severity, key));
    case 'ack':
      return warn(await incidents.acknowledge(i.id, c.userId, key));
    case 'mitigated':
      return warn(await incidents.markMitigated(i.id, c.userId, key));
    case 'resolve':
      if (cmd.summary) return warn(await incidents.resolve(i.id, c.userId, cmd.summary, key));
      if (i.status === 'resolved') {
        await ephemeral(c.respond, ':information_source: This incident is already resolved.');
        return;
      }
      await openModal(c.client, c.triggerId, resolveModal(i, meta));
      return;
    case 'update':
      if (i.status === 'resolved') {
        await ephemeral(c.respond, ':information_source: This incident is resolved; it takes no more status updates.');
        return;
      }
      await openModal(c.client, c.triggerId, statusUpdateModal(i, meta, new Date()));
      return;
    case 'status': {
      const card = renderIncidentCard(i, new Date(), c.deps.severities);
      await ephemeral(c.respond, card.text, card.blocks);
      return;
    }
    case 'impact':
      return warn(await incidents.setFlag(i.id, c.userId, 'customer_impact', key));
    case 'data_loss':
      return warn(await incidents.setFlag(i.id, c.userId, 'data_loss_risk', key));
    case 'escalate': {
      const role = await incidents.escalateNow(i.id, c.userId, key);
      if (role) await ephemeral(c.respond, `:arrow_double_up: Paging *${role}* now.`);
      return;
    }
    case 'playbook': {
      const playbooks = c.deps.playbooks;
      const found = cmd.name ? playbooks.find(cmd.name) : null;
      if (!found) {
        const msg = renderPlaybookList(
          playbooks.list(),
          `There is no playbook \`${cmd.name ?? ''}\`. Pick one of these:`,
        );
        await ephemeral(c.respond, msg.text, msg.blocks);
        return;
      }
      const r = await playbooks.attach(i.id, found.id, c.userId);
      if (r.already)
        await ephemeral(c.respond, `:information_source: *${found.title}* is already attached to this incident.`);
      return;
    }
    case 'rollback':
      await c.deps.playbooks.showDeployments(i.id, c.userId);
      return;
    case 'timeline': {
      const msg = renderTimeline(i, await incidents.timeline(i.id));
      await ephemeral(c.respond, msg.text, msg.blocks);
      return;
    }
  }
}
