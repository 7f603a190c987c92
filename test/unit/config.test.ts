import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configSecrets,
  incidentsChannelName,
  loadConfig,
  readIncidentsChannel,
} from '../../src/config.js';

const BOT = 'xoxb-1111-2222-S3CR3TBOTTOKEN';
const SIGNING = 'signing-s3cr3t-0123456789abcdef';
const APP = 'xapp-1-A111-S3CR3TAPPTOKEN';

/** Calls loadConfig and returns the ConfigError it throws. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(Object.keys(env))}) to throw`);
}

describe('loadConfig', () => {
  it('runs in setup mode with no Slack variables, with defaults', () => {
    const c = loadConfig({});
    expect(c.slack.mode).toBe('setup');
    expect(c.slack.botToken).toBeUndefined();
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe('./.data');
    expect(c.logLevel).toBe('info');
    expect(c.databaseUrl).toBeUndefined();
    expect(c.incidentsChannel).toBeUndefined();
  });

  it('treats empty and blank Slack variables as unset', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '  ', SLACK_APP_TOKEN: '' }).slack.mode).toBe(
      'setup',
    );
  });

  it('uses HTTP mode with a bot token and a signing secret', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING });
    expect(c.slack).toEqual({
      mode: 'http',
      botToken: BOT,
      signingSecret: SIGNING,
      appToken: undefined,
      apiUrl: undefined,
    });
  });

  it('uses Socket Mode with a bot token and an xapp- token, with or without a signing secret', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP }).slack.mode).toBe('socket');
    const both = loadConfig({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_SIGNING_SECRET: SIGNING });
    expect(both.slack.mode).toBe('socket');
    expect(both.slack.appToken).toBe(APP);
  });

  it('trims surrounding whitespace from tokens (pasted values)', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: ` ${BOT}\n`, SLACK_SIGNING_SECRET: `${SIGNING} ` });
    expect(c.slack.botToken).toBe(BOT);
    expect(c.slack.signingSecret).toBe(SIGNING);
  });

  it('reads every other variable', () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: BOT,
      SLACK_SIGNING_SECRET: SIGNING,
      SLACK_API_URL: 'http://127.0.0.1:4000/api/',
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
      DATA_DIR: '/var/lib/incident-bot',
      EMBEDDED_PG_USER: 'incident-bot',
      INCIDENTS_CHANNEL: 'C0INCIDENTS',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
      dataDir: '/var/lib/incident-bot',
      embeddedPgUser: 'incident-bot',
      incidentsChannel: 'C0INCIDENTS',
      logLevel: 'debug',
    });
    expect(c.slack.apiUrl).toBe('http://127.0.0.1:4000/api/');
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db/x' }).databaseUrl).toBe('postgres://u:p@db/x');
  });

  it('runs runbook commands in COMMAND_BASE_DIR, made absolute; by default the working directory', () => {
    expect(loadConfig({}).commandBaseDir).toBe(process.cwd());
    expect(loadConfig({ COMMAND_BASE_DIR: '/srv/atom' }).commandBaseDir).toBe('/srv/atom');
    expect(loadConfig({ COMMAND_BASE_DIR: 'checkouts/atom' }).commandBaseDir).toBe(`${process.cwd()}/checkouts/atom`);
  });

  it('accepts port 0 (any free port) and 65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it('returns a frozen object, including the slack part', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.slack)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.slack as { mode: string }).mode = 'setup';
    }).toThrow(TypeError);
  });

  describe('errors', () => {
    it('a bot token without a signing secret or app token names SLACK_SIGNING_SECRET', () => {
      const e = configError({ SLACK_BOT_TOKEN: BOT });
      expect(e.problems).toHaveLength(1);
      expect(e.problems[0]).toMatch(/^SLACK_SIGNING_SECRET /);
      expect(e.message).toContain('SLACK_SIGNING_SECRET');
      expect(e.name).toBe('ConfigError');
    });

    it.each([{ SLACK_SIGNING_SECRET: SIGNING }, { SLACK_APP_TOKEN: APP }])(
      'a signing secret or app token without a bot token names SLACK_BOT_TOKEN (%#)',
      (env) => {
        const e = configError(env);
        expect(e.problems).toHaveLength(1);
        expect(e.problems[0]).toMatch(/^SLACK_BOT_TOKEN /);
      },
    );

    it.each([
      ['SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: 'xapp-not-a-bot-token', SLACK_SIGNING_SECRET: SIGNING }, 'xoxb-'],
      ['SLACK_APP_TOKEN', { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: 'xoxb-wrong-kind' }, 'xapp-'],
      ['PORT', { PORT: 'eighty' }, ''],
      ['PORT', { PORT: '70000' }, ''],
      ['PORT', { PORT: '-1' }, ''],
      ['PORT', { PORT: '80.5' }, ''],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://db/x' }, 'postgres'],
      ['DATABASE_URL', { DATABASE_URL: '127.0.0.1:5432/test' }, 'postgres'],
      ['SLACK_API_URL', { SLACK_API_URL: 'ftp://slack' }, 'http'],
      ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, ''],
    ] as const)('names %s for a bad value (%j)', (name, env, hint) => {
      const e = configError(env);
      expect(e.problems.some((p) => p.startsWith(`${name} `))).toBe(true);
      expect(e.message).toContain(name);
      if (hint) expect(e.message).toContain(hint);
    });

    it('names every bad variable at once', () => {
      const e = configError({ PORT: 'x', DATABASE_URL: 'nope', LOG_LEVEL: 'loud', SLACK_API_URL: 'slack' });
      const names = e.problems.map((p) => p.split(' ')[0]).sort();
      expect(names).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SLACK_API_URL']);
      for (const n of names) expect(e.message).toContain(`  - ${n} `);
    });

    it('names a bad variable and half-configured Slack credentials together', () => {
      const e = configError({ SLACK_BOT_TOKEN: BOT, DATA_DIR: '', DATABASE_URL: 'mysql://x' });
      const names = e.problems.map((p) => p.split(' ')[0]).sort();
      expect(names).toEqual(['DATABASE_URL', 'DATA_DIR', 'SLACK_SIGNING_SECRET']);
    });

    it('never puts secret values in the message', () => {
      const cases: NodeJS.ProcessEnv[] = [
        { SLACK_BOT_TOKEN: BOT },
        { SLACK_SIGNING_SECRET: SIGNING },
        { SLACK_APP_TOKEN: APP },
        { SLACK_BOT_TOKEN: 'not-a-token-S3CR3TVALUE', SLACK_SIGNING_SECRET: SIGNING },
        { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: 'xoxp-S3CR3TUSERTOKEN' },
        { DATABASE_URL: 'mysql://admin:S3CR3TPASSWORD@db/x', SLACK_BOT_TOKEN: BOT },
      ];
      for (const env of cases) {
        const e = configError(env);
        const shown = `${e.message}\n${e.problems.join('\n')}\n${String(e.stack)}`;
        expect(shown).not.toMatch(/S3CR3T/);
        expect(shown).not.toContain(SIGNING);
      }
    });
  });
});

describe('review fixes', () => {
  it('DATABASE_POOL_MAX: 5 connections by default, as set, and a bad value named', () => {
    expect(loadConfig({}).databasePoolMax).toBe(5);
    expect(loadConfig({ DATABASE_POOL_MAX: '12' }).databasePoolMax).toBe(12);
    expect(() => loadConfig({ DATABASE_POOL_MAX: '0' })).toThrow(
      /DATABASE_POOL_MAX must be a whole number between 1 and 100, got "0"/,
    );
  });
  it('treats a blank PORT as unset (3000), not as port 0', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(3000);
    expect(loadConfig({ PORT: '  ' }).port).toBe(3000);
  });
  it('names half-set Slack credentials even when another variable is also wrong', () => {
    try {
      loadConfig({ SLACK_SIGNING_SECRET: 'x', PORT: 'x' });
      expect.unreachable();
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toMatch(/PORT/);
      expect(msg).toMatch(/SLACK_BOT_TOKEN is required/);
    }
  });

  describe('shared state and rate limits', () => {
    it('keeps state in the process by default, with the documented limits', () => {
      const c = loadConfig({});
      expect(c.kv).toEqual({ prefix: 'incident-bot:', timeoutMs: 250 });
      expect(c.rateLimits).toEqual({
        declare: { limit: 5, windowMs: 60_000 },
        run: { limit: 10, windowMs: 60_000 },
        channelCreate: { limit: 20, windowMs: 60_000 },
      });
    });

    it('takes REDIS_URL, or both Upstash variables', () => {
      expect(loadConfig({ REDIS_URL: 'redis://:pw@cache:6380/2' }).kv.redisUrl).toBe('redis://:pw@cache:6380/2');
      expect(
        loadConfig({ UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'AX-S3CR3T' }).kv
          .upstash,
      ).toEqual({ url: 'https://eu1.upstash.io', token: 'AX-S3CR3T' });
    });

    it('reads limits as count/duration or off, and tunes the store', () => {
      const c = loadConfig({
        DECLARE_RATE_LIMIT: '3/30s',
        RUN_RATE_LIMIT: 'off',
        CHANNEL_CREATE_LIMIT: '0',
        REDIS_KEY_PREFIX: 'bot-a:',
        REDIS_TIMEOUT_MS: '500',
      });
      expect(c.rateLimits).toEqual({ declare: { limit: 3, windowMs: 30_000 }, run: null, channelCreate: null });
      expect(c.kv).toEqual({ prefix: 'bot-a:', timeoutMs: 500 });
    });

    it('names each bad variable, never the token', () => {
      const msg = configError({
        REDIS_URL: 'http://cache:6379',
        DECLARE_RATE_LIMIT: 'five a minute',
        UPSTASH_REDIS_REST_TOKEN: 'AX-S3CR3TVALUE',
      }).message;
      expect(msg).toMatch(/REDIS_URL must be a Redis URL such as redis:\/\/:password@/);
      expect(msg).toMatch(/DECLARE_RATE_LIMIT must be a count per duration, e\.g\. 5\/1m/);
      expect(msg).toMatch(/UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together/);
      expect(msg).not.toMatch(/S3CR3T/);
      expect(
        configError({
          REDIS_URL: 'redis://cache:6379',
          UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io',
          UPSTASH_REDIS_REST_TOKEN: 'AX',
        }).message,
      ).toMatch(/REDIS_URL or UPSTASH_REDIS_REST_URL, not both/);
    });
  });

  describe('the status page', () => {
    it('has a title by default and no link to another status page', () => {
      expect(loadConfig({}).statusPage).toEqual({ title: 'Service status' });
    });

    it('reads STATUS_PAGE_TITLE and STATUS_PAGE_URL', () => {
      const c = loadConfig({ STATUS_PAGE_TITLE: ' ATOM status ', STATUS_PAGE_URL: 'https://status.atomagentos.com' });
      expect(c.statusPage).toEqual({ title: 'ATOM status', companyUrl: 'https://status.atomagentos.com' });
    });

    it.each([
      [
        { STATUS_PAGE_URL: 'status.atomagentos.com' },
        /STATUS_PAGE_URL must be an http:\/\/ or https:\/\/ URL such as https:\/\/status\.atomagentos\.com/,
      ],
      [
        { STATUS_PAGE_URL: 'javascript:alert(1)' },
        /STATUS_PAGE_URL must be an http:\/\/ or https:\/\/ URL such as https:\/\/status\.atomagentos\.com/,
      ],
      [{ STATUS_PAGE_TITLE: 'x'.repeat(101) }, /STATUS_PAGE_TITLE must be at most 100 characters/],
    ])('names a bad value (%j)', (env, message) => {
      expect(configError(env).message).toMatch(message);
    });
  });

  describe('monitoring alerts', () => {
    it('are off by default (no way to prove a sender), with a storm cap of 3', () => {
      expect(loadConfig({}).alerts).toEqual({
        token: undefined,
        signingSecret: undefined,
        maxIncidents: 3,
        deliveryRetentionMs: 30 * 86_400_000,
        repeatRefreshMs: 10_000,
        stormReturnGapMs: 600_000,
        noticeDmRetryMs: 2000,
      });
    });

    it('read the token, the signing secret, both QStash keys and the cap; the secrets are masked', () => {
      const c = loadConfig({
        SLACK_BOT_TOKEN: BOT,
        SLACK_SIGNING_SECRET: SIGNING,
        ALERTS_TOKEN: 'alerts-T0KEN-0123456789',
        ALERTS_SIGNING_SECRET: 'alerts-S1GN-0123456789',
        QSTASH_CURRENT_SIGNING_KEY: 'sig_CURRENT123',
        QSTASH_NEXT_SIGNING_KEY: 'sig_NEXT456',
        ALERTS_MAX_INCIDENTS: '5',
        ALERT_DELIVERY_RETENTION: '7d',
        ALERTS_REPEAT_REFRESH: '3s',
        ALERTS_STORM_RETURN_GAP: '90s',
        ALERTS_DM_RETRY: '7s',
      });
      expect(c.alerts).toEqual({
        token: 'alerts-T0KEN-0123456789',
        signingSecret: 'alerts-S1GN-0123456789',
        qstash: { currentSigningKey: 'sig_CURRENT123', nextSigningKey: 'sig_NEXT456' },
        maxIncidents: 5,
        deliveryRetentionMs: 7 * 86_400_000,
        repeatRefreshMs: 3000,
        stormReturnGapMs: 90_000,
        noticeDmRetryMs: 7000,
      });
      expect(configSecrets(c)).toEqual(
        expect.arrayContaining(['alerts-T0KEN-0123456789', 'alerts-S1GN-0123456789', 'sig_CURRENT123', 'sig_NEXT456']),
      );
    });

    it('read QSTASH_URL, the public URLs QStash posts to, as URL reads them; with the keys only', () => {
      const keys = { QSTASH_CURRENT_SIGNING_KEY: 'sig_CURRENT123', QSTASH_NEXT_SIGNING_KEY: 'sig_NEXT456' };
      const env = { SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING, ...keys };
      expect(loadConfig(env).alerts.qstash).toEqual({
        currentSigningKey: 'sig_CURRENT123',
        nextSigningKey: 'sig_NEXT456',
      });
      const c = loadConfig({
        ...env,
        QSTASH_URL: ' https://Bot.Example.com:443/bot/hooks/alerts, http://10.0.0.5:8080/hooks/alerts?x=1 ',
      });
      expect(c.alerts.qstash?.urls).toEqual([
        'https://bot.example.com/bot/hooks/alerts',
        'http://10.0.0.5:8080/hooks/alerts?x=1',
      ]);
      for (const [url, message] of [
        ['bot.example.com/hooks/alerts', /QSTASH_URL must be the whole http:\/\/ or https:\/\/ URL QStash posts to/],
        ['ftp://bot.example.com/hooks/alerts', /QSTASH_URL must be the whole http/],
        ['https://bot.example.com/hooks/alerts#top', /QSTASH_URL must not hold a fragment/],
        ['https://user:S3CRETPW@bot.example.com/hooks/alerts', /QSTASH_URL must not hold a user name or password/],
      ] as const) {
        const msg = configError({ ...env, QSTASH_URL: url }).message;
        expect(msg, url).toMatch(message);
        expect(msg).not.toMatch(/S3CRETPW/);
      }
      expect(
        configError({
          SLACK_BOT_TOKEN: BOT,
          SLACK_SIGNING_SECRET: SIGNING,
          QSTASH_URL: 'https://b.example/hooks/alerts',
        }).message,
      ).toMatch(
        /QSTASH_URL is set without the QStash signing keys: set QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY/,
      );
    });

    it('name a short token, half the QStash keys, and a bad cap, never their values', () => {
      const msg = configError({
        ALERTS_TOKEN: 'SHORTT0KEN',
        QSTASH_CURRENT_SIGNING_KEY: 'sig_L0NEKEY',
        ALERTS_MAX_INCIDENTS: '0',
        ALERT_DELIVERY_RETENTION: 'a month',
      }).message;
      expect(msg).toMatch(/ALERTS_TOKEN must be at least 16 characters/);
      expect(msg).toMatch(/QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY go together/);
      expect(msg).toMatch(/ALERTS_MAX_INCIDENTS/);
      expect(msg).toMatch(/ALERT_DELIVERY_RETENTION must be a duration such as 30s, 15m, 4h or 7d, got "a month"/);
      expect(msg).not.toMatch(/SHORTT0KEN|L0NEKEY/);
    });
  });
});

describe('CHECKLIST_POST_LEASE', () => {
  it('is how long a checklist being posted is held (30s unset), as a duration; a bad one is named', () => {
    expect(loadConfig({}).checklistPostLeaseMs).toBe(30_000);
    expect(loadConfig({ CHECKLIST_POST_LEASE: '45s' }).checklistPostLeaseMs).toBe(45_000);
    expect(configError({ CHECKLIST_POST_LEASE: 'soon' }).message).toMatch(
      /CHECKLIST_POST_LEASE must be a duration such as 30s, 15m, 4h or 7d, got "soon"/,
    );
  });
});

describe('every message says in plain words what to set', () => {
  /** The one problem `env` has, as the person reads it. */
  const problem = (env: NodeJS.ProcessEnv) => {
    const e = configError(env);
    expect(e.problems).toHaveLength(1);
    return e.problems[0]!;
  };

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number between 0 and 65535, got "abc"'],
    [{ PORT: '70000' }, 'PORT must be a whole number between 0 and 65535, got "70000"'],
    [{ PORT: '80.5' }, 'PORT must be a whole number between 0 and 65535, got "80.5"'],
    [{ REDIS_TIMEOUT_MS: '5' }, 'REDIS_TIMEOUT_MS must be a whole number between 10 and 10000, got "5"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of debug, info, warn, error, got "verbose"'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be one of json, pretty, got "xml"'],
    [
      { SLACK_API_URL: 'slack.com/api' },
      'SLACK_API_URL must be an http:// or https:// URL such as https://slack.com/api/, got "slack.com/api"',
    ],
    [
      { HEALTH_BASE_URL: 'tenant.example.com' },
      'HEALTH_BASE_URL must be an http:// or https:// URL such as https://tenant.atomagentos.com, got "tenant.example.com"',
    ],
    [
      { UPSTASH_REDIS_REST_URL: 'eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 't' },
      'UPSTASH_REDIS_REST_URL must be an http:// or https:// URL such as https://eu1-example-12345.upstash.io, got "eu1.upstash.io"',
    ],
    [
      { DATABASE_URL: 'mysql://db/x' },
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@db.example.com:5432/incidents (or leave it unset for the embedded database in DATA_DIR)',
    ],
    [
      { REDIS_URL: 'cache:6379' },
      'REDIS_URL must be a Redis URL such as redis://:password@cache.example.com:6379 (or rediss:// for TLS)',
    ],
    [
      // A port past 65535 is no URL: refused now, not when the first call builds a client from it (a stack trace
      // that repeated the URL, password and all).
      { REDIS_URL: 'redis://:S3CR3T@cache.example.com:99999' },
      'REDIS_URL must be a Redis URL such as redis://:password@cache.example.com:6379 (or rediss:// for TLS)',
    ],
    [
      { STATUS_PAGE_URL: 'https://status.example.com:99999' },
      'STATUS_PAGE_URL must be an http:// or https:// URL such as https://status.atomagentos.com, got "https://status.example.com:99999"',
    ],
    [
      { DATA_DIR: ' ' },
      'DATA_DIR is set but empty: set it to the directory for the embedded database, or unset it for ./.data',
    ],
    [{ HOST: '0.0.0.0:3000' }, 'HOST is only the address to listen on: put the port in PORT, got "0.0.0.0:3000"'],
    [
      { HOST: 'http://0.0.0.0' },
      'HOST must be an address to listen on, such as 0.0.0.0 (every IPv4 interface), :: or 127.0.0.1, got "http://0.0.0.0"',
    ],
    [
      { INCIDENTS_CHANNEL: 'Incidents Room' },
      'INCIDENTS_CHANNEL must be a channel ID such as C0123456789 (in Slack, click the channel\'s name: the ID is at the bottom of About) or a channel name such as #incidents, got "Incidents Room"',
    ],
    [
      { DEPLOYMENTS_PATTERN: '^(?<ver>v\\d+)' },
      'DEPLOYMENTS_PATTERN must have a named group (?<version>…) that captures the version',
    ],
    [
      { COMMAND_ENV: 'ATOM_API_TOKEN,atom-app,' },
      'COMMAND_ENV must be variable names separated by commas, such as ATOM_API_TOKEN,ATOM_APP; "atom-app", an empty name are not',
    ],
    [
      { DECLARE_RATE_LIMIT: 'five a minute' },
      'DECLARE_RATE_LIMIT must be a count per duration, e.g. 5/1m or 20/30s, or off, got "five a minute"',
    ],
    [
      { ADMIN_TOKEN: 'short' },
      'ADMIN_TOKEN must be at least 16 characters long (for example the output of openssl rand -hex 24)',
    ],
    [
      { ALERTS_TOKEN: 'short' },
      'ALERTS_TOKEN must be at least 16 characters long (for example the output of openssl rand -hex 24)',
    ],
    [
      { ALERTS_SIGNING_SECRET: 'short' },
      'ALERTS_SIGNING_SECRET must be at least 16 characters long (for example the output of openssl rand -hex 24)',
    ],
    [{ ALERTS_MAX_INCIDENTS: 'abc' }, 'ALERTS_MAX_INCIDENTS must be a whole number between 1 and 1000, got "abc"'],
    [{ ALERTS_MAX_INCIDENTS: '0' }, 'ALERTS_MAX_INCIDENTS must be a whole number between 1 and 1000, got "0"'],
    [{ ALERTS_MAX_INCIDENTS: '2.5' }, 'ALERTS_MAX_INCIDENTS must be a whole number between 1 and 1000, got "2.5"'],
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX must be a whole number between 1 and 100, got "0"'],
    [{ WORK_NICE: '20' }, 'WORK_NICE must be a whole number between 0 and 19, got "20"'],
    [{ DATABASE_PREPARE: 'yes' }, 'DATABASE_PREPARE must be one of on, off, got "yes"'],
    [{ ACK_THREAD: 'true' }, 'ACK_THREAD must be one of on, off, got "true"'],
    [
      { SLACK_BOT_TOKEN: 'xoxp-1-S3CR3T', SLACK_SIGNING_SECRET: SIGNING },
      'SLACK_BOT_TOKEN is a user token (xoxp-…), which acts as a person: use the Bot User OAuth Token (xoxb-…) from OAuth & Permissions instead',
    ],
    [
      { SLACK_BOT_TOKEN: 'xapp-1-S3CR3T', SLACK_SIGNING_SECRET: SIGNING },
      'SLACK_BOT_TOKEN is an app-level token (xapp-…), which goes in SLACK_APP_TOKEN: use the Bot User OAuth Token (xoxb-…) from OAuth & Permissions',
    ],
    [
      { SLACK_BOT_TOKEN: 'S3CR3T', SLACK_SIGNING_SECRET: SIGNING },
      'SLACK_BOT_TOKEN must be the Bot User OAuth Token (xoxb-…) from OAuth & Permissions; the value set does not start with xoxb-',
    ],
    [
      { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: 'xoxb-S3CR3T' },
      'SLACK_APP_TOKEN is a bot or user token (xox…-), not an app-level token: use an app-level token (xapp-…) with the connections:write scope, from Basic Information → App-Level Tokens',
    ],
    [
      { SLACK_BOT_TOKEN: BOT },
      'SLACK_SIGNING_SECRET is required in HTTP mode: set it to the Signing Secret from Basic Information → App Credentials (or set SLACK_APP_TOKEN instead, for Socket Mode)',
    ],
    [
      { SLACK_APP_TOKEN: APP },
      'SLACK_BOT_TOKEN is required with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN: set it to the Bot User OAuth Token (xoxb-…) from OAuth & Permissions (or unset them all for set-up mode)',
    ],
  ] as const)('%j', (env, message) => {
    const p = problem(env);
    expect(p).toBe(message);
    // Nothing of the schema library's own wording, and no secret.
    expect(p).not.toMatch(/Invalid|expected (string|number)|received|Too (small|big)|NaN|S3CR3T/);
  });

  it('a DEPLOYMENTS_PATTERN JavaScript cannot read says why', () => {
    expect(problem({ DEPLOYMENTS_PATTERN: '(?<version>v\\d+' })).toMatch(
      /^DEPLOYMENTS_PATTERN is not a regular expression JavaScript can read \(Invalid regular expression: .*\)$/,
    );
  });

  it('reads LOG_LEVEL and LOG_FORMAT in any case, and lowercase variable names in COMMAND_ENV', () => {
    const c = loadConfig({ LOG_LEVEL: 'WARN', LOG_FORMAT: 'Json', COMMAND_ENV: 'atom_token', atom_token: 'v' });
    expect(c.logLevel).toBe('warn');
    expect(c.logFormat).toBe('json');
    expect(c.commandEnv).toEqual({ atom_token: 'v' });
  });

  it('takes HOST as an IPv4 or IPv6 address or a name', () => {
    for (const host of ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost', 'bot.internal']) {
      expect(loadConfig({ HOST: host }).host).toBe(host);
    }
  });
});

