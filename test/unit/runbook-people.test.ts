import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFY, stepsFor } from '../../src/runbook/people.js';
import { parseRunbook, RunbookError } from '../../src/runbook/runbook.js';
import { testRunbookData } from '../support/test-runbook.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function withPeople(people: unknown, role: Record<string, unknown> = {}) {
  const data = testRunbookData({ contacts: { on_call: ['U0OLIVE'] } });
  return {
    ...data,
    people,
    escalation: {
      ...data.escalation,
      roles: { ...data.escalation.roles, on_call: { ...data.escalation.roles.on_call, ...role } },
    },
  };
}

const problems = (data: unknown): string[] => {
  try {
    parseRunbook(data, 'rb.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    return (err as RunbookError).problems;
  }
  return [];
};

describe('people: and notify: in the runbook file', () => {
  it('reads contact methods by Slack user ID and notification rules of roles and people', () => {
    const rb = parseRunbook(
      withPeople(
        {
          U0OLIVE: {
            name: 'Olive',
            email: 'olive@example.com',
            phone: '+1 555 0100',
            pagerduty: { routing_key: KEY },
            notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1m' }],
          },
        },
        { notify: [{ via: 'slack' }, { via: 'email', after: '2m' }], pagerduty: { routing_key: KEY.toUpperCase() } },
      ),
    );
    expect(rb.people.U0OLIVE).toEqual({
      id: 'U0OLIVE',
      name: 'Olive',
      email: 'olive@example.com',
      phone: '+1 555 0100',
      pagerdutyRoutingKey: KEY,
      notify: [
        { via: 'slack', afterMs: 0 },
        { via: 'pagerduty', afterMs: 60_000 },
      ],
    });
    const role = rb.escalation.roles.on_call!;
    expect(role.notify).toEqual([
      { via: 'slack', afterMs: 0 },
      { via: 'email', afterMs: 120_000 },
    ]);
    expect(role.pagerdutyRoutingKey).toBe(KEY.toUpperCase());
    // The person's rules win; without any, the role's; without those, the Slack DM only.
    expect(stepsFor(rb.people.U0OLIVE, role.notify ?? null)).toEqual(rb.people.U0OLIVE!.notify);
    expect(stepsFor(undefined, role.notify ?? null)).toEqual(role.notify);
    expect(stepsFor(undefined, null)).toEqual(DEFAULT_NOTIFY);
  });

  it('a file without people: or notify: pages by Slack DM only, as before', () => {
    const rb = parseRunbook(testRunbookData());
    expect(rb.people).toEqual({});
    expect(rb.escalation.roles.on_call!.notify).toBeNull();
  });

  it('names a bad routing key (without repeating it), a bad email, a bad step and a bad key of people:', () => {
    const p = problems(
      withPeople(
        {
          U0OLIVE: { email: 'olive at example', pagerduty: { routing_key: 'not-a-key' } },
          alice: { name: 'Alice' },
        },
        { notify: [{ via: 'sms' }, { via: 'email', after: 'soon' }], pagerduty: { routing_key: 'x'.repeat(31) } },
      ),
    );
    expect(p).toContainEqual(expect.stringMatching(/^people\.U0OLIVE\.email: must be an email address/));
    expect(p).toContainEqual(
      expect.stringMatching(
        /^people\.U0OLIVE\.pagerduty\.routing_key: must be a PagerDuty integration key: 32 letters/,
      ),
    );
    expect(p).toContainEqual(
      expect.stringMatching(/^escalation\.roles\.on_call\.pagerduty\.routing_key: .*got 31 characters/),
    );
    expect(p).toContainEqual(expect.stringMatching(/^people\.alice.*Slack user ID/));
    expect(p).toContainEqual(
      expect.stringMatching(
        /^escalation\.roles\.on_call\.notify item 1, via: "sms" is not one of slack, email, pagerduty/,
      ),
    );
    expect(p).toContainEqual(
      expect.stringMatching(/^escalation\.roles\.on_call\.notify item 2, after: "soon" is not a duration/),
    );
    expect(p.join('\n')).not.toContain('not-a-key');
  });

  it('a rule that pages through PagerDuty with no routing key for a contact is named', () => {
    const p = problems(withPeople({ U0OLIVE: { name: 'Olive' } }, { notify: [{ via: 'pagerduty' }] }));
    expect(p).toEqual([
      expect.stringMatching(/escalation\.roles\.on_call: U0OLIVE is notified through PagerDuty but has no routing key/),
    ]);
  });

  it('so is a person of the rotation or of its second layer, once each, while people with a key pass', () => {
    const rotation = {
      people: ['U0ALICE', 'U0BOB'],
      shift: 'weekly',
      handoff: { day: 'monday', time: '09:00', time_zone: 'Europe/London' },
      start: '2026-01-05',
      layer: { people: ['U0SHADOW', 'U0BOB'], hours: { from: '09:00', to: '17:00' } },
    };
    const p = problems(
      withPeople(
        { U0BOB: { pagerduty: { routing_key: KEY } } },
        { contacts: [], rotation, notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1m' }] },
      ),
    );
    expect(p).toEqual([
      'escalation.roles.on_call: U0ALICE (in its rotation) is notified through PagerDuty but has no routing key: add pagerduty: { routing_key } to the role or to people.U0ALICE',
      'escalation.roles.on_call: U0SHADOW (in its rotation) is notified through PagerDuty but has no routing key: add pagerduty: { routing_key } to the role or to people.U0SHADOW',
    ]);
    // A person in the fixed contacts and the rotation is named once; a key on the role covers everyone.
    const both = withPeople({}, { contacts: ['U0ALICE'], rotation, notify: [{ via: 'pagerduty' }] });
    expect(problems(both).filter((s) => s.includes('U0ALICE'))).toHaveLength(1);
    expect(
      problems(
        withPeople({}, { contacts: [], rotation, notify: [{ via: 'pagerduty' }], pagerduty: { routing_key: KEY } }),
      ),
    ).toEqual([]);
  });
});
