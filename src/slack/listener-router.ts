import type { AllMiddlewareArgs, AnyMiddlewareArgs, App } from '@slack/bolt';
import { noteInlineErrors } from '../audit/outcome.js';
import { noteOutcome } from '../audit/request-context.js';

type Args = AnyMiddlewareArgs & AllMiddlewareArgs;
// biome-ignore lint/suspicious/noExplicitAny: handlers are typed where they are written (app.action<…>(id, fn)).
type AnyListener = (args: any) => Promise<void>;

/** Where listeners register: the subset of Bolt's App they use, with the same signatures. */
export type ListenerRegistry = Pick<App, 'command' | 'action' | 'view' | 'event' | 'shortcut'>;

type Kind = 'command' | 'action' | 'view' | 'event' | 'shortcut';

/**
 * Bolt runs the matchers of every registered listener on every request (a middleware chain each), so each listener
 * adds to the time of every ack. The bot's listeners register on this router exactly as on the app
 * (`router.command('/incident', fn)`, `router.action(id, fn)`, with a string id and one function), and `install`
 * puts one global middleware in front of Bolt's listeners that looks the request up by command name, action_id,
 * view callback_id or event type and runs its function with Bolt's own arguments (ack, respond, client, logger…).
 * What no listener takes (an unknown action id, `view_closed`, a shortcut of another callback id, a command of another
 * app, an event not subscribed to) and a command or interaction without the user who sent it have no meaning here:
 * they are acknowledged at once and ignored, with a debug line. Nothing is handed on to Bolt's own listeners.
 */
export class ListenerRouter implements ListenerRegistry {
  private readonly routes: Record<Kind, Map<string, AnyListener>> = {
    command: new Map(),
    action: new Map(),
    view: new Map(),
    event: new Map(),
    shortcut: new Map(),
  };

  readonly command = ((name: unknown, ...listeners: AnyListener[]) => {
    this.add('command', name, listeners);
  }) as App['command'];

  readonly action = ((id: unknown, ...listeners: AnyListener[]) => {
    this.add('action', id, listeners);
  }) as App['action'];

  readonly view = ((id: unknown, ...listeners: AnyListener[]) => {
    this.add('view', id, listeners);
  }) as App['view'];

  readonly event = ((type: unknown, ...listeners: AnyListener[]) => {
    this.add('event', type, listeners);
  }) as App['event'];

  /** A global or message shortcut, by its callback_id. */
  readonly shortcut = ((id: unknown, ...listeners: AnyListener[]) => {
    this.add('shortcut', id, listeners);
  }) as App['shortcut'];

  /** What is registered, by kind (for checks against manifest.yml). */
  registered(kind: Kind): string[] {
    return [...this.routes[kind].keys()];
  }

  private add(kind: Kind, id: unknown, listeners: AnyListener[]): void {
    if (typeof id !== 'string' || listeners.length !== 1) {
      throw new Error(`ListenerRouter.${kind}: register one function under a string id`);
    }
    if (this.routes[kind].has(id)) throw new Error(`ListenerRouter.${kind}: ${id} is registered twice`);
    this.routes[kind].set(id, listeners[0]!);
  }

  /** The function registered for this request, if any. */
  route(args: Pick<Args, 'body'> & Partial<Record<'command' | 'action' | 'view' | 'event' | 'shortcut', unknown>>) {
    const body = args.body as { type?: string; command?: string; callback_id?: unknown };
    if (typeof body.command === 'string' && args.command) return this.routes.command.get(body.command);
    if (body.type === 'block_actions' && args.action) {
      const id = (args.action as { action_id?: unknown }).action_id;
      return typeof id === 'string' ? this.routes.action.get(id) : undefined;
    }
    if (body.type === 'view_submission' && args.view) {
      return this.routes.view.get((args.view as { callback_id: string }).callback_id);
    }
    if (body.type === 'event_callback' && args.event) {
      return this.routes.event.get((args.event as { type: string }).type);
    }
    if ((body.type === 'message_action' || body.type === 'shortcut') && args.shortcut) {
      return typeof body.callback_id === 'string' ? this.routes.shortcut.get(body.callback_id) : undefined;
    }
    return undefined;
  }

  install(app: App): void {
    app.use(async (args) => {
      const someone = fromSomeone(args.body);
      // Ignored, but audited as what it is (the row shows the sender as given, cut).
      if (!someone) noteOutcome('refused', 'not a Slack user ID');
      const listener = someone ? this.route(args as Args) : undefined;
      if (listener) {
        const form = args.body.type === 'view_submission' && 'ack' in args && typeof args.ack === 'function';
        await listener(form ? { ...args, ack: auditedAck(args.ack as (response?: unknown) => Promise<void>) } : args);
        return;
      }
      args.logger.debug(`Ignored a request no listener takes: ${describe(args.body)}`);
      // Events API requests are acknowledged by Bolt before the middleware; everything else is answered here.
      if ('ack' in args && typeof args.ack === 'function') await args.ack();
    });
  }
}

/**
 * A form's ack that notes a refusal shown in the form (`response_action: errors`) as the request's outcome, so every
 * form refused inline is audited `refused`, whatever listener answered it.
 */
function auditedAck(ack: (response?: unknown) => Promise<void>) {
  return (response?: unknown): Promise<void> => {
    const r = response as { response_action?: unknown; errors?: unknown } | undefined;
    if (r?.response_action === 'errors' && r.errors && typeof r.errors === 'object') {
      noteInlineErrors(r.errors as Record<string, unknown>);
    }
    return ack(response);
  };
}

/**
 * A Slack user ID as Slack writes one (`U…`, or `W…` on Enterprise Grid: capitals and digits). It becomes a mention
 * wherever the bot names the person, so anything else (`<!channel>`, which Slack never sends) names nobody.
 */
const USER_ID = /^[UW][A-Z0-9]*$/;

/** Whether a command or an interaction says who sent it (Events API requests name no sender at the top). */
function fromSomeone(body: unknown): boolean {
  const b = body as { type?: unknown; command?: unknown; user_id?: unknown; user?: { id?: unknown } | null };
  if (typeof b.command === 'string') return typeof b.user_id === 'string' && USER_ID.test(b.user_id);
  if (b.type === 'event_callback') return true;
  return typeof b.user?.id === 'string' && USER_ID.test(b.user.id);
}

/** What the request was, for the debug line: its type and the id that found no listener. */
function describe(body: unknown): string {
  const b = body as {
    type?: unknown;
    command?: unknown;
    callback_id?: unknown;
    actions?: { action_id?: unknown }[];
    view?: { callback_id?: unknown };
    event?: { type?: unknown };
    action_id?: unknown;
  };
  if (typeof b.command === 'string') return `command ${b.command}`;
  const id = b.actions?.[0]?.action_id ?? b.view?.callback_id ?? b.event?.type ?? b.callback_id ?? b.action_id;
  return `${String(b.type ?? 'untyped')}${id === undefined ? '' : ` ${String(id)}`}`;
}
