import { describe, expect, it } from 'vitest';
import { auditRequests } from '../../src/audit/middleware.js';
import { PerMinuteBudget } from '../../src/audit/per-minute.js';
import { noteOutcome } from '../../src/audit/request-context.js';
import type { AuditEntry } from '../../src/incidents/audit.service.js';

describe('PerMinuteBudget', () => {
  it('lets the limit through each minute, and says how many it held back when the next minute opens', () => {
    let t = 0;
    const budget = new PerMinuteBudget(2, () => t);
    expect([budget.take(), budget.take(), budget.take(), budget.take()].map((r) => r.write)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    t = 60_000;
    expect(budget.take()).toEqual({ write: true, heldBefore: 2 });
    expect(budget.take()).toEqual({ write: true, heldBefore: 0 });
  });
});

describe('the audit middleware under a flood', () => {
  const command = (n: number) => ({
    command: '/incident',
    text: `sev1 flood ${n}`,
    user_id: 'U0FLOOD',
    channel_id: 'C0FLOOD',
    team_id: 'T1',
    trigger_id: `t${n}`,
  });

  it('writes a few overload refusals a minute and a count of the rest; other outcomes one row each', async () => {
    const rows: AuditEntry[] = [];
    let t = 0;
    const mw = auditRequests({ record: async (e) => void rows.push(e) }, new PerMinuteBudget(3, () => t));
    const run = (n: number, outcome: () => void) =>
      mw({ body: command(n), context: {}, next: async () => outcome() } as never);
    for (let n = 0; n < 10; n++) await run(n, () => noteOutcome('refused', 'overloaded: the work gate is full'));
    await run(10, () => noteOutcome('ok'));
    expect(rows.filter((r) => r.outcome === 'refused')).toHaveLength(3);
    expect(rows.filter((r) => r.outcome === 'ok')).toHaveLength(1);
    t = 60_000;
    await run(11, () => noteOutcome('refused', 'overloaded: the work gate is full'));
    const count = rows.find((r) => r.action === 'overloaded');
    expect(count?.reason).toBe(
      '7 more requests refused while the bot was overloaded in the minute before, not written one by one',
    );
    expect(rows.at(-1)?.details).toMatchObject({ command: expect.stringContaining('sev1 flood 11') });
  });
});
