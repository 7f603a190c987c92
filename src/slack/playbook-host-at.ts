import { noteIncident } from '../audit/request-context.js';
import { DomainError } from '../incidents/errors.js';
import { channelOf, type HostRef, type PlaybookHost } from '../incidents/playbook-host.js';
import type { ListenerDeps } from './deps.js';

/**
 * Whose playbook a click is about: the playbook run outside an incident its button names (in the clicked channel), or
 * the channel's incident (noted for the audit). Elsewhere it throws NotAnIncidentChannelError with `notHere`.
 *
 * A run's buttons are on its own message (or in its thread): a click that comes before the run's message is recorded
 * (seconds after it was posted, on a busy bot) takes the clicked message for it, so what the step says goes in the
 * run's thread, not loose in the channel.
 */
export async function playbookHostAt(
  deps: Pick<ListenerDeps, 'playbooks'>,
  channelId: string | undefined,
  runId: number | undefined,
  notHere: string,
  clicked?: { ts?: string; thread_ts?: string },
): Promise<PlaybookHost> {
  const host = await deps.playbooks.hostAt(channelId, runId, notHere);
  if (host.kind === 'incident') noteIncident(host.incident.id);
  const clickedTs = clicked?.thread_ts ?? clicked?.ts;
  if (host.kind === 'run' && !host.run.messageTs && clickedTs)
    return { kind: 'run', run: { ...host.run, messageTs: clickedTs } };
  return host;
}

/**
 * Whose playbook a submitted form is about, as it is now: the incident (or run) its metadata names, which must be
 * worked in the channel the metadata names too. The metadata is only what the submission says, so a form whose
 * channel is not its host's is refused as `stale`, and nothing else it says is taken for granted.
 */
export async function playbookHostOfForm(
  deps: Pick<ListenerDeps, 'playbooks'>,
  form: { host: HostRef; channelId: string },
  stale: string,
): Promise<PlaybookHost> {
  const host = await deps.playbooks.host(form.host);
  if (channelOf(host) !== form.channelId) throw new DomainError('stale', stale);
  if (host.kind === 'incident') noteIncident(host.incident.id);
  return host;
}
