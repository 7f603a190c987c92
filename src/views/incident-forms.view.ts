import type { Logger } from '@slack/bolt';
import { noteError } from '../audit/outcome.js';
import { AlreadyDoneError, DomainError } from '../incidents/errors.js';
import type { ChangeResult } from '../incidents/incident.service.js';
import { alreadyResolvedPhrase, givenBack } from '../incidents/refusal-phrases.js';
import type { StatusUpdateInput } from '../incidents/types.js';
import type { ListenerDeps } from '../slack/deps.js';
import { ephemeralElseDirect } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { inlineRefusalText, UPDATE_NOT_POSTED, type WhenDown, within, ZONE_WAIT_MS } from '../slack/report-error.js';
import { BLOCK } from '../templates/ids.js';
import { theirClock } from '../templates/oncall.js';
import type { ModalMetadata } from '../templates/payloads.js';
import { modalMetadata } from '../templates/payloads.js';
import { renderPhrase } from '../templates/text.js';
import {
  checkForm,
  type FormCheckSpec,
  filledSince,
  leftEmptyAsShown,
  RESOLVE_FORM,
  STATUS_UPDATE_FORM,
  type SubmittedView,
} from './form-checks.js';

const BUSY_FORM_TEXT = 'The bot is overloaded right now; nothing was posted. Submit again in a minute.';

interface FormSpec<T> extends FormCheckSpec<T> {
  submit: (meta: ModalMetadata, userId: string, value: T, requestKey: string) => Promise<ChangeResult | null>;
  /** "Update recorded" / "Resolved": what is said before the warnings of a partly shown change. */
  done: string;
  /** What it asks, for the words said when the database cannot be reached. */
  whenDown: WhenDown;
  /** The words said when the database cannot be reached, from what was submitted (instead of `whenDown`'s). */
  downText?: (value: T) => string;
  /**
   * A form refused for what the incident as it is now may answer (see leftEmptyAsShown): the form to check instead,
   * and how to make its value what the person submitted again. Null: the refusal stands.
   */
  recheck?: (
    view: SubmittedView,
    errors: Record<string, string>,
  ) => Promise<{ view: SubmittedView; asSubmitted: (value: T) => T } | null>;
  /**
   * A refusal the incident as it is now gives a form that reads well (one read, before the answer): the errors to show
   * inline, the form kept open with what was written; null to go on. Not read, or failing, the service still refuses.
   */
  refusedNow?: (
    meta: ModalMetadata,
    value: T,
    userId: string,
    logger: Logger,
  ) => Promise<Record<string, string> | null>;
}

/**
 * One modal submission: validation errors show inline (the modal stays open); the change runs after the ack, and any
 * problem then reaches the person privately in the incident channel, or by direct message when they are not in it (a
 * form opened from a page, the incidents channel or the Home tab: Slack shows an ephemeral message only to a member).
 * The view id makes a double submit a no-op. A
 * form the acknowledging front has answered already (it ran the same checks: FORM_CHECKS) has nothing inline left to
 * show: a refusal then reaches the person privately too.
 */
function onForm<T>(app: ListenerRegistry, deps: ListenerDeps, spec: FormSpec<T>): void {
  app.view(spec.callbackId, async ({ ack, view, body, client, logger, context }) => {
    const answered = context.answeredByFront === true;
    let checked = checkForm(spec, view);
    let asSubmitted = (value: T) => value;
    if (!checked.ok && spec.recheck) {
      const again = await spec.recheck(view, checked.errors).catch(() => null);
      const rechecked = again && checkForm(spec, again.view);
      if (again && rechecked?.ok) {
        checked = rechecked;
        asSubmitted = again.asSubmitted;
      }
    }
    if (!checked.ok) {
      if (answered) logger.warn(`A ${spec.callbackId} form the front took did not read here; nothing was done`);
      await ack({ response_action: 'errors', errors: checked.errors });
      return;
    }
    const { meta } = checked;
    const value = asSubmitted(checked.value);
    // Refused by the incident as it is now: said under its field while the form is open (a front that answered
    // already leaves it to the service, whose refusal reaches the person privately).
    if (spec.refusedNow && !answered) {
      const errors = await spec.refusedNow(meta, value, body.user.id, logger).catch(() => null);
      if (errors) {
        await ack({ response_action: 'errors', errors });
        return;
      }
    }
    const tell = ephemeralElseDirect(client, meta.channelId, body.user.id);
    await afterAck(
      { ack: () => ack(), deps, logger, tell },
      () => spec.submit(meta, body.user.id, value, `view:${view.id}`),
      {
        admit: 'gate',
        refuse: answered
          ? async () => {
              await tell(BUSY_FORM_TEXT);
            }
          : () => ack({ response_action: 'errors', errors: { [spec.mainBlock]: BUSY_FORM_TEXT } }),
        done: spec.done,
        whenDown: spec.downText ? { text: spec.downText(value) } : spec.whenDown,
      },
    );
  });
}

/**
 * The refusal of a resolve form (its summary) or of a status update saying Resolved (the update) submitted while more
 * alerts of the incident fire than as it opened: what changed, how to resolve all the same, what was written given
 * back.
 */
function firedSinceOpened(now: number, before: number, written: string | StatusUpdateInput): DomainError {
  const fired = now - before === 1 ? 'An alert fired' : `${now - before} alerts fired`;
  const lead = `Not resolved: ${fired} since you opened the form (${now === 1 ? '1 alert fires' : `${now} alerts fire`} now): monitoring sees trouble the form did not show.`;
  if (typeof written !== 'string') {
    return new DomainError(
      'alerts_fired_since',
      givenBack(
        `${lead} Your update was not posted. Look at the card or \`/incident alerts\`; to resolve all the same, open the form again (\`/incident update resolved\`).`,
        'post it again',
        written,
      ),
    );
  }
  return new DomainError('alerts_fired_since', [
    `${lead} Look at the card or \`/incident alerts\`; to resolve all the same, \`/incident resolve\` with your summary: `,
    { typed: written, max: 300 },
  ]);
}

