import type { ActionItemService } from '../incidents/action-items.service.js';
import type { AlertService } from '../incidents/alert.service.js';
import type { AuditTrail } from '../incidents/audit.service.js';
import type { ChannelArchives } from '../incidents/channel-archives.js';
import type { Checklists } from '../incidents/checklist.service.js';
import type { IncidentService } from '../incidents/incident.service.js';
import type { IncidentNotes } from '../incidents/incident-notes.js';
import type { MaintenanceService } from '../incidents/maintenance.service.js';
import type { OnCallService } from '../incidents/oncall.service.js';
import type { PlaybookService } from '../incidents/playbook.service.js';
import type { PlaybookRuns } from '../incidents/playbook-run.service.js';
import type { PostmortemService } from '../incidents/postmortem.service.js';
import type { PrivateIncidents } from '../incidents/private-incidents.service.js';
import type { UserLimits } from '../incidents/rate-limits.js';
import type { RollbackService } from '../incidents/rollback.service.js';
import type { SeverityDefs } from '../incidents/severity.js';
import type { StepApprovals } from '../incidents/step-approvals.service.js';
import type { TimelineNames } from '../templates/timeline.js';
import type { HomeTabs } from './home-tabs.js';
import type { WorkGates } from './work-gate.js';

/** What listeners may use: services only, never the database or Slack client directly. */
export interface ListenerDeps {
  incidents: IncidentService;
  playbooks: PlaybookService;
  approvals: StepApprovals;
  /** Done, Skip and Undo on playbook steps, and each playbook message's progress. */
  checklists: Checklists;
  /** Playbooks run outside any incident (`/incident run`). */
  runs: PlaybookRuns;
  rollback: RollbackService;
  /** Admission control for work done after the ack: the light and the heavy gate. */
  gate: WorkGates;
  /** How often one person may declare and run runbook commands (shared by every replica). */
  limits: UserLimits;
  /** The runbook's severity levels, for the templates that show a severity (names, response times). */
  severities: SeverityDefs;
  /** The runbook's names of roles and playbooks, for what shows events that keep them by id (the timeline). */
  names: TimelineNames;
  /** The audit, for `/incident audit`. */
  audit: AuditTrail;
  /** The post-mortem: its form, its document. */
  postmortems: PostmortemService;
  /** Action items: added, listed, closed. */
  actionItems: ActionItemService;
  /** What a declarer writes in the declare form's description. */
  notes: IncidentNotes;
  /** People's Home tabs (published when opened, refreshed when their incidents change). */
  home: HomeTabs;
  /** Monitoring alerts: `/incident alerts`, a warning's Declare incident. */
  alerts: AlertService;
  /** On-call rotations: who is on call, overrides and swaps. */
  oncall: OnCallService;
  /** Private incidents: made public, joined. */
  privateIncidents: PrivateIncidents;
  /** Where the incidents channel is (for what `/incident public` says), when there is one. */
  incidentsChannel: string | null;
  /** Maintenance windows: the schedule, opened and closed by hand. */
  maintenance: MaintenanceService;
  /** An open incident's channel archived in Slack: recorded and told. */
  channelArchives: ChannelArchives;
  /** Text a person typed, as it may be shown back (a refusal quoting it): the values the bot knows are secret masked. */
  typed: (text: string) => string;
}
