import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../src/commands/parse-incident-command.js';

const declared = (severity: number, title: string) => ({
  ok: true,
  command: { kind: 'declare', severity, title, private: false },
});

describe('a severity typed as people type it in a hurry', () => {
  it('a colon after the severity (`SEV1: db down`, as titles are often written) declares', () => {
    expect(parseIncidentCommand('SEV1: db down')).toEqual(declared(1, 'db down'));
    expect(parseIncidentCommand('sev-2: checkout errors')).toEqual(declared(2, 'checkout errors'));
    expect(parseIncidentCommand('sev 0: payments down')).toEqual(declared(0, 'payments down'));
    expect(parseIncidentCommand('declare sev3: slow search')).toEqual({
      ok: true,
      command: { kind: 'declare', severity: 3, title: 'slow search', private: false, explicit: true },
    });
    // Alone, in an incident channel: the severity change.
    expect(parseIncidentCommand('sev0:')).toEqual({ ok: true, command: { kind: 'set_severity', severity: 0 } });
  });

  it('a level out of range with a colon is still answered as a bad severity', () => {
    const r = parseIncidentCommand('sev7: db down');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/is not a severity/);
  });

  it('a misspelt `sev` is answered with the command meant, the typo left out of the title', () => {
    for (const typed of ['sve1', 'sec1', 'se1', 'seev1', 'SVE-1']) {
      const r = parseIncidentCommand(`${typed} db down`);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toContain(`\`${typed}\` is not a severity`);
      expect(!r.ok && r.error).toContain('`/incident sev1 db down`');
      expect(!r.ok && r.error).not.toContain(`sev1 ${typed}`);
    }
  });

  it('a first word that only looks a little like one is not taken for a severity', () => {
    for (const typed of ['s3 bucket down', 'dev1 cluster down', 'api slow']) {
      const r = parseIncidentCommand(typed);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/I don't know/);
    }
  });
});
