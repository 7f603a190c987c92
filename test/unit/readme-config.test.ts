/**
 * README's configuration table against the code: every variable the configuration reads has a row, every row names a
 * variable something reads, and a default written as a value is the default (setting the variable to it changes
 * nothing).
 */
import { readFileSync } from 'node:fs';
import { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The rows of the table under "## Configuration": each variable of the first cell, with the Default cell. */
function configurationRows(): { name: string; default: string }[] {
  const section = readme.split('\n## Configuration\n')[1]?.split('\n## ')[0] ?? '';
  const rows: { name: string; default: string }[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split(' | ');
    if (!line.startsWith('| `') || cells.length < 3) continue;
    for (const m of (cells[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)) {
      rows.push({ name: m[1]!, default: (cells[1] ?? '').trim() });
    }
  }
  return rows;
}

/** The variables loadConfig reads, with or without values set. */
function variablesRead(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key);
    },
  });
  loadConfig(env);
  return read;
}

const rows = configurationRows();
const documented = rows.map((r) => r.name);

describe("README's configuration table", () => {
  it('has a row for every variable the configuration reads, once', () => {
    const read = [...variablesRead()];
    expect(read.length).toBeGreaterThan(40);
    for (const name of read) expect(documented, `${name} is read: add its row`).toContain(name);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('names only variables the configuration reads, or the tests read (TEST_…) with the default it gives', () => {
    const read = variablesRead();
    const support = ['test-db.ts', 'upstash-rest.ts']
      .map((f) => readFileSync(new URL(`../support/${f}`, import.meta.url), 'utf8'))
      .join('\n');
    for (const { name, default: def } of rows) {
      if (read.has(name)) continue;
      expect(name, `${name} is in the table but nothing reads it`).toMatch(/^TEST_/);
      const value = /^`([^`]+)`$/.exec(def)?.[1];
      expect(support).toContain(`process.env.${name} ?? '${value}'`);
    }
  });

  it('gives each default written as a value: setting a variable to its documented default changes nothing', () => {
    const defaults = new Map<string, string>();
    for (const { name, default: def } of rows) {
      const value = /^`([^`]+)`$/.exec(def)?.[1];
      if (value !== undefined && !name.startsWith('TEST_')) defaults.set(name, value);
    }
    expect(defaults.size).toBeGreaterThan(20);
    const unset = loadConfig({});
    for (const [name, value] of defaults) {
      if (name === 'SLACK_API_URL') {
        // Unset, the bot leaves the URL to the Slack Web API client, whose own default this must be.
        expect(unset.slack.apiUrl).toBeUndefined();
        expect(new WebClient().slackApiUrl).toBe(value);
        continue;
      }
      expect(loadConfig({ [name]: value }), `${name}=${value}`).toEqual(unset);
    }
  });
});
