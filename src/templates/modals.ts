import type { KnownBlock, ModalView } from '@slack/types';
import { severityLabel } from '../incidents/severity.js';
import { nextUpdateShown, seenOf } from '../incidents/status-merge.js';
import { INCIDENT_STATUSES, type Incident, type IncidentStatus, STATUS_LABELS } from '../incidents/types.js';
import { alertsStillFiring } from './alert-resolved.js';
import { modal } from './blocks.js';
import { BLOCK, FLAG, INPUT, VIEW } from './ids.js';
import { modalMetadata } from './payloads.js';
import { truncate } from './text.js';

/** The status update form's one-line fields (affected, current impact) and its paragraphs, in characters. */
export const UPDATE_LINE_MAX = 500;
export const UPDATE_TEXT_MAX = 2900;
/** How far ahead the next update may be promised: past it, the next-update reminder would never come. */
export const NEXT_UPDATE_MAX_DAYS = 7;

const statusOption = (s: (typeof INCIDENT_STATUSES)[number]) => ({
  text: { type: 'plain_text' as const, text: STATUS_LABELS[s] },
  value: s,
});

const flagOptions = {
  [FLAG.customerImpact]: {
    text: { type: 'plain_text' as const, text: 'Customer impact' },
    description: { type: 'plain_text' as const, text: 'Customers (e.g. enterprise tenants) are affected' },
    value: FLAG.customerImpact,
  },
  [FLAG.dataLossRisk]: {
    text: { type: 'plain_text' as const, text: 'Data-loss risk' },
    description: { type: 'plain_text' as const, text: 'Data may be lost or corrupted' },
    value: FLAG.dataLossRisk,
  },
};

/** The incident a form is about, as its first line. */
const incidentContext = (i: Incident): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'plain_text', text: truncate(`[${severityLabel(i.severity)}] #${i.number} ${i.title}`, 2000) }],
});

/** The "Publish to status page" box, with what it says of the incident. */
const publishOptionSaying = (description: string) => ({
  text: { type: 'plain_text' as const, text: 'Publish to status page' },
  description: { type: 'plain_text' as const, text: description },
  value: FLAG.publish,
});

const publishOption = publishOptionSaying(
  'Public: the title, status, Affected, Current impact and Current status only',
);

/**
 * An incident the bot opened from alerts on its own is listed on the status page under the Affected of its latest
 * published update, never under its title (the alert's summary: monitoring's words; see listPublicIncidents).
 */
const alertPublishOption = publishOptionSaying(
  'Public: Affected (as its title), status, Current impact, Current status',
);
const ALERT_PUBLISH_HINT =
  "This incident was opened by an alert: its title (the alert's words) is never published. The status page titles it with what you write as Affected.";

/** A private incident is never on the status page: its box says so, and is never ticked for it. */
const privatePublishOption = publishOptionSaying('Private incident: shown there only once it is made public');

/**
 * The runbook's communication template as a form, prefilled from the incident's last update. "Publish to status page"
 * is ticked when `publishByDefault` (the runbook's public levels: SEV-0 and SEV-1 by default). Pure.
 */
/** What `/incident update [status] [text]` typed: the status chosen and the current status written, in the form. */
export interface StatusUpdatePrefill {
  status?: IncidentStatus;
  currentStatus?: string;
}

/**
 * The status update form's metadata: which incident, where to answer, and what the form shows of the incident when
 * opened at `now` (so that an update posted meanwhile is not undone: see mergeOverNewer); `firing`: how many of its
 * alerts fire as it opens (an update saying Resolved, submitted once more fire, resolves nothing, as the resolve form).
 */
export function statusUpdateMetadata(i: Incident, channelId: string, now: Date, firing?: number): string {
  return modalMetadata.encode({
    incidentId: i.id,
    channelId,
    seen: seenOf(i, now),
    ...(firing === undefined ? {} : { firing }),
  });
}

