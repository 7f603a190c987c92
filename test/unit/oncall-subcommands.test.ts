import { describe, expect, it } from 'vitest';
import { ONCALL_FORMS, ONCALL_SUBCOMMANDS, parseOnCall } from '../../src/commands/parse-oncall.js';

describe('the on-call subcommands of a word of their own are rows of one table', () => {
  it('each row is read by its names and shown in the forms', () => {
    for (const [kind, row] of Object.entries(ONCALL_SUBCOMMANDS)) {
      expect(ONCALL_FORMS).toContain(row.form);
      for (const name of row.names) {
        const typed = kind === 'cancel' ? `${name} 12` : name;
        expect(parseOnCall(typed), typed).toMatchObject({ ok: true, command: { kind } });
      }
    }
    expect(Object.keys(ONCALL_SUBCOMMANDS).sort()).toEqual(['cancel', 'overrides']);
  });

  it('reads them as before', () => {
    expect(parseOnCall('overrides')).toEqual({ ok: true, command: { kind: 'overrides' } });
    expect(parseOnCall('Swaps')).toEqual({ ok: true, command: { kind: 'overrides' } });
    expect(parseOnCall('cancel #7')).toEqual({ ok: true, command: { kind: 'cancel', id: 7 } });
    const extra = parseOnCall('swaps now');
    expect(extra.ok).toBe(false);
    if (!extra.ok) expect(extra.error).toMatch(/^`\/incident oncall swaps` takes nothing after it\.\nForms: /);
    const bad = parseOnCall('cancel bob');
    if (!bad.ok) expect(bad.error).toMatch(/^Name the override or swap to cancel by its number/);
    expect(bad.ok).toBe(false);
    expect(parseOnCall('cancel 1 2').ok).toBe(false);
  });
});
