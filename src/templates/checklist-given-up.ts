import type { ChecklistGivenUp } from '../incidents/ports.js';
import type { Message } from './incident-card.js';
import { boldName, channelLink, codeText, LIMITS, mrkdwnClip, truncate } from './text.js';

/** Slack's answers that say the bot cannot post in the channel as it is: it is to be invited (or the channel is gone). */
const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

/** Where it was to be posted, as the message names it. */
const placeOf = (g: ChecklistGivenUp) => (g.channelId ? channelLink(g.channelId) : 'the incident channel');

/** What to do first, by Slack's answer; null when nothing but trying again helps. */
function putRight(g: ChecklistGivenUp): string | null {
  if (g.error === 'is_archived') return `${placeOf(g)} is archived: unarchive it`;
  if (NOT_IN_CHANNEL.has(g.error)) return `Invite the bot to ${placeOf(g)} (\`/invite\` it there)`;
  if (g.error === 'missing_scope')
    return 'Ask whoever runs the bot to reinstall it with the scopes its manifest asks for';
  return null;
}

/**
 * The direct message to the person who attached a playbook (or started a run) whose checklist the bot gave up posting:
 * which checklist, where, Slack's last answer, and what to do (invite the bot, then attach it or start it again). Pure.
 */
export function renderChecklistGivenUp(g: ChecklistGivenUp): Message {
  const name = boldName(g.playbookTitle, 150);
  const whose = g.kind === 'run' ? `run #${g.runId} of ${name}` : `${name}, attached to incident #${g.incidentNumber}`;
  const id = mrkdwnClip(codeText(g.playbookId), 100);
  const again =
    g.kind === 'run'
      ? `start it again with \`/incident run ${id}\``
      : `detach it and attach it again in the incident channel: \`/incident detach ${id}\`, then \`/incident playbook ${id}\``;
  const first = putRight(g);
  const lines = [
    `:warning: The checklist of ${whose} could not be posted in ${placeOf(g)}: the bot tried ${g.attempts} times and gave up.`,
    `Slack's last answer: \`${mrkdwnClip(codeText(g.error), 300)}\``,
    first ? `${first}, then ${again}.` : `To have it, ${again}.`,
  ];
  const text = truncate(lines.join('\n'), LIMITS.sectionText);
  return {
    text: mrkdwnClip(`The checklist of ${g.playbookTitle} could not be posted (${g.error})`, 500),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}