describe('INCIDENTS_CHANNEL', () => {
  it.each([
    ['C0123456789', 'C0123456789'],
    ['G01ABCDEF', 'G01ABCDEF'],
    ['<#C0123456789|incidents>', 'C0123456789'],
    ['<#C0123456789>', 'C0123456789'],
    ['https://acme.slack.com/archives/C0123456789', 'C0123456789'],
    ['#incidents', '#incidents'],
    ['incidents', '#incidents'],
    ['#Prod-Incidents', '#prod-incidents'],
    ['#inc_2024', '#inc_2024'],
  ])('%s is read as %s', (value, expected) => {
    expect(readIncidentsChannel(value)).toBe(expected);
    const c = loadConfig({ INCIDENTS_CHANNEL: ` ${value} ` });
    expect(c.incidentsChannel).toBe(expected);
    expect(incidentsChannelName(c)).toBe(expected.startsWith('#') ? expected.slice(1) : undefined);
  });

  it.each([
    '#',
    '# incidents',
    'INCIDENTS',
    'https://acme.slack.com/archives/C0123456789/p1700000000000100',
    `#${'a'.repeat(81)}`,
  ])('%s is refused', (value) => {
    expect(readIncidentsChannel(value)).toBeUndefined();
    expect(configError({ INCIDENTS_CHANNEL: value }).problems[0]).toMatch(/^INCIDENTS_CHANNEL must be a channel ID/);
  });
});

