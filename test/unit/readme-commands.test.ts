/**
 * README's "What people type" table against the subcommand table: every name and alias the parser takes is in its
 * row (that each parses to its row is test/unit/subcommands.test.ts), so nobody meets a word the bot understands that the documentation never mentions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUBCOMMAND_ROWS, usageForm } from '../../src/commands/subcommands.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.split(/^## What people type$/m)[1]?.split(/^#{1,3} /m)[0] ?? '';
const rows = section.split('\n').filter((l) => l.startsWith('| `/incident'));

describe('README\'s "What people type" table', () => {
  it("names every subcommand's names and aliases in that subcommand's row", () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const [kind, spec] of SUBCOMMAND_ROWS) {
      const form = usageForm(spec);
      const row = rows.find((r) =>
        [...(r.split(' | ')[0] ?? '').matchAll(/`\/incident ?([^`]*)`/g)].some((m) => m[1] === form),
      );
      expect(row, `a row for /incident ${form}`).toBeDefined();
      for (const name of spec.names) {
        const typed = new RegExp(`\`(/incident )?${name.replace(/[-]/g, '\\-')}[\` ]`);
        expect(row, `${kind}: \`${name}\` is taken by the parser; name it in its row`).toMatch(typed);
      }
    }
  });
});
