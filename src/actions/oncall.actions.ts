import { createHash } from 'node:crypto';
import type { BlockAction, ButtonAction } from '@slack/bolt';
import { DomainError } from '../incidents/errors.js';
import { startAndEnd } from '../incidents/oncall.service.js';
import type { ListenerDeps } from '../slack/deps.js';
import { tellClicker } from '../slack/direct-tell.js';
import { afterAck } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { ACTION } from '../templates/ids.js';
import { renderOverrideRecorded } from '../templates/oncall.js';
import { overrideRef } from '../templates/payloads.js';

/** Confirm and Cancel of an on-call override for someone outside the role's rotation (a private message). */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION.oncallConfirm, ({ ack, body, action, respond, client, logger }) => {
    const tell = tellClicker(body, respond, client);
    return afterAck(
      { ack: () => ack(), deps, logger, tell },
      async () => {
        const ref = overrideRef.decode(action.value);
        if (!ref) throw new DomainError('override_stale', 'That question is out of date: type the override again.');
        const r = await deps.oncall.override({
          kind: ref.k,
          userId: ref.u,
          otherId: ref.o ?? null,
          role: ref.r,
          start: ref.s ? { kind: 'at', at: new Date(ref.s) } : null,
          end: { kind: 'at', at: new Date(ref.e) },
          actorId: body.user.id,
          confirmed: true,
          // The question, not the click: a double click (two trigger ids) confirms it once.
          requestKey: `oncall-confirm:${createHash('sha256').update(`${body.user.id} ${action.value}`).digest('hex')}`,
        });
        if (r.kind !== 'recorded') return;
        const text = renderOverrideRecorded({
          kind: ref.k,
          userId: ref.u,
          otherId: ref.o ?? null,
          roleName: r.roleName,
          ...startAndEnd(r.override, new Date()),
          timeZone: r.timeZone,
          // On the clock of the person who confirms, as the question was.
          shownZone: (await deps.notes.timeZoneOf(body.user.id)) ?? r.timeZone,
          gaps: r.gaps,
          nextOnCall: r.nextOnCall,
        });
        // The question is replaced by what was done, so it cannot be confirmed twice.
        await respond({ response_type: 'ephemeral', replace_original: true, text });
      },
      { admit: 'gate' },
    );
  });
  app.action<BlockAction<ButtonAction>>(ACTION.oncallCancel, async ({ ack, respond }) => {
    await ack();
    await respond({ response_type: 'ephemeral', replace_original: true, text: 'Cancelled: no override was recorded.' });
  });
}
