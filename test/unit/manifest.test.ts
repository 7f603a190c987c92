import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { register as registerActions } from '../../src/actions/index.js';
import { COMMANDS, register as registerCommands } from '../../src/commands/index.js';
import { SUBCOMMAND_ROWS, usageForm } from '../../src/commands/subcommands.js';
import { EVENTS, register as registerEvents } from '../../src/events/index.js';
import { ListenerRouter } from '../../src/slack/listener-router.js';
import { SHORTCUT } from '../../src/templates/ids.js';

interface Manifest {
  display_information?: { name?: string };
  features?: {
    bot_user?: { display_name?: string };
    app_home?: { home_tab_enabled?: boolean; messages_tab_enabled?: boolean; messages_tab_read_only_enabled?: boolean };
    slash_commands?: {
      command: string;
      url?: string;
      description?: string;
      usage_hint?: string;
      should_escape?: boolean;
    }[];
    shortcuts?: { name: string; type: string; callback_id: string; description: string }[];
  };
  oauth_config?: { scopes?: { bot?: string[] } };
  settings?: {
    event_subscriptions?: { request_url?: string; bot_events?: string[] };
    interactivity?: { is_enabled?: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
  };
}

const manifest = parse(readFileSync(fileURLToPath(new URL('../../manifest.yml', import.meta.url)), 'utf8')) as Manifest;
const commands = (manifest.features?.slash_commands ?? []).map((c) => c.command);
const events = manifest.settings?.event_subscriptions?.bot_events ?? [];
const scopes = manifest.oauth_config?.scopes?.bot ?? [];

describe('manifest.yml', () => {
  it('parses and names the app and its bot user', () => {
    expect(manifest.display_information?.name).toBeTruthy();
    expect(manifest.features?.bot_user?.display_name).toBeTruthy();
  });

  it('every slash command in the manifest has a listener', () => {
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(COMMANDS as readonly string[]).toContain(c);
  });

  it('every listened-to slash command is in the manifest', () => {
    for (const c of COMMANDS) expect(commands).toContain(c);
    expect(new Set(commands).size).toBe(commands.length);
  });

  it('every bot event in the manifest has a listener', () => {
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(EVENTS as readonly string[]).toContain(e);
  });

  it("its shortcuts are exactly those with a listener, within Slack's lengths", () => {
    const router = new ListenerRouter();
    registerActions(router, {} as never);
    const shortcuts = manifest.features?.shortcuts ?? [];
    expect(shortcuts.map((s) => s.callback_id).sort()).toEqual(router.registered('shortcut').sort());
    expect(shortcuts.map((s) => s.callback_id)).toContain(SHORTCUT.declareFromMessage);
    for (const s of shortcuts) {
      expect(s.name.length).toBeLessThanOrEqual(25);
      expect(s.description.length).toBeLessThanOrEqual(50);
      expect(['message', 'global']).toContain(s.type);
    }
  });

  it('every listened-to event is subscribed in the manifest', () => {
    for (const e of EVENTS) expect(events).toContain(e);
  });

  it('the commands and events the app registers are exactly COMMANDS and EVENTS', () => {
    const router = new ListenerRouter();
    registerCommands(router, {} as never);
    registerEvents(router, {} as never);
    expect(router.registered('command').sort()).toEqual([...COMMANDS].sort());
    expect(router.registered('event').sort()).toEqual([...EVENTS].sort());
  });

  it('enables interactivity (buttons and modals) and uses HTTP, not Socket Mode', () => {
    expect(manifest.settings?.interactivity?.is_enabled).toBe(true);
    expect(manifest.settings?.socket_mode_enabled).toBe(false);
  });

  it('points commands, events and interactivity at the same Bolt endpoint', () => {
    const urls = [
      ...(manifest.features?.slash_commands ?? []).map((c) => c.url),
      manifest.settings?.event_subscriptions?.request_url,
      manifest.settings?.interactivity?.request_url,
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(new Set(urls).size).toBe(1);
  });

  it('asks for the scopes the bot uses', () => {
    for (const s of ['commands', 'chat:write', 'channels:manage', 'pins:write']) expect(scopes).toContain(s);
    // Each subscribed event needs its read scope.
    if (events.includes('app_mention')) expect(scopes).toContain('app_mentions:read');
  });

  it('enables the Home tab (published on app_home_opened) and a Messages tab people can write in', () => {
    expect(manifest.features?.app_home).toEqual({
      home_tab_enabled: true,
      messages_tab_enabled: true,
      messages_tab_read_only_enabled: false,
    });
    expect(events).toContain('app_home_opened');
  });

  it('asks for the scopes of the follow-up: files for documents, users for owners typed as @name and names', () => {
    for (const s of ['files:write', 'users:read']) expect(scopes).toContain(s);
  });

  it('asks for the scopes that find what a stopped process already posted: its card (channel history), a page DM (the DM and its history)', () => {
    for (const s of ['channels:history', 'groups:history', 'im:write', 'im:history']) expect(scopes).toContain(s);
  });

  it('asks for the scope of every Slack Web API method the code calls, in public and private channels alike', () => {
    // Per Slack's method reference: the bot-token scopes each method needs. The incident channel is private for a
    // private incident (conversations.create with is_private), so the channel methods need the private-channel scope
    // too; conversations.history also reads the bot's direct messages. A method the code starts calling must be added.
    const METHOD_SCOPES: Record<string, readonly string[]> = {
      'auth.test': [],
      'chat.delete': ['chat:write'],
      'chat.getPermalink': [],
      'chat.postEphemeral': ['chat:write'],
      'chat.postMessage': ['chat:write', 'chat:write.public'],
      'chat.update': ['chat:write'],
      'conversations.archive': ['channels:manage', 'groups:write'],
      'conversations.create': ['channels:manage', 'groups:write'],
      'conversations.history': ['channels:history', 'groups:history', 'im:history'],
      'conversations.info': ['channels:read', 'groups:read'],
      'conversations.join': ['channels:join'],
      'conversations.invite': ['channels:manage', 'groups:write'],
      'conversations.list': ['channels:read'],
      'conversations.members': ['channels:read', 'groups:read'],
      'conversations.open': ['im:write'],
      'conversations.replies': ['channels:history', 'groups:history'],
      'conversations.setTopic': ['channels:manage', 'groups:write'],
      'files.uploadV2': ['files:write'],
      'pins.add': ['pins:write'],
      'usergroups.list': ['usergroups:read'],
      'usergroups.users.list': ['usergroups:read'],
      'users.info': ['users:read'],
      'users.list': ['users:read'],
      'views.open': [],
      'views.publish': [],
    };
    const src = fileURLToPath(new URL('../../src', import.meta.url));
    // The bot's own code; the local Slack (the console's stand-in) answers these methods rather than calling them.
    const files = (readdirSync(src, { recursive: true }) as string[]).filter(
      (f) => f.endsWith('.ts') && !/^(local-slack|console)[/\\]/.test(f),
    );
    const called = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(src, f), 'utf8');
      for (const m of text.matchAll(/\bclient\s*\.\s*([a-z]+(?:\s*\.\s*[a-z]+)?)\s*\.\s*([a-zA-Z]+)\s*\(/g))
        called.add(`${m[1]?.replace(/\s/g, '')}.${m[2]}`);
      if (/\.filesUploadV2\s*\(/.test(text)) called.add('files.uploadV2');
    }
    expect(called.size).toBeGreaterThan(10);
    for (const method of called) {
      expect(Object.keys(METHOD_SCOPES), `${method} is called: add it with its scopes`).toContain(method);
      for (const scope of METHOD_SCOPES[method] ?? []) expect(scopes, `${method} needs ${scope}`).toContain(scope);
    }
  });

  it('does not escape slash command text (the parser reads raw text)', () => {
    for (const c of manifest.features?.slash_commands ?? []) expect(c.should_escape).toBe(false);
  });

  it('the usage hint of /incident lists every subcommand of the table, in its order, within the 1000 characters Slack allows', () => {
    const incident = manifest.features?.slash_commands?.find((c) => c.command === '/incident');
    const expected = SUBCOMMAND_ROWS.map(([, spec]) => usageForm(spec)).join(' | ');
    expect(incident?.usage_hint).toBe(expected);
    expect(expected.length).toBeLessThanOrEqual(1000);
  });
});
