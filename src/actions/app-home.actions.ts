import type { BlockAction, ButtonAction } from '@slack/bolt';
import { TITLE_MAX } from '../commands/subcommands.js';
import { DomainError } from '../incidents/errors.js';
import type { ListenerDeps } from '../slack/deps.js';
import { tellClicker } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { declareModal } from '../templates/declare-modal.js';
import { ACTION } from '../templates/ids.js';
import { overrideModal } from '../templates/oncall-modal.js';
import { declareMetadata } from '../templates/payloads.js';

/** The Home tab's Declare incident (the declare form), Take on-call and Override (the override form). */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.homeDeclare, ({ ack, body, respond, client, logger }) =>
    afterAck(
      { ack: () => ack(), deps, logger, tell: tellClicker(body, respond, client) },
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
  // Take on-call fills in the clicker; Override leaves the person to pick. Admitted always, as Declare incident: the
  // form must open within the trigger's 3 s, and the roles come from the runbook file, not the database.
  for (const [actionId, take] of [
    [ACTION.homeTakeOnCall, true],
    [ACTION.homeOverride, false],
  ] as const) {
    app.action<BlockAction<ButtonAction>>(actionId, ({ ack, body, respond, client, logger }) =>
      afterAck(
        { ack: () => ack(), deps, logger, tell: tellClicker(body, respond, client) },
        async () => {
          const roles = deps.oncall.rotationRoles();
          if (roles.length === 0)
            throw new DomainError(
              'no_rotation',
              'No role has a rotation in the runbook file, so there is no shift to take. Add `rotation:` to a role under `escalation.roles`.',
            );
          await openModal(client, body.trigger_id, overrideModal(roles, take ? body.user.id : null));
        },
        { admit: 'always' },
      ),
    );
  }
}
