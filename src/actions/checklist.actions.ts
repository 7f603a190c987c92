import type { BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { DomainError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, replyTo } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { playbookHostAt } from '../slack/playbook-host-at.js';
import { skipModal } from '../templates/checklist.js';
import { ACTION } from '../templates/ids.js';
import { pageRef, skipMetadata, stepRef } from '../templates/payloads.js';

const NOT_HERE = 'Tick playbook steps on the playbook message, in the incident channel or the run’s thread.';
const STALE = 'That button is out of date; attach the playbook again with `/incident playbook`.';

/** A checklist's buttons: Done, Skip (asks why), Undo, and the page select of a long playbook. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  const { checklists } = deps;

  const tick = (
    actionId: string,
    work: (a: {
      body: BlockAction<ButtonAction>;
      ref: NonNullable<ReturnType<typeof stepRef.decode>>;
    }) => Promise<unknown>,
  ) => {
    app.action<BlockAction<ButtonAction>>(actionId, ({ ack, body, action, respond, logger }) => {
      const tell = replyTo(respond);
      return afterAck(
        { ack: () => ack(), deps, logger, tell },
        async () => {
          const ref = stepRef.decode(action.value);
          if (!ref) throw new DomainError('bad_step', STALE);
          return work({ body, ref });
        },
        { admit: 'gate' },
      );
    });
  };

  tick(ACTION.stepDone, async ({ body, ref }) => {
    const host = await playbookHostAt(deps, body.channel?.id, ref.r, NOT_HERE, body.message);
    await checklists.done(host, ref.p, ref.s, body.user.id);
  });

  tick(ACTION.stepUndo, async ({ body, ref }) => {
    const host = await playbookHostAt(deps, body.channel?.id, ref.r, NOT_HERE, body.message);
    await checklists.undo(host, ref.p, ref.s, body.user.id);
  });

  // Skip asks why in a small form; someone who may not skip it is told now, not after writing the reason.
  app.action<BlockAction<ButtonAction>>(ACTION.stepSkip, ({ ack, body, action, respond, client, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const ref = stepRef.decode(action.value);
        if (!ref) throw new DomainError('bad_step', STALE);
        const channelId = body.channel?.id ?? '';
        const host = await playbookHostAt(deps, channelId, ref.r, NOT_HERE, body.message);
        await checklists.checkMayTick(host, ref.p, ref.s, body.user.id, 'skip');
        const { step } = deps.playbooks.step(ref.p, ref.s);
        const meta = skipMetadata.encode({ p: ref.p, s: ref.s, ...(ref.r ? { r: ref.r } : {}), channelId });
        await openModal(client, body.trigger_id, skipModal(step.text, meta));
      },
      { admit: 'gate' },
    );
  });

  // A long playbook's page select: the message shows that page of its steps.
  app.action<BlockAction<StaticSelectAction>>(ACTION.checklistPage, ({ ack, body, action, respond, logger }) => {
    const tell = replyTo(respond);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const ref = pageRef.decode(action.selected_option?.value);
        if (!ref) throw new DomainError('bad_page', STALE);
        const host = await playbookHostAt(deps, body.channel?.id, ref.r, NOT_HERE, body.message);
        await checklists.showPage(host, ref.p, ref.n);
      },
      { admit: 'gate' },
    );
  });
}
