import { describe, expect, it } from 'vitest';
import { DomainError, plainText } from '../../src/incidents/errors.js';
import { renderPhrase } from '../../src/templates/text.js';

describe('domain phrases: the domain names people by id, the template renders mentions', () => {
  const phrase = [
    'Only approvers may approve this: ',
    { people: ['U0APPROVER', 'S0ONCALL'] },
    '; ',
    { link: 'https://x.slack.com/archives/C1/p1', label: 'see its output' },
    '.',
  ] as const;

  it('renders users and user groups as mentions, and links as Slack links', () => {
    expect(renderPhrase(phrase)).toBe(
      'Only approvers may approve this: <@U0APPROVER>, <!subteam^S0ONCALL>; <https://x.slack.com/archives/C1/p1|see its output>.',
    );
  });

  it('keeps a plain-text message, people by id, for logs and records', () => {
    const err = new DomainError('not_allowed', phrase);
    expect(err.message).toBe(
      'Only approvers may approve this: U0APPROVER, S0ONCALL; see its output (https://x.slack.com/archives/C1/p1).',
    );
    expect(plainText(err.phrase)).toBe(err.message);
    expect(new DomainError('x', 'words').phrase).toEqual(['words']);
  });
});

describe('typed text in a phrase', () => {
  it('is shown as typed, never read as markup: no mention, no broadcast, no link', () => {
    const phrase = ['*', { typed: '<!channel> db <@U0BOSS> & <https://evil|x>' }, '* is open already.'] as const;
    expect(renderPhrase(phrase)).toBe(
      '*&lt;!channel&gt; db &lt;@U0BOSS&gt; &amp; &lt;https://evil|x&gt;* is open already.',
    );
    expect(plainText(phrase)).toBe('*<!channel> db <@U0BOSS> & <https://evil|x>* is open already.');
  });
});

describe('people of one name in a phrase', () => {
  const phrase = ['`@AliceLiddell` fits several people (', { people: ['U0ALICE', 'U0ALICE2', 'U0BOB'] }, ').'] as const;
  const names = new Map([
    ['U0ALICE', { name: 'Alice Liddell', handle: 'alice' }],
    ['U0ALICE2', { name: 'alice liddell', handle: 'alice2' }],
    ['U0BOB', { name: 'Bob Ross', handle: 'bob' }],
  ]);

  it('are each followed by their handle after the mention (Slack shows both mentions as one name); others are not', () => {
    expect(renderPhrase(phrase, names)).toBe(
      '`@AliceLiddell` fits several people (<@U0ALICE> (alice), <@U0ALICE2> (alice2), <@U0BOB>).',
    );
  });

  it('are mentions alone when a name could not be had, or without names', () => {
    expect(renderPhrase(phrase, new Map([...names].filter(([id]) => id !== 'U0ALICE2')))).toBe(
      '`@AliceLiddell` fits several people (<@U0ALICE>, <@U0ALICE2>, <@U0BOB>).',
    );
    expect(renderPhrase(phrase)).toBe('`@AliceLiddell` fits several people (<@U0ALICE>, <@U0ALICE2>, <@U0BOB>).');
  });
});

describe('a name from the runbook file in a phrase', () => {
  it('is bold and safe in mrkdwn (its own stars and markup shown, not read), plain in the message', () => {
    const err = new DomainError('no_rotation', [{ name: 'DB *Team* <!here>' }, ' has no rotation.']);
    expect(renderPhrase(err.phrase)).toBe('*DB ∗Team∗ &lt;!here&gt;* has no rotation.');
    expect(err.message).toBe('DB *Team* <!here> has no rotation.');
    expect(renderPhrase([{ name: 'x'.repeat(150), max: 20 }])).toBe(`*${'x'.repeat(19)}…*`);
  });
});

describe('a channel in a phrase', () => {
  it('is its link where Slack renders it, and "its channel" in plain text (a form error is not rendered)', () => {
    const err = new DomainError('not_in_channel', ['Only people in ', { channel: 'C0INC1' }, ' may tick its steps.']);
    expect(renderPhrase(err.phrase)).toBe('Only people in <#C0INC1> may tick its steps.');
    expect(err.message).toBe('Only people in its channel may tick its steps.');
  });
});
