import type { BlockAction, ButtonAction } from '@slack/bolt';
import { TITLE_MAX } from '../commands/subcommands.js';
import type { ListenerDeps } from '../slack/deps.js';
import { tellClicker } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { declareModal } from '../templates/declare-modal.js';
import { ACTION } from '../templates/ids.js';
import { declareMetadata } from '../templates/payloads.js';

/** The Home tab's Declare incident: opens the declare form. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.homeDeclare, ({ ack, body, respond, client, logger }) =>
    afterAck(
      { ack: () => ack(), logger, tell: tellClicker(body, respond, client) },
      () =>
        openModal(
          client,
          body.trigger_id,
          declareModal(deps.severities, declareMetadata.encode({ from: 'home' }), TITLE_MAX),
        ),
      // Admitted always: opening a form must happen within the trigger's 3 s, and touches no database.
      { admit: 'always' },
    ),
  );
}
