import type { Button, KnownBlock } from '@slack/types';
import { type Severity, severityLabel } from '../incidents/severity.js';
import type { Incident } from '../incidents/types.js';
import { button } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import type { Message } from './incident-card.js';
import { typedDeclarationRef } from './payloads.js';
import { boldName, mrkdwnClip } from './text.js';

/** What was typed to declare: `/incident sev0 everything is down [--private]`. */
export interface TypedDeclaration {
  severity: Severity;
  title: string;
  private: boolean;
}

/**
 * The private reply to `/incident sev0 everything is down` typed in an incident's channel: most likely it is about that
 * incident (worse now, or back after its resolution), and a second incident would page everyone again for one trouble.
 * Asked, not guessed: raise this one (when the severity typed is higher), reopen it (when it is resolved), or declare a
 * new incident after all (the declare form, filled in with what was typed). Nothing is changed until a button is
 * pressed. Pure.
 */
export function renderDeclareHere(i: Incident, typed: TypedDeclaration): Message {
  const asked = severityLabel(typed.severity);
  const title = mrkdwnClip(typed.title, 150);
  const resolved = i.status === 'resolved';
  // What to do if it is this incident: the line saying so, and its button when one does it.
  const thisOne: { line: string; button?: Button } = resolved
    ? {
        line: `• If its trouble is back: *Reopen #${i.number}* below (or \`/incident reopen ${title}\`, which says why).`,
        button: button(ACTION.reopen, `Reopen #${i.number}`, String(i.id), 'danger'),
      }
    : typed.severity < i.severity
      ? {
          line: `• If it is this incident, worse now: *Raise #${i.number} to ${asked}* below (or \`/incident sev${typed.severity}\` alone).`,
          button: button(ACTION.raiseSeverity, `Raise #${i.number} to ${asked}`, `sev${typed.severity}`, 'danger'),
        }
      : typed.severity === i.severity
        ? {
            line: `• If it is this incident: it is ${asked} already; say what you see with \`/incident update ${title}\`.`,
          }
        : {
            line: `• If it is this incident, less severe now: \`/incident sev${typed.severity}\` alone sets its severity.`,
          };
  const text = [
    `:question: This channel is incident #${i.number} (${severityLabel(i.severity)}): ${mrkdwnClip(i.title, 150)}, ${resolved ? 'resolved' : 'still open'}. Nothing was declared: is ${boldName(typed.title, 150)} this incident${resolved ? ' again' : ''}, or another one?`,
    thisOne.line,
    `• If it is another incident: *Declare a new incident* below opens the declare form filled in (or \`/incident declare sev${typed.severity} ${title}\` declares it at once).`,
  ].join('\n');
  const elements = [
    ...(thisOne.button ? [thisOne.button] : []),
    button(
      ACTION.declareTyped,
      'Declare a new incident',
      typedDeclarationRef.encode({ s: typed.severity, t: typed.title, p: typed.private }),
    ),
  ];
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'actions', block_id: `${BLOCK.raiseSeverity}:${i.id}`, elements },
  ];
  return { text, blocks };
}
