import type { AllMiddlewareArgs, App, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';

type ActionArgs = SlackActionMiddlewareArgs & AllMiddlewareArgs;
type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;
// biome-ignore lint/suspicious/noExplicitAny: handlers are typed where they are written (app.action<…>(id, fn)).
type AnyListener = (args: any) => Promise<void>;

/** Where listeners register their block actions and view submissions: the subset of Bolt's App they use. */
export type ListenerRegistry = Pick<App, 'action' | 'view'>;

/**
 * Bolt runs the matchers of every registered listener on every request, so each listener adds to the time of every
 * ack. The bot's block actions and view submissions go through one Bolt listener each, which dispatches on
 * `action_id` / `callback_id`. Handlers register on the router exactly as on the app (`router.action(id, fn)`), with a
 * string id and one function; `install` registers the two Bolt listeners, matching only the ids registered.
 */
export class ListenerRouter implements ListenerRegistry {
  private readonly actions = new Map<string, AnyListener>();
  private readonly views = new Map<string, AnyListener>();

  readonly action = ((id: unknown, ...listeners: AnyListener[]) => {
    this.add(this.actions, 'action', id, listeners);
  }) as App['action'];

  readonly view = ((id: unknown, ...listeners: AnyListener[]) => {
    this.add(this.views, 'view', id, listeners);
  }) as App['view'];

  private add(map: Map<string, AnyListener>, kind: string, id: unknown, listeners: AnyListener[]): void {
    if (typeof id !== 'string' || listeners.length !== 1) {
      throw new Error(`ListenerRouter.${kind}: register one function under a string id`);
    }
    if (map.has(id)) throw new Error(`ListenerRouter.${kind}: ${id} is registered twice`);
    map.set(id, listeners[0]!);
  }

  install(app: App): void {
    if (this.actions.size > 0) {
      app.action(exactly([...this.actions.keys()]), async (args: ActionArgs) => {
        const id = 'action_id' in args.action ? args.action.action_id : undefined;
        const listener = id === undefined ? undefined : this.actions.get(id);
        if (listener) await listener(args);
      });
    }
    if (this.views.size > 0) {
      app.view(exactly([...this.views.keys()]), async (args: ViewArgs) => {
        const listener = this.views.get(args.view.callback_id);
        if (listener) await listener(args);
      });
    }
  }
}

/** A pattern matching exactly one of `ids`. */
function exactly(ids: string[]): RegExp {
  return new RegExp(`^(?:${ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
}
