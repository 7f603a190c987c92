import { DomainError } from './errors.js';
import type { Incident } from './types.js';

/**
 * A form names its incident and the incident's channel, as it was opened. One whose incident lives in another channel
 * (another incident's form, its incident id edited) does not fit: refused, inside the change's transaction and before
 * anything is changed, as the status update form is, rather than resolving or writing up the other incident.
 * `reopen`: the command that opens the form again.
 */
export function mustFitForm(incident: Pick<Incident, 'channelId'>, formChannelId: string | undefined, reopen: string) {
  if (formChannelId && incident.channelId && incident.channelId !== formChannelId) {
    throw new DomainError(
      'form_out_of_date',
      `This form does not fit the incident it names, so nothing was changed. Close it and open a new one with \`${reopen}\` in the incident channel.`,
    );
  }
}
