import { noteError } from '../audit/outcome.js';
import type { MayDeny } from '../incidents/approval-decisions.js';
import { DomainError } from '../incidents/errors.js';
import type { PlaybookHost } from '../incidents/playbook-host.js';
import { expected, validateParams } from '../runbook/playbooks.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, ephemeralIn } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { playbookHostAt, playbookHostOfForm } from '../slack/playbook-host-at.js';
import { errorText, inlineRefusalText } from '../slack/report-error.js';
import { runStep } from '../slack/run-step.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { denyMetadata, hostOfMetadata, runMetadata, skipMetadata } from '../templates/payloads.js';
import { confirmRunModal, notRunModal, versionRefusal } from '../templates/playbook.js';
import { parseDenyReason, parseSkipReason, parseStepParams } from './parse-playbook-forms.js';

type Values = Parameters<typeof parseStepParams>[0];

const RUN_STALE = 'This form is out of date; close it and press Run again.';

/**
 * A run form's host with the first click's checks held again (the metadata's channel is its host's; in the channel,
 * allowed, the incident not resolved meanwhile, the playbook still attached); null once the refusal is shown in the form.
 */
async function hostMayRunStill(
  deps: ListenerDeps,
  meta: NonNullable<ReturnType<typeof runMetadata.decode>>,
  userId: string,
  refuseInForm: (err: unknown) => Promise<void>,
): Promise<PlaybookHost | null> {
  try {
    const host = await playbookHostOfForm(deps, { host: hostOfMetadata(meta), channelId: meta.channelId }, RUN_STALE);
    await deps.playbooks.checkMayRun(host, meta.playbookId, meta.stepKey, userId);
    return host;
  } catch (err) {
    await refuseInForm(err);
    return null;
  }
}

