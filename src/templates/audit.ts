import type { KnownBlock } from '@slack/types';
import type { AuditRow } from '../incidents/audit.service.js';
import type { Incident } from '../incidents/types.js';
import type { Message } from './incident-card.js';
import { boldName, clipEscaped, LIMITS, mention, mrkdwnClip, truncate, utcStamp } from './text.js';

const OUTCOME_MARK: Record<AuditRow['outcome'], string> = {
  ok: ':white_check_mark:',
  refused: ':no_entry:',
  failed: ':x:',
  noop: ':information_source:',
  answered: ':speech_balloon:',
};

const who = (actor: string) => (/^[UW][A-Z0-9]+$/.test(actor) ? mention(actor) : `\`${mrkdwnClip(actor, 60)}\``);

/** One row: when, who, what (from where), how it ended and why. User text escaped. */
export function describeAuditRow(r: AuditRow): string {
  const reason = r.reason ? `: ${mrkdwnClip(r.reason, 200)}` : '';
  return `\`${utcStamp(r.at).slice(5, 16)}\` ${OUTCOME_MARK[r.outcome]} ${who(r.actor)} ${boldName(r.action, 40)} (${r.surface}) ${r.outcome}${reason}`;
}

/** `/incident audit`: the incident's audit rows, oldest first, packed into sections under Slack's limits. Pure. */
export function renderIncidentAudit(i: Incident, rows: AuditRow[], shownAtMost: number): Message {
  const lines = rows.map(describeAuditRow);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`Audit · #${i.number} ${i.title}`, LIMITS.headerText) },
    },
  ];
  const maxSections = LIMITS.blocksPerMessage - 2;
  let chunk = '';
  const flush = () => {
    if (chunk && blocks.length - 1 < maxSections)
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
    chunk = '';
  };
  for (const line of lines) {
    const l = clipEscaped(line, LIMITS.sectionText);
    if (chunk && chunk.length + 1 + l.length > LIMITS.sectionText) flush();
    chunk = chunk ? `${chunk}\n${l}` : l;
  }
  flush();
  const note =
    rows.length === 0
      ? 'Nothing recorded for this incident yet.'
      : `${rows.length} rows${rows.length >= shownAtMost ? ` (the latest ${shownAtMost}; GET /audit.jsonl has them all)` : ''}`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
  return {
    text: clipEscaped(`Audit of incident #${i.number}:\n${lines.join('\n') || note}`, LIMITS.messageText),
    blocks,
  };
}
