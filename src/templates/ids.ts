/** Every callback_id, block_id and action_id the bot uses. Builders, listeners and tests import these. */
export const ACTION = {
  acknowledge: 'incident_acknowledge',
  changeSeverity: 'incident_change_severity',
  /** A critical alert's notice in a less severe incident: Raise to SEV-N (`sev1`; the incident in the block id). */
  raiseSeverity: 'incident_raise_severity',
  postUpdate: 'incident_post_update',
  markMitigated: 'incident_mark_mitigated',
  resolve: 'incident_resolve',
  escalate: 'incident_escalate',
  runStep: 'playbook_run_step',
  approveStep: 'playbook_approve_step',
  denyStep: 'playbook_deny_step',
  /** A checklist's buttons on a step: Done (text steps), Skip (asks why), Undo (for who ticked it). */
  stepDone: 'playbook_step_done',
  stepSkip: 'playbook_step_skip',
  stepUndo: 'playbook_step_undo',
  /** The page select of a playbook too long for one message. */
  checklistPage: 'playbook_checklist_page',
  rollback: 'incident_rollback',
  rollbackTo: 'incident_rollback_to',
  /** Asked first on a list older than a rollback: roll back to that version again after all. */
  rollbackAgain: 'incident_rollback_again',
  openChannel: 'incident_open_channel',
  writePostmortem: 'incident_write_postmortem',
  /** A resolved incident's card: work on it again (asks first). */
  reopen: 'incident_reopen',
  actionItemDone: 'action_item_done',
  homeDeclare: 'home_declare_incident',
  /** `/incident sev0 …` typed in an open incident's channel: declare it as a new incident after all (the form). */
  declareTyped: 'incident_declare_typed',
  /** A warning alert's notice: open the declare form prefilled from the alert. */
  declareFromAlert: 'alert_declare_incident',
  /** A warning's notice: its alerts join an incident already open, picked in a form. */
  attachAlert: 'alert_attach_incident',
  /**
   * A resolved incident's channel, told its alert fired again and joined another incident (storm control): reopen it,
   * the alert (and its group's) followed there again.
   */
  reopenForAlert: 'alert_reopen_incident',
  /** The message saying alerts were added to an incident: take them out again (added by mistake). */
  detachAlerts: 'alert_detach_incident',
  /** Confirm or Cancel an on-call override for someone outside the role's rotation. */
  oncallConfirm: 'oncall_override_confirm',
  oncallCancel: 'oncall_override_cancel',
  /** The Home tab's On call section: Take on-call (yourself) and Override (anyone); both open the override form. */
  homeTakeOnCall: 'home_take_oncall',
  homeOverride: 'home_oncall_override',
  /** `/incident public`'s confirmation: make the private incident public. */
  makePublic: 'incident_make_public',
  /** The announcement of an incident made public: join its (private) channel. */
  joinIncident: 'incident_join',
} as const;

/** Shortcuts, by callback_id (manifest.yml's `shortcuts`). */
export const SHORTCUT = {
  /** A message's "Declare incident": the declare form, with the message as its description. */
  declareFromMessage: 'incident_declare_from_message',
  /** A message in an incident channel's "Add to incident timeline": a note on the timeline, at its time. */
  addToTimeline: 'incident_add_to_timeline',
} as const;

export const VIEW = {
  statusUpdate: 'incident_status_update',
  resolve: 'incident_resolve_modal',
  runParams: 'playbook_run_params',
  runConfirm: 'playbook_run_confirm',
  denyReason: 'playbook_deny_reason',
  skipReason: 'playbook_skip_reason',
  postmortem: 'incident_postmortem',
  declare: 'incident_declare',
  /** A warning's Add to an open incident: which incident. */
  attachAlert: 'alert_attach',
  /** The Home tab's override form, and its second step for someone outside the rotation. */
  oncallOverride: 'oncall_override',
  oncallOverrideConfirm: 'oncall_override_confirm_form',
} as const;

export const BLOCK = {
  /** A deployments list's first line once a rollback made it out of date: what happened. */
  rollbackDone: 'deployments_rollback_done',
  /** The Confirm/Cancel of an override for someone outside the rotation. */
  oncallConfirm: 'oncall_override_actions',
  cardActions: 'incident_card_actions',
  /** The Add to an open incident form's incident menu. */
  attachIncident: 'alert_attach_incident',
  /** The Take out button of the message saying alerts were added (`alert_attached_actions:7`, the alert incident). */
  attachedActions: 'alert_attached_actions',
  /** The Raise to SEV-N of a critical alert's notice, with the incident (`incident_raise:42`). */
  raiseSeverity: 'incident_raise',
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
  /** "Publish to status page" in the status update form. */
  updPublish: 'upd_publish',
  resolveSummary: 'resolve_summary',
  /** `param:<name>` blocks in the run form. */
  paramPrefix: 'param:',
  denyReason: 'deny_reason',
  skipReason: 'skip_reason',
  /** `step:<key>`: the actions block of a checklist step. */
  stepPrefix: 'step:',
  checklistPages: 'checklist_pages',
  /** The resolved card's Write post-mortem (`incident_postmortem_actions:42`). */
  postmortemActions: 'incident_postmortem_actions',
  pmRootCause: 'pm_root_cause',
  pmFactors: 'pm_factors',
  pmWentWell: 'pm_went_well',
  pmWentBadly: 'pm_went_badly',
  pmRunbook: 'pm_runbook',
  pmRunbookNote: 'pm_runbook_note',
  pmItems: 'pm_items',
  pmChecklist: 'pm_checklist',
  declareSeverity: 'declare_severity',
  declareTitle: 'declare_title',
  declareDescription: 'declare_description',
  /** The declare form's Private box. */
  declarePrivate: 'declare_private',
  /** `/incident public`'s confirmation (`incident_make_public_actions:42`). */
  makePublicActions: 'incident_make_public_actions',
  /** An announcement's Join button (`incident_join_actions:42`). */
  joinActions: 'incident_join_actions',
  /** The Home tab's Declare incident button. */
  homeActions: 'home_actions',
  /** The Home tab's Take on-call and Override buttons. */
  homeOnCall: 'home_oncall_actions',
  /** The override form: who, which role, from when (optional), until when or for how long. */
  ocPerson: 'oc_person',
  ocRole: 'oc_role',
  ocFrom: 'oc_from',
  ocUntil: 'oc_until',
  /** An action item with its Done button (`action_item:7`). */
  actionItem: 'action_item',
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
  publish: 'publish',
  summary: 'summary',
  param: 'value',
  reason: 'reason',
  text: 'text',
  select: 'select',
  checks: 'checks',
  severity: 'severity',
  person: 'person',
} as const;

export const FLAG = {
  customerImpact: 'customer_impact',
  dataLossRisk: 'data_loss_risk',
  /** The value of the ticked "Publish to status page" box. */
  publish: 'publish',
  /** The value of the declare form's ticked Private box. */
  private: 'private',
} as const;
