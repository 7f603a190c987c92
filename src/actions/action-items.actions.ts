import type { BlockAction, ButtonAction } from '@slack/bolt';
import { DomainError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import { tellClicker } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { renderActionItemList, renderItemClosed, renderListAfterClose } from '../templates/action-items.js';
import { ACTION } from '../templates/ids.js';
import { actionItemRef } from '../templates/payloads.js';

/** An action item's Done button: in `/incident actions`, in the owner's direct message, and on the Home tab. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.actionItemDone, ({ ack, body, action, respond, client, logger }) => {
    const tell = tellClicker(body, respond, client);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const itemId = actionItemRef.decode(action.value);
        if (!itemId) throw new DomainError('action_item_not_found', 'That action item no longer exists.');
        const r = await deps.actionItems.close(itemId, body.user.id, `action:${body.trigger_id}`);
        if (!r) return r;
        // On the Home tab, the tab shows it gone (closing refreshes the tabs of the closer and the owner). On the list
        // `/incident actions` showed (a private reply), the list is shown again without it, the line first; elsewhere
        // (the owner's direct messages, updated to say it is done) a private line says so.
        const closed = renderItemClosed(r.item, r.last, new Date());
        if (body.container?.type === 'view') return r;
        if (body.container?.is_ephemeral === true && body.response_url) {
          const { items, total } = await deps.actionItems.listOpen(r.incident.teamId, body.user.id);
          await respond({
            replace_original: true,
            ...renderListAfterClose(closed, renderActionItemList(items, total, new Date())),
          });
          return r;
        }
        await tell(closed);
        return r;
      },
      { admit: 'gate', done: 'Closed' },
    );
  });
}
