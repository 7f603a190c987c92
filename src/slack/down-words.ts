import type { ListenerDeps } from './deps.js';
import { pageByHandText, type WhenDown } from './report-error.js';

/**
 * The words a listener gives when the database cannot be reached, by what it asks: what would have paged names the
 * runbook's contact order (known without the database), the rest say what fits their kind.
 */
export function downWords(
  whenDown: WhenDown | undefined,
  deps: Pick<ListenerDeps, 'incidents'>,
): WhenDown | { text: string } {
  if (whenDown === 'page') return { text: pageByHandText(deps.incidents.contactOrder()) };
  return whenDown ?? 'change';
}
