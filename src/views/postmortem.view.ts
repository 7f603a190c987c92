import type { Logger } from '@slack/bolt';
import { noteError } from '../audit/outcome.js';
import type { ParsedActionItem } from '../commands/parse-action-item.js';
import type { NewActionItem } from '../incidents/action-items.js';
import { DomainError } from '../incidents/errors.js';
import { notResolvedYet } from '../incidents/postmortem.service.js';
import type { ListenerDeps } from '../slack/deps.js';
import { ephemeralElseDirect } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { inlineRefusalText } from '../slack/report-error.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { modalMetadata } from '../templates/payloads.js';
import { offersRunbookChoice } from '../templates/postmortem-modal.js';
import { parsePostmortemForm } from './parse-postmortem.js';

const STALE_TEXT = 'This form is out of date; close it and open a new one.';
const BUSY_FORM_TEXT = 'The bot is overloaded right now; nothing was written. Submit again in a minute.';
/** Owners typed as @name are looked up before the form closes; Slack waits 3 s for the answer. */
const OWNER_LOOKUP_MS = 2000;

type Owners = { ok: true; items: NewActionItem[] } | { ok: false; error: string };

/**
 * Each item's owner as a user id: a mention as it is, a typed name looked up; the first problem, in words (the people
 * it names, several who fit a typed name, by name: the form's error is plain text).
 */
async function withOwners(items: ParsedActionItem[], deps: ListenerDeps, logger: Logger): Promise<Owners> {
  const lookup = Promise.all(
    items.map(async (it, n): Promise<NewActionItem | string> => {
      try {
        const ownerId = it.owner ? await deps.actionItems.resolveOwner(it.owner) : null;
        return { text: it.text, ownerId, dueAt: it.dueAt };
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        return `Line ${n + 1}: ${await inlineRefusalText(err, logger, (ids) => deps.notes.contactNames(ids))}`;
      }
    }),
  );
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), OWNER_LOOKUP_MS).unref());
  let done: Awaited<typeof lookup> | 'timeout';
  try {
    done = await Promise.race([lookup, timeout]);
  } catch {
    return { ok: false, error: 'The owners could not be looked up in Slack just now; submit again, or mention them.' };
  }
  if (done === 'timeout')
    return { ok: false, error: 'Looking up the owners took too long; submit again (it is quicker the second time).' };
  const problem = done.find((d): d is string => typeof d === 'string');
  return problem ? { ok: false, error: problem } : { ok: true, items: done as NewActionItem[] };
}

/**
 * The post-mortem form: problems show inline (the form stays open), owners typed as @name included; then the answers,
 * the new action items and the next version of the document are written, and the document is posted in the channel.
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.view(VIEW.postmortem, async ({ ack, view, body, client, logger }) => {
    const meta = modalMetadata.decode(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [BLOCK.pmRootCause]: STALE_TEXT } });
      return;
    }
    const parsed = parsePostmortemForm(
      (view.state?.values ?? {}) as unknown as Parameters<typeof parsePostmortemForm>[0],
      new Date(),
    );
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    // A section the form did not offer (a value made up, or one the runbook file no longer has) is no choice.
    const section = parsed.value.answers.runbookSection;
    if (section !== null && !offersRunbookChoice(deps.postmortems.sections(), section)) {
      await ack({
        response_action: 'errors',
        errors: {
          [BLOCK.pmRunbook]: 'Pick a section from the list (the runbook may have changed), or No update needed.',
        },
      });
      return;
    }
    const owners = await withOwners(parsed.value.items, deps, logger);
    if (!owners.ok) {
      await ack({ response_action: 'errors', errors: { [BLOCK.pmItems]: owners.error } });
      return;
    }
    // The form read, an incident not resolved (reopened since the form opened) is refused under the root cause, the
    // form kept open with what was written (refused after it closed, the answers were lost). Not read: the service
    // still refuses, after.
    const current = await deps.incidents.get(meta.incidentId).catch(() => null);
    const unresolved = current && notResolvedYet(current);
    if (unresolved) {
      noteError(unresolved); // audited refused with its code, as the service's refusal is
      const text = await inlineRefusalText(unresolved, logger, (ids) => deps.notes.contactNames(ids));
      await ack({ response_action: 'errors', errors: { [BLOCK.pmRootCause]: text } });
      return;
    }
    const user = body.user.id;
    // In the incident channel, only to them; by direct message to someone not in it, who would not see that.
    const tell = ephemeralElseDirect(client, meta.channelId, user);
    await afterAck(
      { ack: () => ack(), deps, logger, tell },
      () =>
        deps.postmortems.write(
          meta.incidentId,
          user,
          parsed.value.answers,
          owners.items,
          `view:${view.id}`,
          meta.channelId,
          meta.seen,
        ),
      {
        admit: 'gate',
        refuse: () => ack({ response_action: 'errors', errors: { [BLOCK.pmRootCause]: BUSY_FORM_TEXT } }),
        done: 'Post-mortem written',
      },
    );
  });
}
