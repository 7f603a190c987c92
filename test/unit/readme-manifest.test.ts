/**
 * What README's "Create the Slack app from manifest.yml" says the app asks for is what manifest.yml asks for: the
 * same bot scopes, each said what for, and the same event subscriptions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
};
const section = readme.split('\n## Create the Slack app from `manifest.yml`\n')[1]?.split('\n### ')[0] ?? '';
const scopesParagraph = section.slice(section.indexOf('Bot scopes, each used:'));

describe('README on creating the Slack app', () => {
  it('names exactly the bot scopes manifest.yml asks for', () => {
    const named = new Set([...scopesParagraph.matchAll(/`([a-z_]+:[a-z_.]+|commands)`/g)].map((m) => m[1]!));
    expect(scopesParagraph.length).toBeGreaterThan(0);
    expect([...named].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
  });

  it('names the events manifest.yml subscribes to', () => {
    const events = manifest.settings.event_subscriptions.bot_events;
    expect(events.length).toBeGreaterThan(0);
    const sentence = /subscribes to ([^.]+)\./.exec(scopesParagraph.replace(/\n/g, ' '))?.[1] ?? '';
    expect([...sentence.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).sort()).toEqual([...events].sort());
  });
});
