import { z } from 'zod';
import { parseIncidentCommand } from '../commands/parse-incident-command.js';
import type { AuditEntry } from '../store/audit.repo.js';
import { ACTION, SHORTCUT, VIEW } from '../templates/ids.js';
import { clickedIncident } from '../templates/payloads.js';

/** Who, what and where of one Slack request, before it is handled; its outcome is added after. */
export type DescribedRequest = Omit<AuditEntry, 'outcome' | 'reason' | 'requestId'>;

/**
 * What each button does, as the audit names it: as the subcommand that does the same (`ack`, `set_severity`,
 * `escalate`), so one name finds both. A button not listed (a link) is not audited.
 */
const BUTTONS: Record<string, { action: string; carriesIncident: boolean }> = {
  [ACTION.acknowledge]: { action: 'ack', carriesIncident: true },
  [ACTION.changeSeverity]: { action: 'set_severity', carriesIncident: true },
  [ACTION.raiseSeverity]: { action: 'set_severity', carriesIncident: true },
  [ACTION.postUpdate]: { action: 'update_form', carriesIncident: true },
  [ACTION.markMitigated]: { action: 'mitigated', carriesIncident: true },
  [ACTION.resolve]: { action: 'resolve_form', carriesIncident: true },
  [ACTION.escalate]: { action: 'escalate', carriesIncident: true },
  [ACTION.runStep]: { action: 'playbook_run', carriesIncident: false },
  [ACTION.approveStep]: { action: 'playbook_approve', carriesIncident: false },
  [ACTION.denyStep]: { action: 'playbook_deny_form', carriesIncident: false },
  [ACTION.rollback]: { action: 'rollback_list', carriesIncident: false },
  [ACTION.rollbackTo]: { action: 'rollback', carriesIncident: false },
  [ACTION.rollbackAgain]: { action: 'rollback', carriesIncident: false },
  [ACTION.stepDone]: { action: 'step_done', carriesIncident: false },
  [ACTION.stepSkip]: { action: 'step_skip_form', carriesIncident: false },
  [ACTION.stepUndo]: { action: 'step_undo', carriesIncident: false },
  [ACTION.writePostmortem]: { action: 'postmortem_form', carriesIncident: true },
  [ACTION.actionItemDone]: { action: 'action_done', carriesIncident: false },
  [ACTION.homeDeclare]: { action: 'declare_form', carriesIncident: false },
  [ACTION.declareTyped]: { action: 'declare_form', carriesIncident: false },
  [ACTION.declareFromAlert]: { action: 'declare_form', carriesIncident: false },
  [ACTION.attachAlert]: { action: 'attach_alert_form', carriesIncident: false },
  [ACTION.detachAlerts]: { action: 'detach_alerts', carriesIncident: false },
  [ACTION.reopen]: { action: 'reopen', carriesIncident: true },
  [ACTION.makePublic]: { action: 'public', carriesIncident: true },
  [ACTION.joinIncident]: { action: 'join', carriesIncident: true },
  [ACTION.oncallConfirm]: { action: 'oncall_override', carriesIncident: false },
  [ACTION.oncallCancel]: { action: 'oncall_override_cancel', carriesIncident: false },
  [ACTION.homeTakeOnCall]: { action: 'oncall_override_form', carriesIncident: false },
  [ACTION.homeOverride]: { action: 'oncall_override_form', carriesIncident: false },
};

/** What each form's submission does, as the audit names it. */
const FORMS: Record<string, string> = {
  [VIEW.statusUpdate]: 'update',
  [VIEW.resolve]: 'resolve',
  [VIEW.runParams]: 'playbook_run',
  [VIEW.runConfirm]: 'playbook_run_confirmed',
  [VIEW.denyReason]: 'playbook_deny',
  [VIEW.skipReason]: 'step_skip',
  [VIEW.postmortem]: 'postmortem',
  [VIEW.declare]: 'declare',
  [VIEW.attachAlert]: 'attach_alert',
};

/** What each message shortcut does, as the audit names it. */
const SHORTCUTS: Record<string, string> = {
  [SHORTCUT.declareFromMessage]: 'declare_form',
  [SHORTCUT.addToTimeline]: 'timeline_note',
};

/** The fields of a form's private_metadata that say where it belongs; whatever else it holds is left out. */
const formPlace = z.object({
  incidentId: z.number().int().positive().optional(),
  channelId: z.string().optional(),
  playbookId: z.string().optional(),
  stepKey: z.string().optional(),
  approvalId: z.number().int().positive().optional(),
  /** A playbook run outside an incident (`/incident run`). */
  runId: z.number().int().positive().optional(),
});

function readPlace(raw: unknown): z.infer<typeof formPlace> {
  if (typeof raw !== 'string') return {};
  try {
    const r = formPlace.safeParse(JSON.parse(raw));
    return r.success ? r.data : {};
  } catch {
    return {};
  }
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

// biome-ignore lint/suspicious/noExplicitAny: Slack bodies are read defensively, field by field.
type Body = Record<string, any>;

/**
 * Who did what where, read from a Slack request: `/incident …` by its subcommand, buttons and forms by the tables
 * above. Null for what is not an action (events, a link button, a closed form, an unknown payload).
 */
export function describeRequest(body: Body): DescribedRequest | null {
  if (typeof body.command === 'string') {
    const text = str(body.text) ?? '';
    const parsed = parseIncidentCommand(text);
    return {
      actor: str(body.user_id) ?? 'unknown',
      action: parsed.ok ? parsed.command.kind : 'invalid_command',
      surface: 'command',
      teamId: str(body.team_id),
      channelId: str(body.channel_id),
      details: { command: `${body.command} ${text}`.trim() },
    };
  }
  if (body.type === 'block_actions') {
    const act = Array.isArray(body.actions) ? (body.actions[0] as Body | undefined) : undefined;
    const button = BUTTONS[str(act?.action_id) ?? ''];
    if (!button || !act) return null;
    const value = str(act.value) ?? str(act.selected_option?.value);
    const incidentId = button.carriesIncident ? clickedIncident(str(act.value), str(act.block_id)) : null;
    return {
      actor: str(body.user?.id) ?? 'unknown',
      action: button.action,
      surface: 'button',
      teamId: str(body.team?.id) ?? str(body.user?.team_id),
      channelId: str(body.channel?.id),
      ...(incidentId ? { incidentId } : {}),
      details: value !== undefined ? { value } : {},
    };
  }
  if (body.type === 'message_action' || body.type === 'shortcut') {
    const action = SHORTCUTS[str(body.callback_id) ?? ''];
    if (!action) return null;
    const ts = str(body.message?.ts) ?? str(body.message_ts);
    return {
      actor: str(body.user?.id) ?? 'unknown',
      action,
      surface: 'shortcut',
      teamId: str(body.team?.id) ?? str(body.user?.team_id),
      channelId: str(body.channel?.id),
      details: ts ? { message_ts: ts } : {},
    };
  }
  if (body.type === 'view_submission') {
    const action = FORMS[str(body.view?.callback_id) ?? ''];
    if (!action) return null;
    const { incidentId, channelId, ...rest } = readPlace(body.view?.private_metadata);
    return {
      actor: str(body.user?.id) ?? 'unknown',
      action,
      surface: 'form',
      teamId: str(body.team?.id) ?? str(body.user?.team_id),
      channelId,
      ...(incidentId ? { incidentId } : {}),
      details: rest,
    };
  }
  return null;
}
