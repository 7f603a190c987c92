import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../src/commands/parse-incident-command.js';
import { SUBCOMMAND_ROWS, USAGE, usageForm } from '../../src/commands/subcommands.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The rows of README's "What people type" table: each `/incident …` form of the first cell, with the Where cell. */
function readmeRows(): { form: string; where: string }[] {
  const section = readme.split(/^## What people type$/m)[1]?.split(/^#{1,3} /m)[0] ?? '';
  const rows = section.split('\n').filter((l) => /^\| `/.test(l));
  return rows.flatMap((row) => {
    const [, command = '', where = ''] = row.split('|').map((c) => c.trim());
    const forms = [...command.matchAll(/`\/incident ?([^`]*)`/g)].map((m) => m[1]!);
    // `/incident` alone is help, which the table lists as `/incident help`.
    return forms.filter((f) => f !== '').map((form) => ({ form, where }));
  });
}

describe('the subcommand table', () => {
  it('README lists exactly its subcommands, each with where it works', () => {
    const inReadme = readmeRows();
    expect(inReadme.length).toBeGreaterThan(0);
    const inTable = SUBCOMMAND_ROWS.map(([, spec]) => ({ form: usageForm(spec), where: spec.where }));
    expect([...inReadme].sort((a, b) => a.form.localeCompare(b.form))).toEqual(
      [...inTable].sort((a, b) => a.form.localeCompare(b.form)),
    );
  });

  it('every name and alias parses to its own row, and the help shows every usage line', () => {
    for (const [kind, spec] of SUBCOMMAND_ROWS) {
      for (const name of spec.names) {
        // A row whose text is required is typed with one; a row that takes a severity, with one.
        const typed = spec.args === 'severity' ? `${name} sev1` : spec.text?.required ? `${name} a text` : name;
        const r = parseIncidentCommand(typed);
        expect(r.ok && r.command.kind).toBe(kind);
      }
      expect(USAGE).toContain(spec.usage);
    }
  });

  it('each usage form parses to its row', () => {
    for (const [kind, spec] of SUBCOMMAND_ROWS) {
      const form = usageForm(spec).replace(/ \[[a-z]+\]$/, '');
      const r = parseIncidentCommand(form);
      expect(r.ok && r.command.kind).toBe(kind);
    }
  });

  it('the help ends with the message shortcuts, by the names manifest.yml gives them', () => {
    const manifest = readFileSync(fileURLToPath(new URL('../../manifest.yml', import.meta.url)), 'utf8');
    for (const name of ['Declare incident', 'Add to incident timeline']) {
      expect(manifest).toContain(`- name: ${name}`);
      expect(USAGE).toContain(`*${name}* — `);
    }
  });

  it('no two rows share a name', () => {
    const names = SUBCOMMAND_ROWS.flatMap(([, spec]) => spec.names);
    expect(new Set(names).size).toBe(names.length);
  });
});
