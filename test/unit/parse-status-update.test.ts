import { describe, expect, it } from 'vitest';
import { BLOCK, FLAG, INPUT } from '../../src/templates/ids.js';
import { parseResolveSummary, parseStatusUpdate } from '../../src/views/parse-status-update.js';

type StateValues = Parameters<typeof parseStatusUpdate>[0];

const NOW = new Date('2026-11-27T23:14:00.000Z');
const inMinutes = (m: number) => Math.floor(NOW.getTime() / 1000) + m * 60;

interface Form {
  status?: string | null;
  affected?: string | null;
  impact?: string | null;
  currentStatus?: string | null;
  mitigation?: string | null;
  nextUpdate?: number | null;
  flags?: string[] | null;
  /** The "Publish to status page" box: ticked, unticked, or (undefined) a form without it. */
  publish?: boolean;
}

/** `view.state.values` as Slack sends it for the status update modal; a field set to `undefined` is left out. */
function makeValues(overrides: Form = {}): StateValues {
  const f: Form = {
    status: 'investigating',
    affected: 'EU customers',
    impact: 'Checkout fails',
    currentStatus: 'Primary DB refuses connections',
    mitigation: 'Failing over',
    nextUpdate: inMinutes(30),
    flags: [],
    ...overrides,
  };
  const values: StateValues = {};
  const put = (block: string, action: string, value: Record<string, unknown>) => {
    values[block] = { [action]: value };
  };
  const text = (v: string | null | undefined) => ({ type: 'plain_text_input', value: v });
  if ('status' in f && f.status !== undefined) {
    put(BLOCK.updStatus, INPUT.status, {
      type: 'static_select',
      selected_option: f.status === null ? null : { text: { type: 'plain_text', text: f.status }, value: f.status },
    });
  }
  if (f.affected !== undefined) put(BLOCK.updAffected, INPUT.affected, text(f.affected));
  if (f.impact !== undefined) put(BLOCK.updImpact, INPUT.impact, text(f.impact));
  if (f.currentStatus !== undefined) put(BLOCK.updCurrentStatus, INPUT.currentStatus, text(f.currentStatus));
  if (f.mitigation !== undefined) put(BLOCK.updMitigation, INPUT.mitigation, text(f.mitigation));
  if (f.nextUpdate !== undefined) {
    put(BLOCK.updNextUpdate, INPUT.nextUpdate, { type: 'datetimepicker', selected_date_time: f.nextUpdate });
  }
  if (f.flags !== undefined) {
    put(BLOCK.updFlags, INPUT.flags, {
      type: 'checkboxes',
      selected_options:
        f.flags === null ? null : f.flags.map((v) => ({ text: { type: 'plain_text', text: v }, value: v })),
    });
  }
  if (f.publish !== undefined) {
    put(BLOCK.updPublish, INPUT.publish, {
      type: 'checkboxes',
      selected_options: f.publish ? [{ text: { type: 'plain_text', text: 'Publish' }, value: FLAG.publish }] : [],
    });
  }
  return values;
}

