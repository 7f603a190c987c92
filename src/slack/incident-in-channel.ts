import { noteIncident } from '../audit/request-context.js';
import { NotAnIncidentChannelError } from '../incidents/errors.js';
import type { Incident } from '../incidents/types.js';
import type { ListenerDeps } from './deps.js';

/**
 * The incident whose channel this is, for everything that only makes sense inside one (a subcommand, a playbook
 * button, a roll back). Elsewhere it throws NotAnIncidentChannelError with `notHere`, which says where to go instead.
 */
export async function incidentInChannel(
  deps: Pick<ListenerDeps, 'incidents'>,
  channelId: string | undefined,
  notHere: string,
): Promise<Incident> {
  const incident = channelId ? await deps.incidents.findByChannel(channelId) : null;
  if (!incident) throw new NotAnIncidentChannelError(notHere);
  noteIncident(incident.id);
  return incident;
}
