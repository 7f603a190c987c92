import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../slack/deps.js';
import { parseModalMetadata } from '../slack/payloads.js';
import { reportErrors } from '../slack/report-error.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { parseResolveSummary, parseStatusUpdate } from './parse-status-update.js';

const STALE_FORM = { response_action: 'errors' as const };
const BUSY_FORM_TEXT = 'The bot is overloaded right now; nothing was posted. Submit again in a minute.';

/** Submissions of the status update and resolve forms. Validation errors show inline; the rest after ack. */
export function register(app: App, deps: ListenerDeps): void {
  const { incidents } = deps;

  app.view(VIEW.statusUpdate, async ({ ack, view, body, client, logger }) => {
    const meta = parseModalMetadata(view.private_metadata);
    const parsed = parseStatusUpdate(view.state.values as never, new Date());
    if (!meta) {
      await ack({ ...STALE_FORM, errors: { upd_status: 'This form is out of date; close it and open a new one.' } });
      return;
    }
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    const ticket = deps.gate.reserve();
    if (!ticket) {
      await ack({ response_action: 'errors', errors: { [BLOCK.updCurrentStatus]: BUSY_FORM_TEXT } });
      return;
    }
    await ack();
    const tell = (text: string) => client.chat.postEphemeral({ channel: meta.channelId, user: body.user.id, text });
    await ticket.run(() =>
      reportErrors(logger, tell, async () => {
        const r = await incidents.postStatusUpdate(meta.incidentId, body.user.id, parsed.value, `view:${view.id}`);
        if (r?.warnings.length) await tell(`:warning: Update recorded, but ${r.warnings.join('; ')}.`);
      }),
    );
  });

  app.view(VIEW.resolve, async ({ ack, view, body, client, logger }) => {
    const meta = parseModalMetadata(view.private_metadata);
    const parsed = parseResolveSummary(view.state.values as never);
    if (!meta) {
      await ack({
        ...STALE_FORM,
        errors: { resolve_summary: 'This form is out of date; close it and open a new one.' },
      });
      return;
    }
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    const ticket = deps.gate.reserve();
    if (!ticket) {
      await ack({ response_action: 'errors', errors: { [BLOCK.resolveSummary]: BUSY_FORM_TEXT } });
      return;
    }
    await ack();
    const tell = (text: string) => client.chat.postEphemeral({ channel: meta.channelId, user: body.user.id, text });
    await ticket.run(() =>
      reportErrors(logger, tell, async () => {
        const r = await incidents.resolve(meta.incidentId, body.user.id, parsed.value, `view:${view.id}`);
        if (r?.warnings.length) await tell(`:warning: Resolved, but ${r.warnings.join('; ')}.`);
      }),
    );
  });
}