/**
 * A status update (whatever its status: Investigating, Mitigated, Resolved) of an incident resolved already (by
 * another person while this one wrote): refused under Status, the form kept open with what was written, saying who
 * resolved it and when (on the writer's clock), and what to do. Null for an incident not resolved (the service refuses
 * the same after the answer, should the incident be resolved between this read and the change).
 */
async function resolvedAlreadyInline(
  deps: ListenerDeps,
  meta: ModalMetadata,
  userId: string,
  logger: Logger,
): Promise<Record<string, string> | null> {
  const cur = await deps.incidents.get(meta.incidentId);
  if (cur.status !== 'resolved') return null;
  const zone = (await within(deps.notes.timeZoneOf(userId), ZONE_WAIT_MS, null)) ?? 'UTC';
  const err = new DomainError('already_resolved', [
    ...alreadyResolvedPhrase(cur, (t) => theirClock(t, zone)),
    ' Nothing was posted: a resolved incident takes no more status updates. To post this, reopen it first (`/incident reopen [why]`) and submit again; or close this form and put what you wrote in the post-mortem (`/incident postmortem`).',
  ]);
  noteError(err); // audited refused with its code, as the service's refusal is
  return { [BLOCK.updStatus]: await inlineRefusalText(err, logger, (ids) => deps.notes.contactNames(ids)) };
}

/**
 * A resolve form of an incident resolved already (by another person while this one wrote, or by this one from another
 * form): refused under the summary, the form kept open with what was written, saying who resolved it, when (on the
 * writer's clock) and how, and what to do with the summary. Null for an incident not resolved, or one the form does
 * not fit (the service refuses those after the answer, privately, as it does when the front answered already).
 */
async function resolveRefusedInline(
  deps: ListenerDeps,
  meta: ModalMetadata,
  userId: string,
  logger: Logger,
): Promise<Record<string, string> | null> {
  const cur = await deps.incidents.get(meta.incidentId);
  if (cur.status !== 'resolved' || (cur.channelId && cur.channelId !== meta.channelId)) return null;
  const zone = (await within(deps.notes.timeZoneOf(userId), ZONE_WAIT_MS, null)) ?? 'UTC';
  const err = new AlreadyDoneError(
    cur.resolvedBy === userId
      ? [
          ...alreadyResolvedPhrase(cur, (t) => theirClock(t, zone)),
          ' You resolved it (from another form or command); nothing was changed. Close this form.',
        ]
      : [
          ...alreadyResolvedPhrase(cur, (t) => theirClock(t, zone)),
          ' Nothing was changed: your summary was not recorded. Close this form; to keep what you wrote, post it in the channel or put it in the post-mortem (`/incident postmortem`). To work on it again, `/incident reopen [why]`.',
        ],
  );
  noteError(err); // audited with the outcome of the service's own refusal
  return { [BLOCK.resolveSummary]: await inlineRefusalText(err, logger, (ids) => deps.notes.contactNames(ids)) };
}

/** Submissions of the status update and resolve forms. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  const { incidents } = deps;
  onForm(app, deps, {
    ...STATUS_UPDATE_FORM,
    submit: async (meta, user, value, key) => {
      // Resolving, with more alerts firing than as the form opened: refused as the resolve form's is.
      if (value.status === 'resolved' && meta.firing !== undefined) {
        const now = await deps.alerts.firingOf(meta.incidentId);
        if (now > meta.firing) throw firedSinceOpened(now, meta.firing, value);
      }
      return incidents.postStatusUpdate(meta.incidentId, user, value, key, meta.seen, meta.channelId);
    },
    refusedNow: (meta, _value, user, logger) => resolvedAlreadyInline(deps, meta, user, logger),
    done: 'Update recorded',
    whenDown: 'update',
    // The form is closed by then: what was typed comes back with the advice, to be posted by hand.
    downText: (value) =>
      `:warning: ${renderPhrase(givenBack(UPDATE_NOT_POSTED, 'post it in the incident channel', value))}`,
    // The first update written by two people at once: a required field the second left empty, as their form showed
    // it, which the first filled meanwhile, is not missing: it is left to the merge, which keeps the first's (and says
    // so), as for any field left as shown.
    recheck: async (view, errors) => {
      const fields = leftEmptyAsShown(view, errors);
      const meta = fields && modalMetadata.decode(view.private_metadata ?? '');
      if (!fields || !meta) return null;
      const filled = filledSince(view, fields, await incidents.get(meta.incidentId));
      if (!filled) return null;
      const blank = Object.fromEntries(filled.fields.map((f) => [f, '']));
      return { view: filled.view, asSubmitted: (value) => ({ ...value, ...blank }) };
    },
  });
  onForm(app, deps, {
    ...RESOLVE_FORM,
    submit: async (meta, user, value, key) => {
      // More alerts fire than as the form opened (one fired meanwhile): the person resolved what they saw, not this.
      if (meta.firing !== undefined) {
        const now = await deps.alerts.firingOf(meta.incidentId);
        if (now > meta.firing) throw firedSinceOpened(now, meta.firing, value);
      }
      return incidents.resolve(meta.incidentId, user, value, key, meta.channelId);
    },
    refusedNow: (meta, _value, user, logger) => resolveRefusedInline(deps, meta, user, logger),
    done: 'Resolved',
    whenDown: 'update',
  });
}