describe('PUBLIC_BASE_URL: the public URL the status page and its feeds link to', () => {
  it('unset or blank: none (links follow the request, as before)', () => {
    expect(loadConfig({}).statusPage.publicBaseUrl).toBeUndefined();
    expect(loadConfig({ PUBLIC_BASE_URL: '  ' }).statusPage.publicBaseUrl).toBeUndefined();
  });

  it('an http(s) URL, with or without a path, kept without its trailing slash', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://incidents.example.com/' }).statusPage.publicBaseUrl).toBe(
      'https://incidents.example.com',
    );
    expect(loadConfig({ PUBLIC_BASE_URL: ' http://bot.internal:8080/incident-bot ' }).statusPage.publicBaseUrl).toBe(
      'http://bot.internal:8080/incident-bot',
    );
  });

  it('anything else is refused at start, named, with what to write', () => {
    for (const bad of ['incidents.example.com', 'ftp://incidents.example.com', 'https://', 'https://a b.example']) {
      expect(() => loadConfig({ PUBLIC_BASE_URL: bad }), bad).toThrow(
        /PUBLIC_BASE_URL must be the bot's public http:\/\/ or https:\/\/ URL, such as https:\/\/incidents\.example\.com/,
      );
    }
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://incidents.example.com/?x=1' })).toThrow(
      /PUBLIC_BASE_URL .*no query or fragment/,
    );
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://user:pw@incidents.example.com' })).toThrow(
      /PUBLIC_BASE_URL .*no user or password/,
    );
  });
});
