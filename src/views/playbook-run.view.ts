import { validateParams } from '../runbook/playbooks.js';
import type { ListenerDeps } from '../slack/deps.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { denyMetadata, runMetadata } from '../slack/payloads.js';
import { reportErrors } from '../slack/report-error.js';
import { BLOCK, INPUT, VIEW } from '../templates/ids.js';
import { confirmRunModal } from '../templates/playbook.js';

type Values = Record<string, Record<string, { value?: string | null }>>;

/** The parameters form of a playbook step: bad values show inline with the expected pattern; nothing runs. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.view(VIEW.runParams, async ({ ack, view, body, client, logger }) => {
    const meta = runMetadata.decode(view.private_metadata);
    const values = view.state.values as unknown as Values;
    const params: Record<string, string> = {};
    for (const [blockId, inputs] of Object.entries(values)) {
      if (!blockId.startsWith(BLOCK.paramPrefix)) continue;
      params[blockId.slice(BLOCK.paramPrefix.length)] = inputs[INPUT.param]?.value ?? '';
    }
    const firstBlock = Object.keys(values)[0] ?? `${BLOCK.paramPrefix}value`;
    if (!meta) {
      await ack({
        response_action: 'errors',
        errors: { [firstBlock]: 'This form is out of date; close it and press Run again.' },
      });
      return;
    }
    let step: ReturnType<typeof deps.playbooks.step>['step'];
    try {
      step = deps.playbooks.step(meta.playbookId, meta.stepKey).step;
    } catch {
      await ack({ response_action: 'errors', errors: { [firstBlock]: 'This step is no longer in the runbook file.' } });
      return;
    }
    if (step.type === 'command') {
      const checked = validateParams(step, params);
      if (!checked.ok) {
        const errors = Object.fromEntries(
          Object.entries(checked.errors).map(([name, msg]) => [`${BLOCK.paramPrefix}${name}`, msg.slice(0, 150)]),
        );
        await ack({ response_action: 'errors', errors });
        return;
      }
      if (step.destructive) {
        // One more look, with the exact command, before anything changes production.
        const { playbook } = deps.playbooks.step(meta.playbookId, meta.stepKey);
        const argv = deps.playbooks.preview(meta.playbookId, meta.stepKey, params);
        await ack({
          response_action: 'update',
          view: confirmRunModal(step, playbook, argv, runMetadata.encode({ ...meta, params })),
        });
        return;
      }
    }
    await ack();
    const tell = (text: string) => client.chat.postEphemeral({ channel: meta.channelId, user: body.user.id, text });
    await reportErrors(logger, tell, async () => {
      const r = await deps.playbooks.run(meta.incidentId, meta.playbookId, meta.stepKey, body.user.id, params);
      if (r.kind === 'approval_requested')
        await tell(':raised_hand: Approval requested: an approver must approve before it runs.');
    });
  });
}

/** The confirmation of a destructive step: runs it with the values checked on the form before. */
export function registerConfirm(app: ListenerRegistry, deps: ListenerDeps): void {
  app.view(VIEW.runConfirm, async ({ ack, view, body, client, logger }) => {
    const meta = runMetadata.decode(view.private_metadata);
    if (!meta?.params) {
      await ack({ response_action: 'clear' });
      return;
    }
    await ack();
    const params = meta.params;
    const tell = (text: string) => client.chat.postEphemeral({ channel: meta.channelId, user: body.user.id, text });
    await reportErrors(logger, tell, async () => {
      const r = await deps.playbooks.run(meta.incidentId, meta.playbookId, meta.stepKey, body.user.id, params);
      if (r.kind === 'approval_requested')
        await tell(':raised_hand: Approval requested: an approver must approve before it runs.');
    });
  });
}

/** Deny's reason form. */
export function registerDeny(app: ListenerRegistry, deps: ListenerDeps): void {
  app.view(VIEW.denyReason, async ({ ack, view, body, client, logger }) => {
    const meta = denyMetadata.decode(view.private_metadata);
    const values = view.state.values as unknown as Values;
    const reason = (values[BLOCK.denyReason]?.[INPUT.summary]?.value ?? '').trim();
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [BLOCK.denyReason]: 'This form is out of date; close it.' } });
      return;
    }
    if (!reason) {
      await ack({
        response_action: 'errors',
        errors: { [BLOCK.denyReason]: 'Say why, so the requester knows what to do instead.' },
      });
      return;
    }
    await ack();
    const m = meta;
    const tell = (text: string) => client.chat.postEphemeral({ channel: m.channelId, user: body.user.id, text });
    await reportErrors(logger, tell, () => deps.playbooks.deny(m.approvalId, body.user.id, reason));
  });
}