const parseOk = (o: Form = {}) => {
  const r = parseStatusUpdate(makeValues(o), NOW);
  if (!r.ok) throw new Error(`expected a valid form, got ${JSON.stringify(r.errors)}`);
  return r.value;
};
const parseErrors = (values: StateValues) => {
  const r = parseStatusUpdate(values, NOW);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.value)}`);
  return r.errors;
};

describe('parseStatusUpdate', () => {
  it('turns a valid form into a StatusUpdateInput', () => {
    expect(parseOk()).toEqual({
      status: 'investigating',
      affected: 'EU customers',
      currentImpact: 'Checkout fails',
      currentStatus: 'Primary DB refuses connections',
      mitigationSteps: 'Failing over',
      nextUpdateAt: new Date(inMinutes(30) * 1000),
      customerImpact: false,
      dataLossRisk: false,
      publish: false,
    });
  });

  it('publishes only when "Publish to status page" is ticked; a form without the box does not', () => {
    expect(parseOk({ publish: true }).publish).toBe(true);
    expect(parseOk({ publish: false }).publish).toBe(false);
    expect(parseOk({ publish: undefined }).publish).toBe(false);
    // A box ticked under another value (a forged or stale form) is not a publication.
    const values = makeValues();
    values[BLOCK.updPublish] = {
      [INPUT.publish]: { type: 'checkboxes', selected_options: [{ value: FLAG.customerImpact }] },
    };
    const r = parseStatusUpdate(values, NOW);
    expect(r.ok && r.value.publish).toBe(false);
  });

  it('a required field of only invisible characters (a zero-width space) is as good as empty', () => {
    expect(Object.keys(parseErrors(makeValues({ affected: '\u200b', currentStatus: '\u2060 \ufeff' }))).sort()).toEqual(
      [BLOCK.updAffected, BLOCK.updCurrentStatus].sort(),
    );
  });

  it.each(['investigating', 'mitigated', 'resolved'] as const)('accepts status %s', (status) => {
    expect(parseOk({ status }).status).toBe(status);
  });

  it('trims text and keeps inner newlines of multiline fields', () => {
    const v = parseOk({ affected: '  EU  ', currentStatus: '\n line one\nline two \n' });
    expect(v.affected).toBe('EU');
    expect(v.currentStatus).toBe('line one\nline two');
  });

  it('keeps emoji and non-Latin text as written', () => {
    expect(parseOk({ currentStatus: '🔥 データベース停止' }).currentStatus).toBe('🔥 データベース停止');
  });

  it('treats the mitigation steps as optional', () => {
    expect(parseOk({ mitigation: undefined }).mitigationSteps).toBe('');
    expect(parseOk({ mitigation: null }).mitigationSteps).toBe('');
  });

  it.each([
    ['affected', BLOCK.updAffected],
    ['impact', BLOCK.updImpact],
    ['currentStatus', BLOCK.updCurrentStatus],
  ] as const)('a missing, null or blank %s is an error on block %s', (field, block) => {
    for (const value of [undefined, null, '', '   \n ']) {
      const errors = parseErrors(makeValues({ [field]: value }));
      expect(Object.keys(errors)).toEqual([block]);
      expect(errors[block]).toMatch(/\w/);
    }
  });

  it('a missing or unknown status is an error on the status block', () => {
    for (const status of [undefined, null, 'on_fire', '']) {
      const errors = parseErrors(makeValues({ status }));
      expect(errors[BLOCK.updStatus]).toBe('Choose Investigating, Mitigated or Resolved.');
    }
  });

  it('reports every missing required field at once, keyed by block_id', () => {
    const errors = parseErrors({});
    expect(Object.keys(errors).sort()).toEqual(
      [BLOCK.updStatus, BLOCK.updAffected, BLOCK.updImpact, BLOCK.updCurrentStatus].sort(),
    );
    const noDate = parseErrors(makeValues({ affected: '', nextUpdate: undefined }));
    expect(Object.keys(noDate).sort()).toEqual([BLOCK.updAffected, BLOCK.updNextUpdate].sort());
  });

  it('ignores values of the wrong shape instead of throwing', () => {
    const values = makeValues();
    values[BLOCK.updAffected] = { [INPUT.affected]: { type: 'plain_text_input', value: 42 } };
    values[BLOCK.updNextUpdate] = { [INPUT.nextUpdate]: { type: 'datetimepicker', selected_date_time: 'soon' } };
    const errors = parseErrors(values);
    expect(Object.keys(errors).sort()).toEqual([BLOCK.updAffected, BLOCK.updNextUpdate].sort());
  });

  describe('next update', () => {
    it('in the past is an error', () => {
      const errors = parseErrors(makeValues({ nextUpdate: inMinutes(-10) }));
      expect(errors).toEqual({ [BLOCK.updNextUpdate]: 'The next update must be in the future.' });
    });

    it('allows a minute of clock skew', () => {
      expect(parseOk({ nextUpdate: inMinutes(-0.5) }).nextUpdateAt).toEqual(new Date(inMinutes(-0.5) * 1000));
      expect(parseErrors(makeValues({ nextUpdate: inMinutes(-2) }))).toHaveProperty(BLOCK.updNextUpdate);
    });

    it('is required while the incident is open', () => {
      for (const status of ['investigating', 'mitigated']) {
        const errors = parseErrors(makeValues({ status, nextUpdate: undefined }));
        expect(errors).toEqual({ [BLOCK.updNextUpdate]: 'Pick when the next update will come.' });
        expect(parseErrors(makeValues({ status, nextUpdate: null }))).toHaveProperty(BLOCK.updNextUpdate);
      }
    });

    it('is optional, and may be past, when the update resolves the incident', () => {
      expect(parseOk({ status: 'resolved', nextUpdate: undefined }).nextUpdateAt).toBeNull();
      expect(parseOk({ status: 'resolved', nextUpdate: inMinutes(-60) }).nextUpdateAt).toEqual(
        new Date(inMinutes(-60) * 1000),
      );
    });
  });

  describe('flags', () => {
    it.each([
      [[], false, false],
      [[FLAG.customerImpact], true, false],
      [[FLAG.dataLossRisk], false, true],
      [[FLAG.dataLossRisk, FLAG.customerImpact], true, true],
      [['something_else'], false, false],
    ])('checkboxes %j -> customerImpact %s, dataLossRisk %s', (flags, customerImpact, dataLossRisk) => {
      const v = parseOk({ flags });
      expect(v.customerImpact).toBe(customerImpact);
      expect(v.dataLossRisk).toBe(dataLossRisk);
    });

    it('treats a missing or null checkbox group as no flags', () => {
      for (const flags of [undefined, null]) {
        const v = parseOk({ flags });
        expect([v.customerImpact, v.dataLossRisk]).toEqual([false, false]);
      }
    });
  });
});

describe('parseResolveSummary', () => {
  const values = (value: unknown): StateValues => ({
    [BLOCK.resolveSummary]: { [INPUT.summary]: { type: 'plain_text_input', value } },
  });

  it('returns the summary, trimmed, with whitespace collapsed to one line', () => {
    expect(parseResolveSummary(values('  Restarted the primary;\n\npool   leak  '))).toEqual({
      ok: true,
      value: 'Restarted the primary; pool leak',
    });
  });

  it.each([[''], ['   \n\t '], [null], [undefined], [42]])('an empty summary (%j) is an error on its block', (v) => {
    expect(parseResolveSummary(values(v))).toEqual({
      ok: false,
      errors: { [BLOCK.resolveSummary]: 'Write one line on what fixed it.' },
    });
  });

  it('a missing block is an error on the summary block', () => {
    expect(parseResolveSummary({})).toEqual({
      ok: false,
      errors: { [BLOCK.resolveSummary]: 'Write one line on what fixed it.' },
    });
  });

  it('accepts 300 characters and rejects 301, naming the limit', () => {
    expect(parseResolveSummary(values('a'.repeat(300)))).toEqual({ ok: true, value: 'a'.repeat(300) });
    const r = parseResolveSummary(values('a'.repeat(301)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[BLOCK.resolveSummary]).toContain('300');
  });

  it('measures the length after trimming', () => {
    expect(parseResolveSummary(values(`   ${'a'.repeat(300)}   `))).toEqual({ ok: true, value: 'a'.repeat(300) });
  });
});
