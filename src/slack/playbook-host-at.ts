import { noteIncident } from '../audit/request-context.js';
import type { PlaybookHost } from '../incidents/playbook-host.js';
import type { ListenerDeps } from './deps.js';

/**
 * Whose playbook a click is about: the playbook run outside an incident its button names (in the clicked channel), or
 * the channel's incident (noted for the audit). Elsewhere it throws NotAnIncidentChannelError with `notHere`.
 */
export async function playbookHostAt(
  deps: Pick<ListenerDeps, 'playbooks'>,
  channelId: string | undefined,
  runId: number | undefined,
  notHere: string,
): Promise<PlaybookHost> {
  const host = await deps.playbooks.hostAt(channelId, runId, notHere);
  if (host.kind === 'incident') noteIncident(host.incident.id);
  return host;
}
