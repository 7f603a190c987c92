/** Every callback_id, block_id and action_id the bot uses. Builders, listeners and tests import these. */
export const ACTION = {
  acknowledge: 'incident_acknowledge',
  changeSeverity: 'incident_change_severity',
  postUpdate: 'incident_post_update',
  markMitigated: 'incident_mark_mitigated',
  resolve: 'incident_resolve',
  escalate: 'incident_escalate',
  runStep: 'playbook_run_step',
  approveStep: 'playbook_approve_step',
  denyStep: 'playbook_deny_step',
  rollback: 'incident_rollback',
  rollbackTo: 'incident_rollback_to',
  openChannel: 'incident_open_channel',
  /** A warning alert's notice: open the declare form prefilled from the alert. */
  declareFromAlert: 'alert_declare_incident',
} as const;

export const VIEW = {
  statusUpdate: 'incident_status_update',
  resolve: 'incident_resolve_modal',
  runParams: 'playbook_run_params',
  runConfirm: 'playbook_run_confirm',
  denyReason: 'playbook_deny_reason',
  declare: 'incident_declare',
} as const;

export const BLOCK = {
  cardActions: 'incident_card_actions',
  pageActions: 'incident_page_actions',
  /** The private reply offering to page the next role (`incident_escalate_offer:42`). */
  escalateOffer: 'incident_escalate_offer',
  /** The private reply offering Take command (`incident_take_command:42`). */
  takeCommand: 'incident_take_command',
  updStatus: 'upd_status',
  updAffected: 'upd_affected',
  updImpact: 'upd_impact',
  updCurrentStatus: 'upd_current_status',
  updMitigation: 'upd_mitigation',
  updNextUpdate: 'upd_next_update',
  updFlags: 'upd_flags',
  resolveSummary: 'resolve_summary',
  /** `param:<name>` blocks in the run form. */
  paramPrefix: 'param:',
  denyReason: 'deny_reason',
  declareSeverity: 'declare_severity',
  declareTitle: 'declare_title',
  /** A warning alert's notice (`alert_notice_actions:7`). */
  alertNoticeActions: 'alert_notice_actions',
  /** The offer to resolve once every alert resolved (`alerts_resolved_actions:42`). */
  alertsResolvedActions: 'alerts_resolved_actions',
} as const;

/** action_ids of inputs inside modals (one per block). */
export const INPUT = {
  status: 'status',
  affected: 'affected',
  impact: 'impact',
  currentStatus: 'current_status',
  mitigation: 'mitigation',
  nextUpdate: 'next_update',
  flags: 'flags',
  summary: 'summary',
  param: 'value',
  severity: 'severity',
  title: 'title',
} as const;

export const FLAG = {
  customerImpact: 'customer_impact',
  dataLossRisk: 'data_loss_risk',
} as const;
