import type { BlockAction, ButtonAction } from '@slack/bolt';
import { TITLE_MAX } from '../commands/subcommands.js';
import { DomainError } from '../incidents/errors.js';
import { SEVERITIES } from '../incidents/severity.js';
import type { ListenerDeps } from '../slack/deps.js';
import { tellClicker } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { openModal } from '../slack/open-modal.js';
import { declareModal } from '../templates/declare-modal.js';
import { ACTION } from '../templates/ids.js';
import { overrideModal } from '../templates/oncall-modal.js';
import { declareMetadata, typedDeclarationRef } from '../templates/payloads.js';

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
  // `/incident sev0 …` typed in an open incident's channel, then "Declare a new incident" in the reply: the declare form,
  // filled in with what was typed, answered in that channel. Admitted always, as Declare incident.
  app.action<BlockAction<ButtonAction>>(ACTION.declareTyped, ({ ack, body, action, respond, client, logger }) =>
    afterAck(
      { ack: () => ack(), deps, logger, tell: tellClicker(body, respond, client) },
      () => {
        const typed = typedDeclarationRef.decode(action.value);
        if (!typed) throw new DomainError('bad_value', 'That button carries no declaration; type it again.');
        const channelId = body.channel?.id;
        const meta = channelId
          ? declareMetadata.encode({ from: 'command', channelId })
          : declareMetadata.encode({ from: 'home' });
        return openModal(
          client,
          body.trigger_id,
          declareModal(deps.severities, meta, TITLE_MAX, {
            title: typed.t,
            severity: SEVERITIES.find((s) => s === typed.s),
            private: typed.p,
          }),
        );
      },
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
          // Times typed in it are read on the clicker's clock, as `/incident oncall` reads them (the form names it).
          const timeZone = await deps.notes.timeZoneOf(body.user.id);
          const clock = timeZone ? { timeZone, now: new Date() } : null;
          await openModal(client, body.trigger_id, overrideModal(roles, take ? body.user.id : null, clock));
        },
        { admit: 'always' },
      ),
    );
  }
}
