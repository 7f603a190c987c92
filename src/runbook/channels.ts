import type { Runbook } from './runbook.js';

/** A channel the bot posts to unasked, and what names it there (for a message saying what to fix). */
export interface ChannelUse {
  id: string;
  /** Where it is named and what goes there, e.g. "INCIDENTS_CHANNEL (incident announcements)". */
  uses: string[];
}

/**
 * Every channel the configuration and the runbook name by ID for the bot to post to without being asked: the
 * incidents channel, each rotation's `handoff_channel`, the maintenance channel, each playbook's `outside_incident`
 * channel. One entry per channel, its uses in that order. A channel named nowhere (a rotation without
 * `handoff_channel`) is the incidents channel's and is not listed twice.
 */
export function channelsNamed(runbook: Runbook, incidentsChannel: string | undefined): ChannelUse[] {
  const byId = new Map<string, string[]>();
  const add = (id: string | null | undefined, use: string) => {
    if (!id) return;
    const uses = byId.get(id) ?? [];
    uses.push(use);
    byId.set(id, uses);
  };
  add(incidentsChannel, 'INCIDENTS_CHANNEL (incident announcements)');
  for (const role of Object.values(runbook.escalation.roles)) {
    add(role.rotation?.handoffChannel, `the ${role.name} rotation's handoff_channel (on-call hand-off notices)`);
  }
  add(runbook.maintenance.channel, 'maintenance.channel (maintenance notices and checklists)');
  for (const pb of runbook.playbooks) {
    // The maintenance checklists start in the maintenance channel, named above.
    if (pb.outsideIncident?.channel === runbook.maintenance.channel) continue;
    add(pb.outsideIncident?.channel, `the playbook ${pb.id}'s outside_incident channel (where its runs start)`);
  }
  return [...byId].map(([id, uses]) => ({ id, uses }));
}
