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

  it('installs one Bolt listener per kind, matching exactly the ids registered', () => {
    const r = new ListenerRouter();
    r.action('incident_acknowledge', async () => {});
    r.action('playbook_run_step', async () => {});
    r.view('incident_resolve_modal', async () => {});
    const installed: { kind: string; pattern: RegExp }[] = [];
    const app = {
      action: (pattern: RegExp) => installed.push({ kind: 'action', pattern }),
      view: (pattern: RegExp) => installed.push({ kind: 'view', pattern }),
    };
    r.install(app as never);
    expect(installed.map((i) => i.kind)).toEqual(['action', 'view']);
    const [action, view] = installed.map((i) => i.pattern);
    expect(action!.test('incident_acknowledge')).toBe(true);
    expect(action!.test('playbook_run_step')).toBe(true);
    expect(action!.test('incident_acknowledge_x')).toBe(false);
    expect(action!.test('x_incident_acknowledge')).toBe(false);
    expect(view!.test('incident_resolve_modal')).toBe(true);
    expect(view!.test('incident_acknowledge')).toBe(false);
  });
});
