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

  it('a severity said short (`s1`, `S0`, `s-2:`) declares nothing: asked, with the command meant', () => {
    for (const [typed, meant] of [
      ['s1 db down', '/incident sev1 db down'],
      ['S0 checkout down', '/incident sev0 checkout down'],
      ['s-2: search slow', '/incident sev2 search slow'],
      ['s_1 - api errors', '/incident sev1 api errors'],
      ['declare s1 db down', '/incident sev1 db down'],
      ['new S2 cart slow', '/incident sev2 cart slow'],
      ['s1', '/incident sev1'],
    ]) {
      const r = parseIncidentCommand(typed!);
      expect(r, typed).toMatchObject({ ok: false, kind: 'declare' });
      expect(!r.ok && r.error, typed).toContain(`is not a severity. Did you mean \`${meant}\`?`);
    }
  });

  it('`s3` stays a title word (AWS S3): never read as SEV-3', () => {
    expect(parseIncidentCommand('s3 bucket down')).toMatchObject({
      ok: false,
      error: expect.stringContaining('`/incident sev1 s3 bucket down`'),
    });
    expect(parseIncidentCommand('declare s3 bucket down')).toEqual({
      ok: true,
      command: { kind: 'declare_form', title: 's3 bucket down', private: false },
    });
    expect(parseIncidentCommand('sev2 s3 bucket down')).toEqual(declared(2, 's3 bucket down'));
  });

  it('a first word that only looks a little like one is not taken for a severity', () => {
    for (const typed of ['s3 bucket down', 'dev1 cluster down', 'api slow']) {
      const r = parseIncidentCommand(typed);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/I don't know/);
    }
  });
});
