import type { IncidentChat } from '../incidents/ports.js';
import type { Incident } from '../incidents/types.js';

/**
 * The chat adapter, with `changed(incident)` called after each card is posted or refreshed: every change to an
 * incident (declare, acknowledge, severity, status update, page, resolve…) refreshes its card, so this is where the
 * people's Home tabs learn of it. `changed` must not throw or wait.
 */
export function refreshingHomes<C extends Pick<IncidentChat, 'postCard' | 'refreshCard'>>(
  chat: C,
  changed: (incident: Incident) => void,
): C {
  // Whatever else the card is given (an alert section) passes through unchanged.
  const postCard: IncidentChat['postCard'] = async (incident, ...rest) => {
    try {
      return await chat.postCard(incident, ...rest);
    } finally {
      changed(incident);
    }
  };
  const refreshCard: IncidentChat['refreshCard'] = async (incident, ...rest) => {
    try {
      await chat.refreshCard(incident, ...rest);
    } finally {
      changed(incident);
    }
  };
  return Object.assign(Object.create(chat) as C, { postCard, refreshCard });
}
