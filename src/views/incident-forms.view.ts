import type { ChangeResult } from '../incidents/incident.service.js';
import type { ListenerDeps } from '../slack/deps.js';
import { afterAck, ephemeralIn } from '../slack/handle.js';
import type { ListenerRegistry } from '../slack/listener-router.js';
import { BLOCK, VIEW } from '../templates/ids.js';
import { type ModalMetadata, modalMetadata } from '../templates/payloads.js';
import { type ParsedForm, parseResolveSummary, parseStatusUpdate } from './parse-status-update.js';

const STALE_TEXT = 'This form is out of date; close it and open a new one.';
const BUSY_FORM_TEXT = 'The bot is overloaded right now; nothing was posted. Submit again in a minute.';

type StateValues = Parameters<typeof parseStatusUpdate>[0];

interface FormSpec<T> {
  callbackId: string;
  /** The block that shows form-wide problems (stale form, overload). */
  mainBlock: string;
  parse: (values: StateValues) => ParsedForm<T>;
  submit: (meta: ModalMetadata, userId: string, value: T, requestKey: string) => Promise<ChangeResult | null>;
  /** "Update recorded" / "Resolved": what is said before the warnings of a partly shown change. */
  done: string;
}

/**
 * One modal submission: validation errors show inline (the modal stays open); the change runs after the ack, and any
 * problem then reaches the person privately in the incident channel. The view id makes a double submit a no-op.
 */
function onForm<T>(app: ListenerRegistry, deps: ListenerDeps, spec: FormSpec<T>): void {
  app.view(spec.callbackId, async ({ ack, view, body, client, logger }) => {
    const meta = modalMetadata.decode(view.private_metadata);
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [spec.mainBlock]: STALE_TEXT } });
      return;
    }
    // A form with no state at all is read as an empty one: its errors show inline.
    const parsed = spec.parse((view.state?.values ?? {}) as unknown as StateValues);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    const tell = ephemeralIn(client, meta.channelId, body.user.id);
    await afterAck(
      { ack: () => ack(), gate: deps.gate, logger, tell },
      () => spec.submit(meta, body.user.id, parsed.value, `view:${view.id}`),
      {
        admit: 'gate',
        refuse: () => ack({ response_action: 'errors', errors: { [spec.mainBlock]: BUSY_FORM_TEXT } }),
        done: spec.done,
      },
    );
  });
}

/** Submissions of the status update and resolve forms. */
export function register(app: ListenerRegistry, deps: ListenerDeps): void {
  const { incidents } = deps;
  onForm(app, deps, {
    callbackId: VIEW.statusUpdate,
    mainBlock: BLOCK.updCurrentStatus,
    parse: (values) => parseStatusUpdate(values, new Date()),
    submit: (meta, user, value, key) => incidents.postStatusUpdate(meta.incidentId, user, value, key),
    done: 'Update recorded',
  });
  onForm(app, deps, {
    callbackId: VIEW.resolve,
    mainBlock: BLOCK.resolveSummary,
    parse: parseResolveSummary,
    submit: (meta, user, value, key) => incidents.resolve(meta.incidentId, user, value, key),
    done: 'Resolved',
  });
}