/** `firing`: alerts of the incident firing as it opens: said, since choosing Resolved resolves it (see resolveModal). */
export function statusUpdateModal(
  i: Incident,
  privateMetadata: string,
  now: Date,
  publishByDefault = false,
  prefill: StatusUpdatePrefill = {},
  firing = 0,
  /** The writer's Slack time zone, said under Next update (Slack shows and reads the picker on it); null: not known. */
  timeZone: string | null = null,
): ModalView {
  const next = nextUpdateShown(i, now);
  const status = prefill.status ?? i.status;
  // What the box says is published: an alert-opened incident's title never is (see alertPublishOption).
  const fromAlerts = !i.private && i.source === 'alert';
  const shownPublish = fromAlerts ? alertPublishOption : publishOption;
  const initialFlags = [
    ...(i.customerImpact ? [flagOptions[FLAG.customerImpact]] : []),
    ...(i.dataLossRisk ? [flagOptions[FLAG.dataLossRisk]] : []),
  ];
  const text = (
    blockId: string,
    actionId: string,
    label: string,
    initial: string | null,
    multiline: boolean,
    placeholder: string,
  ) => ({
    type: 'input' as const,
    block_id: blockId,
    label: { type: 'plain_text' as const, text: label },
    element: {
      type: 'plain_text_input' as const,
      action_id: actionId,
      multiline,
      max_length: multiline ? UPDATE_TEXT_MAX : UPDATE_LINE_MAX,
      placeholder: { type: 'plain_text' as const, text: placeholder },
      ...(initial ? { initial_value: truncate(initial, multiline ? UPDATE_TEXT_MAX : UPDATE_LINE_MAX) } : {}),
    },
  });
  return modal({
    callbackId: VIEW.statusUpdate,
    privateMetadata,
    title: 'Status update',
    submit: 'Post update',
    blocks: [
      incidentContext(i),
      ...(firing > 0
        ? [
            {
              type: 'section' as const,
              text: {
                type: 'mrkdwn' as const,
                text: `:warning: *${alertsStillFiring(firing)}*: monitoring still sees the trouble. Choose Resolved if it is over all the same; \`/incident alerts\` lists them.`,
              },
            },
          ]
        : []),
      {
        type: 'input',
        block_id: BLOCK.updStatus,
        label: { type: 'plain_text', text: 'Status' },
        element: {
          type: 'static_select',
          action_id: INPUT.status,
          options: INCIDENT_STATUSES.map(statusOption),
          initial_option: statusOption(status),
        },
      },
      text(BLOCK.updAffected, INPUT.affected, 'Affected', i.affected, false, 'Users / services affected'),
      text(BLOCK.updImpact, INPUT.impact, 'Current impact', i.currentImpact, false, 'What users see'),
      text(
        BLOCK.updCurrentStatus,
        INPUT.currentStatus,
        'Current status',
        prefill.currentStatus ?? i.currentStatus,
        true,
        "What's happening now",
      ),
      {
        ...text(BLOCK.updMitigation, INPUT.mitigation, 'Mitigation steps', i.mitigationSteps, true, "What we're doing"),
        optional: true,
      },
      {
        type: 'input',
        block_id: BLOCK.updNextUpdate,
        label: { type: 'plain_text', text: 'Next update' },
        hint: {
          type: 'plain_text',
          text: `On your clock${timeZone ? ` (${timeZone}, your Slack time zone)` : ' (your Slack time zone)'}. The update shows it to each reader on their own clock, UTC where Slack cannot.`,
        },
        element: {
          type: 'datetimepicker',
          action_id: INPUT.nextUpdate,
          initial_date_time: Math.floor(next.getTime() / 1000),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.updFlags,
        optional: true,
        label: { type: 'plain_text', text: 'Flags' },
        element: {
          type: 'checkboxes',
          action_id: INPUT.flags,
          options: [flagOptions[FLAG.customerImpact], flagOptions[FLAG.dataLossRisk]],
          ...(initialFlags.length ? { initial_options: initialFlags } : {}),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.updPublish,
        optional: true,
        label: { type: 'plain_text', text: 'Status page' },
        ...(fromAlerts ? { hint: { type: 'plain_text' as const, text: ALERT_PUBLISH_HINT } } : {}),
        element: {
          type: 'checkboxes',
          action_id: INPUT.publish,
          options: [i.private ? privatePublishOption : shownPublish],
          ...(publishByDefault && !i.private ? { initial_options: [shownPublish] } : {}),
        },
      },
    ],
  });
}

/**
 * Resolve asks for a one-line summary; with alerts of the incident still firing (`firing`), it says so first: the
 * trouble may not be over. Pure.
 */
export function resolveModal(i: Incident, privateMetadata: string, firing = 0): ModalView {
  return modal({
    callbackId: VIEW.resolve,
    privateMetadata,
    title: `Resolve #${i.number}`,
    submit: 'Resolve',
    blocks: [
      incidentContext(i),
      ...(firing > 0
        ? [
            {
              type: 'section' as const,
              text: {
                type: 'mrkdwn' as const,
                text: `:warning: *${alertsStillFiring(firing)}*: monitoring still sees the trouble. Resolve if it is over all the same; \`/incident alerts\` lists them.`,
              },
            },
          ]
        : []),
      {
        type: 'input',
        block_id: BLOCK.resolveSummary,
        label: { type: 'plain_text', text: 'One-line summary' },
        hint: { type: 'plain_text', text: 'What fixed it. The post-mortem comes next.' },
        element: {
          type: 'plain_text_input',
          action_id: INPUT.summary,
          max_length: 300,
          placeholder: { type: 'plain_text', text: 'Restarted the node; connection pool leak' },
        },
      },
    ],
  });
}
