import { describe, expect, it } from 'vitest';
import { ListenerRouter } from '../../src/slack/listener-router.js';

describe('ListenerRouter', () => {
  it('takes one function under a string id, once', () => {
    const r = new ListenerRouter();
    r.action('incident_acknowledge', async () => {});
    expect(() => r.action('incident_acknowledge', async () => {})).toThrow(/registered twice/);
    expect(() => r.action(/incident_.*/, async () => {})).toThrow(/string id/);
    expect(() =>
      r.view(
        'incident_resolve_modal',
        async () => {},
        async () => {},
      ),
    ).toThrow(/one function/);
  });

  it('finds the function for a command, a block action, a view submission and an event; nothing for the rest', () => {
    const r = new ListenerRouter();
    const fns = {
      command: async () => {},
      action: async () => {},
      view: async () => {},
      event: async () => {},
    };
    r.command('/incident', fns.command);
    r.action('incident_acknowledge', fns.action);
    r.view('incident_resolve_modal', fns.view);
    r.event('app_mention', fns.event);
    expect(r.route({ body: { command: '/incident' } as never, command: {} })).toBe(fns.command);
    expect(r.route({ body: { command: '/other' } as never, command: {} })).toBeUndefined();
    const action = (id: string) => ({ body: { type: 'block_actions' } as never, action: { action_id: id } });
    expect(r.route(action('incident_acknowledge'))).toBe(fns.action);
    expect(r.route(action('incident_acknowledge_x'))).toBeUndefined();
    const view = (type: string) => ({ body: { type } as never, view: { callback_id: 'incident_resolve_modal' } });
    expect(r.route(view('view_submission'))).toBe(fns.view);
    expect(r.route(view('view_closed'))).toBeUndefined();
    const event = (type: string) => ({ body: { type: 'event_callback' } as never, event: { type } });
    expect(r.route(event('app_mention'))).toBe(fns.event);
    expect(r.route(event('message'))).toBeUndefined();
    expect(r.registered('command')).toEqual(['/incident']);
  });

  it('installs one global middleware that runs the function, or acknowledges and ignores what nobody registered', async () => {
    const r = new ListenerRouter();
    const ran: string[] = [];
    r.command('/incident', async () => {
      ran.push('incident');
    });
    let middleware!: (args: unknown) => Promise<void>;
    r.install({ use: (m: typeof middleware) => (middleware = m) } as never);
    let nexted = 0;
    let acked = 0;
    const debug: string[] = [];
    const args = (body: object) => ({
      body,
      command: {},
      next: async () => {
        nexted++;
      },
      ack: async () => {
        acked++;
      },
      logger: { debug: (line: string) => debug.push(line) },
    });
    await middleware(args({ command: '/incident', user_id: 'U1' }));
    expect(ran).toEqual(['incident']);
    expect(acked).toBe(0);
    await middleware(args({ command: '/unknown', user_id: 'U1' }));
    // A command without the person who typed it has no meaning either.
    await middleware(args({ command: '/incident' }));
    expect(ran).toEqual(['incident']);
    expect(acked).toBe(2);
    expect(nexted).toBe(0);
    expect(debug).toEqual([
      'Ignored a request no listener takes: command /unknown',
      'Ignored a request no listener takes: command /incident',
    ]);
  });
});