/**
 * The playbook forms: a step's parameters, the confirmation of a destructive step, the reason for a denial, and the
 * reason a checklist step is skipped.
 * Admitted always, like the playbook buttons: a step runs a runbook command that may take minutes, which must not hold
 * one of the work gate's few places meanwhile.
 */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  // The parameters form of a step: bad values show inline with the expected pattern; nothing runs.
  app.view(VIEW.runParams, async ({ ack, view, body, client, logger }) => {
    const meta = runMetadata.decode(view.private_metadata);
    const values = (view.state?.values ?? {}) as unknown as Values;
    const firstBlock = Object.keys(values)[0] ?? `${BLOCK.paramPrefix}value`;
    // A refusal shown in the form, audited with its code (stale, not_in_channel, resolved…) as the Run click's is; the
    // people it names (who may run it) by name, as the form cannot show a mention.
    const refuseInForm = async (err: unknown, text?: string) => {
      noteError(err);
      const shown = text ?? (await inlineRefusalText(err, logger, (ids) => deps.notes.contactNames(ids)));
      await ack({ response_action: 'errors', errors: { [firstBlock]: shown } });
    };
    if (!meta) {
      await refuseInForm(new DomainError('stale', RUN_STALE));
      return;
    }
    let found: ReturnType<typeof deps.playbooks.step>;
    try {
      found = deps.playbooks.step(meta.playbookId, meta.stepKey);
    } catch (err) {
      await refuseInForm(err, 'This step is no longer in the runbook file.');
      return;
    }
    const typed = parseStepParams(values);
    if (!typed.ok) {
      // Each refusal also says what the parameter takes, as the kind's own refusals do.
      const step = found.step;
      const errors = Object.fromEntries(
        Object.entries(typed.errors).map(([blockId, msg]) => {
          const spec = step.type === 'command' ? step.params[blockId.slice(BLOCK.paramPrefix.length)] : undefined;
          return [blockId, (spec ? `${msg.replace(/\.$/, '')}; ${expected(spec.kind)}.` : msg).slice(0, 300)];
        }),
      );
      await ack({ response_action: 'errors', errors });
      return;
    }
    const params = typed.value;
    const { playbook, step } = found;
    // The submission is checked on its own, before the form is answered (a refusal shows in it, which reaches even
    // someone not in the channel): the metadata's channel must be its host's, and the checks of the first click hold
    // still (in the channel, allowed, the incident not resolved meanwhile, the playbook still attached).
    const userId = body.user.id;
    const host = await hostMayRunStill(deps, meta, userId, refuseInForm);
    if (!host) return;
    if (step.type === 'command') {
      const checked = validateParams(step, params);
      if (!checked.ok) {
        // A refusal quotes the value typed: a known secret value in it masked, as wherever the step is shown. Only
        // the value: the rest is the runbook's own words (a pattern such as `postgresql://user:password@host`).
        const masked = (msg: string) =>
          Object.values(params).reduce((m, v) => {
            const shown = v && deps.playbooks.mask(v);
            return shown && shown !== v ? m.split(v).join(shown) : m;
          }, msg);
        const errors = Object.fromEntries(
          Object.entries(checked.errors).map(([name, msg]) => [
            `${BLOCK.paramPrefix}${name}`,
            masked(msg).slice(0, 300),
          ]),
        );
        await ack({ response_action: 'errors', errors });
        return;
      }
      // A version is one from the deployment history that deployed well, as the rollback list offers: a failed,
      // current or missing one is refused here, with the versions to choose from; nothing runs.
      const versions = await deps.rollback.checkVersions(step, params);
      if (versions.kind === 'checked' && versions.refused.length > 0) {
        noteError(new DomainError('version_not_offered', 'a version the deployment history does not offer'));
        await ack({
          response_action: 'errors',
          errors: Object.fromEntries(versions.refused.map((r) => [`${BLOCK.paramPrefix}${r.name}`, versionRefusal(r)])),
        });
        return;
      }
      const historyUnread =
        versions.kind === 'unread'
          ? {
              why: versions.why,
              versions: Object.entries(step.params)
                .filter(([name, spec]) => spec.kind === 'version' && (params[name] || spec.default))
                .map(([name, spec]) => params[name] || spec.default!),
            }
          : undefined;
      if (step.destructive) {
        // One more look, with the exact command, before anything changes production.
        const argv = deps.playbooks.preview(meta.playbookId, meta.stepKey, params);
        // Required steps before it not done yet (a deploy's prerequisites): named in the confirmation.
        const notDone = await deps.playbooks.notDoneBefore(host, playbook, meta.stepKey);
        await ack({
          response_action: 'update',
          // A secret parameter, or any value holding a known secret (a token typed as a node id), goes into the form's
          // metadata (which Slack keeps) sealed, never in clear.
          view: confirmRunModal(
            step,
            playbook,
            argv,
            runMetadata.encode({ ...meta, params: deps.playbooks.sealParams(step, params) }),
            historyUnread,
            notDone,
          ),
        });
        return;
      }
    }
    const tell = ephemeralIn(client, meta.channelId, userId);
    await afterAck(
      { ack: () => ack(), deps, logger, tell },
      () => runStep(deps, tell, { ...meta, host, params }, userId),
      { admit: 'always' },
    );
  });

  // The confirmation of a destructive step: runs it with the values checked on the form before.
  app.view(VIEW.runConfirm, async ({ ack, view, body, client, logger }) => {
    const meta = runMetadata.decode(view.private_metadata);
    // Checked before the form is answered, as the parameters form is (the metadata's channel must be its host's, the
    // first click's checks hold still). A refusal has no field to show under: the form turns into why nothing ran,
    // which reaches even someone not in the channel, where an ephemeral message would not.
    const refuseInForm = async (err: unknown) => {
      noteError(err);
      await ack({ response_action: 'update', view: notRunModal(errorText(err, logger)) });
    };
    if (!meta?.params) {
      await refuseInForm(new DomainError('stale', RUN_STALE));
      return;
    }
    const userId = body.user.id;
    const host = await hostMayRunStill(deps, meta, userId, refuseInForm);
    if (!host) return;
    // The values the form carried, as typed: the sealed ones opened (only these: see sealParams).
    let params: Record<string, string>;
    try {
      const { step } = deps.playbooks.step(meta.playbookId, meta.stepKey);
      params = step.type === 'text' ? meta.params : deps.playbooks.openParams(step, meta.params);
    } catch (err) {
      await refuseInForm(err);
      return;
    }
    const tell = ephemeralIn(client, meta.channelId, userId);
    await afterAck(
      { ack: () => ack(), deps, logger, tell },
      () => runStep(deps, tell, { ...meta, host, params }, userId),
      { admit: 'always' },
    );
  });

  // Deny's reason form.
  app.view(VIEW.denyReason, async ({ ack, view, body, client, logger }) => {
    const meta = denyMetadata.decode(view.private_metadata);
    const reason = parseDenyReason((view.state?.values ?? {}) as unknown as Values);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [BLOCK.denyReason]: 'This form is out of date; close it.' } });
      return;
    }
    if (!reason.ok) {
      await ack({ response_action: 'errors', errors: reason.errors });
      return;
    }
    // Checked before the form is answered, as the parameters form is: a refusal shows in it, which reaches even
    // someone not in the channel (an ephemeral message there would not). An approver outside a public incident's
    // channel is added to it now, as the denial is sent (not when its form opened); Slack refusing shows here too.
    let checked: MayDeny;
    try {
      checked = await deps.approvals.checkMayDeny(meta.approvalId, body.user.id, { add: true });
    } catch (err) {
      noteError(err);
      const text = await inlineRefusalText(err, logger, (ids) => deps.notes.contactNames(ids));
      await ack({ response_action: 'errors', errors: { [BLOCK.denyReason]: text } });
      return;
    }
    await afterAck(
      {
        ack: () => ack(),
        deps,
        logger,
        tell: ephemeralIn(client, meta.channelId, body.user.id),
      },
      () => deps.approvals.deny(meta.approvalId, body.user.id, reason.value, checked),
      { admit: 'always' },
    );
  });

  // Skip's reason: required; the skip is recorded with it, then the checklist shows it.
  app.view(VIEW.skipReason, async ({ ack, view, body, client, logger }) => {
    const meta = skipMetadata.decode(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [BLOCK.skipReason]: 'This form is out of date; close it.' } });
      return;
    }
    const reason = parseSkipReason((view.state?.values ?? {}) as unknown as Values);
    if (!reason.ok) {
      await ack({ response_action: 'errors', errors: reason.errors });
      return;
    }
    // Someone not in the channel is refused before the form is answered, in the form: an ephemeral message in the
    // channel would not reach them. The other refusals (ticked meanwhile) reach a member so, after the ack.
    let host: PlaybookHost;
    try {
      host = await playbookHostAt(deps, meta.channelId, meta.r, 'This form is out of date; close it.');
      await deps.checklists.checkMember(host, body.user.id, 'tick its steps');
    } catch (err) {
      noteError(err);
      const text = await inlineRefusalText(err, logger, (ids) => deps.notes.contactNames(ids));
      await ack({ response_action: 'errors', errors: { [BLOCK.skipReason]: text } });
      return;
    }
    await afterAck(
      {
        ack: () => ack(),
        deps,
        logger,
        tell: ephemeralIn(client, meta.channelId, body.user.id),
      },
      () => deps.checklists.skip(host, meta.p, meta.s, body.user.id, reason.value),
      { admit: 'gate' },
    );
  });
}
