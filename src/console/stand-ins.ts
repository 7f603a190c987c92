/**
 * The runbook names people by Slack ID, and the bundled one names nobody. In the console, every role without contacts
 * gets a person of its own (`on_call` is `@on-call`), so pages have someone to reach; with no responders, whoever runs
 * the console and those people may run production steps; with no approvers, those people may approve. Roles and lists
 * the runbook fills are kept as they are. Pure.
 */
import type { Runbook } from '../runbook/runbook.js';
import { userIdFor } from './people.js';

export interface StandIn {
  userId: string;
  name: string;
  /** The role they stand in for ("On-Call Engineer"), or who they are in the runbook. */
  roleName: string;
}

export interface ConsoleRunbook {
  runbook: Runbook;
  /** People the console adds to its workspace: stand-ins and the runbook's own contacts. */
  people: StandIn[];
  /** What the console filled in, in words, for its opening lines. */
  notes: string[];
}

/** The runbook with the console's people in every empty role and access list. */
export function withStandIns(rb: Runbook, you: { id: string; name: string }): ConsoleRunbook {
  const people: StandIn[] = [];
  const standIns: string[] = [];
  const roles = Object.fromEntries(
    Object.entries(rb.escalation.roles).map(([id, role]) => {
      if (role.contacts.length > 0 || role.rotation) {
        const rotation = role.rotation ? [...role.rotation.people, ...(role.rotation.layer?.people ?? [])] : [];
        for (const c of [...role.contacts, ...rotation]) {
          if (/^[UW]/.test(c) && !people.some((p) => p.userId === c)) {
            people.push({ userId: c, name: c.replace(/^[UW]0?/, '').toLowerCase(), roleName: role.name });
          }
        }
        return [id, role];
      }
      const name = id.toLowerCase().replace(/_/g, '-');
      const userId = userIdFor(name);
      people.push({ userId, name, roleName: role.name });
      standIns.push(userId);
      return [id, { ...role, contacts: [userId] }];
    }),
  );
  const notes: string[] = [];
  if (standIns.length) {
    notes.push(
      `The runbook names nobody for ${standIns.length === 1 ? 'a role' : 'some roles'}, so the console stands in: ${people
        .filter((p) => standIns.includes(p.userId))
        .map((p) => `@${p.name} (${p.roleName})`)
        .join(', ')}.`,
    );
  }
  const access = { ...rb.access };
  if (access.responders.length === 0) {
    access.responders = [you.id, ...standIns];
    notes.push(`Responders (may run steps that change production): @${you.name} and the people above.`);
  }
  if (access.approvers.length === 0 && standIns.length) {
    access.approvers = [...standIns];
    notes.push('Approvers (the second person some steps need): the people above; switch with /as <name>.');
  }
  for (const id of [...access.responders, ...access.approvers]) {
    if (/^[UW]/.test(id) && id !== you.id && !people.some((p) => p.userId === id)) {
      people.push({ userId: id, name: id.replace(/^[UW]0?/, '').toLowerCase(), roleName: 'named in access' });
    }
  }
  return { runbook: { ...rb, escalation: { ...rb.escalation, roles }, access }, people, notes };
}
