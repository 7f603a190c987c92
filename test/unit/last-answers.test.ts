import { describe, expect, it } from 'vitest';
import { lastAnswers } from '../../src/runbook/last-answers.js';

describe('lastAnswers', () => {
  it('asks once per key while it is kept, and gives the same answer', () => {
    const asked: string[] = [];
    const f = lastAnswers(2, (k: string) => {
      asked.push(k);
      return k.length;
    });
    expect([f('db down'), f('db down'), f('ddos'), f('db down')]).toEqual([7, 7, 4, 7]);
    expect(asked).toEqual(['db down', 'ddos']);
  });

  it('lets go of the key asked least recently past its size, and asks again for it', () => {
    const asked: string[] = [];
    const f = lastAnswers(2, (k: string) => {
      asked.push(k);
      return k === 'breach';
    });
    f('a');
    f('b');
    f('a'); // a is now newer than b
    f('breach'); // b goes
    expect(f('a')).toBe(false);
    expect(f('breach')).toBe(true);
    f('b');
    expect(asked).toEqual(['a', 'b', 'breach', 'b']);
  });
});
