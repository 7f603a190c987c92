import type { z } from 'zod';

/**
 * zod's own words for a runbook problem ("Invalid input: expected array, received string", "Unrecognized key",
 * "Invalid option: expected one of …", "Too big: expected string to have <=300 characters") put as what to write
 * instead. Passed as the `error` of the runbook's parse: a schema's own message still wins.
 */

const EXPECTED: Readonly<Record<string, string>> = {
  array: 'a list, such as [a, b] or lines starting with "- "',
  object: 'a mapping of keys (key: value)',
  record: 'a mapping of keys (key: value)',
  string: 'a text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** What a value read from YAML is, in words. */
function described(input: unknown): string {
  if (input === null) return 'nothing (the key has no value)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string')
    return `the text ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  if (typeof input === 'number') return `the number ${input}`;
  if (typeof input === 'boolean') return `${input}`;
  if (typeof input === 'object') return 'a mapping';
  return typeof input;
}

/** The longest wrong word quoted back: a typo of a key's word is short (`critcal`); a longer value may be anything. */
const SHOWN_WORD_MAX = 24;

/**
 * A value written where a word of a closed list goes, as a problem says it: quoted when short and plain (`"critcal"`,
 * the typo to fix), else "the value given". Start-up problems are logged, and what was pasted there (a token meant for
 * another key) must not reach the log; a plain word of a few letters is what a list's words look like.
 */
function givenWord(input: unknown): string {
  if (typeof input !== 'string') return described(input);
  return input.length <= SHOWN_WORD_MAX && /^[A-Za-z][A-Za-z0-9 _.-]*$/.test(input)
    ? JSON.stringify(input)
    : 'the value given';
}

/** The keys an object schema takes, when the issue came from one (zod passes the schema that raised it). */
function keysOf(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/** A length (as zod counts it) or a count as a person reads it: 5,000. */
const count = (v: string | readonly unknown[] | number) =>
  (typeof v === 'number' ? v : v.length).toLocaleString('en-US');

export function runbookIssueMessage(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      if (iss.input === undefined) return `missing: add it as runbooks/atom.yml does (${expected})`;
      return `must be ${expected}, not ${described(iss.input)}`;
    }
    case 'unrecognized_keys': {
      const known = keysOf(iss.inst);
      const what =
        iss.keys.length === 1
          ? `unknown key "${iss.keys[0]}"`
          : `unknown keys ${iss.keys.map((k) => `"${k}"`).join(', ')}`;
      return known.length
        ? `${what}; the keys here are ${known.join(', ')}`
        : `${what}; remove it or check its spelling`;
    }
    case 'invalid_value': {
      // A word outside a closed list (level: critcal): the value given, quoted, and every word the key takes.
      const allowed = iss.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      const given = givenWord(iss.input);
      if (iss.input === undefined) return `missing: write one of ${allowed.join(', ')}`;
      return allowed.length === 1 ? `${given} is not ${allowed[0]}` : `${given} is not one of ${allowed.join(', ')}`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'string' && typeof iss.input === 'string')
        return `is ${count(iss.input)} characters long; write at most ${count(max)}`;
      if (iss.origin === 'array' && Array.isArray(iss.input))
        return `has ${count(iss.input)} entries; at most ${count(max)}`;
      if (typeof iss.input === 'number') return `must be at most ${max}, not ${iss.input}`;
      return undefined;
    }
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'string' && min <= 1) return 'is empty: write it';
      if (iss.origin === 'string' && typeof iss.input === 'string')
        return `is ${count(iss.input)} characters long; write at least ${min}`;
      if (iss.origin === 'array' && Array.isArray(iss.input))
        return min <= 1
          ? 'is an empty list: list at least one'
          : `has ${count(iss.input)} entries; list at least ${min}`;
      if (typeof iss.input === 'number') return `must be at least ${min}, not ${iss.input}`;
      return undefined;
    }
    case 'invalid_union':
      if (iss.input === undefined) return 'missing: add it as runbooks/atom.yml does';
      return `${described(iss.input)} is not a form this entry takes: write it as runbooks/atom.yml does`;
    default:
      return undefined;
  }
}
