import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig } from '../../src/config.js';
import { runCommand } from '../../src/ops/run-command.js';
import { RUNNERS } from '../../src/ops/step-runners.js';
import type { CommandStep } from '../../src/runbook/playbooks.js';
import { ATOM_CLI, FAKE_SECRETS, secretFragments } from './fake-atom-cli.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('runCommand: secrets the pattern rules cannot name', () => {
  it('masks the value column of `secrets list` as a table, in what is shown and what is recorded', async () => {
    const snapshots: string[] = [];
    const result = await runCommand([ATOM_CLI, 'secrets', 'list'], {
      env: { ATOM_CLI_SECRETS_FORMAT: 'table' },
      onOutput: (snapshot) => {
        snapshots.push(snapshot.tail);
      },
    });
    expect(result.exitCode).toBe(0);
    for (const text of [result.tail, result.full, ...snapshots]) {
      for (const fragment of secretFragments()) expect(text).not.toContain(fragment);
      expect(text).not.toContain(FAKE_SECRETS.awsSecret);
    }
    const lines = result.full.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME                   DIGEST            VALUE');
    expect(lines.slice(1).every((line) => /^[A-Z_]+ +[0-9a-f]{16} {2}\*\*\*$/.test(line))).toBe(true);
    expect(lines).toHaveLength(8);
    // The tail recorded with the run and the digest are of the same masked text.
    expect(result.tail).toBe(result.full.trimEnd());
    expect(result.digest).toBe(sha256(result.full));
  });
});

describe('runCommand: values the bot knows', () => {
  // A name no rule calls secret: only its value, which the bot passed, can tell.
  const CONNECT = 'tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c';

  it('masks the value of a variable it passed to the command, printed in two pieces', async () => {
    const snapshots: string[] = [];
    const result = await runCommand([ATOM_CLI, 'print-env', 'ATOM_CONNECT'], {
      env: { ATOM_CONNECT: CONNECT },
      onOutput: (snapshot) => {
        snapshots.push(snapshot.tail);
      },
    });
    expect(result.full).toBe('connecting with *** as ATOM_CONNECT\nconnected\n');
    expect(result.tail).toBe(result.full.trimEnd());
    expect(result.digest).toBe(sha256(result.full));
    for (const text of snapshots) expect(text).not.toContain('pk_0d1e2f3a4b5c');
  });

  it('the lines a step looks for are the masked lines: a value printed in two pieces, and secrets split across reads', async () => {
    const connecting = await runCommand([ATOM_CLI, 'print-env', 'ATOM_CONNECT'], {
      env: { ATOM_CONNECT: CONNECT },
      lookFor: (line) => line.includes('connecting'),
    });
    expect(connecting.found).toEqual({ matched: 1, total: 2, last: ['connecting with *** as ATOM_CONNECT'] });
    const split = await runCommand([ATOM_CLI, 'split-secret'], { lookFor: () => true });
    expect(split.found?.last).toEqual(split.full.trimEnd().split('\n'));
    for (const fragment of secretFragments()) expect(split.found?.last.join('\n')).not.toContain(fragment);
  });

  it('masks the values in `env` output, short ones too, as their variables print them; what is kept is what is shown', async () => {
    const snapshots: string[] = [];
    const result = await runCommand([ATOM_CLI, 'env'], {
      env: { ATOM_CONNECT: CONNECT, ATOM_REGION: 'iad', ATOM_PIN: '4812' },
      onOutput: (snapshot) => {
        snapshots.push(snapshot.tail);
      },
    });
    expect(result.full).toContain('ATOM_CONNECT=***\n');
    expect(result.full).toContain('ATOM_REGION=***\n');
    expect(result.full).toContain('ATOM_PIN=***\n');
    for (const text of [result.full, ...snapshots]) {
      expect(text).not.toContain(CONNECT);
      expect(text).not.toMatch(/=iad$|=4812$/m);
    }
    expect(result.tail).toBe(result.full.trimEnd());
    expect(result.digest).toBe(sha256(result.full));
  });

  it('a short value printed bare is below the floor: masking a 3-letter word everywhere would mangle the output', async () => {
    const result = await runCommand([ATOM_CLI, 'print-env', 'ATOM_REGION'], { env: { ATOM_REGION: 'iad' } });
    expect(result.full).toBe('connecting with iad as ATOM_REGION\nconnected\n');
  });

  it('masks the secrets it is given (the bot’s own tokens) wherever the command prints them', async () => {
    const signingSecret = '8f14e45fceea167a5a36dedd4bea2543';
    const result = await runCommand([ATOM_CLI, 'args', `--note=${signingSecret}`, signingSecret], {
      secrets: [signingSecret, 'abc'],
    });
    expect(JSON.parse(result.full)).toEqual(['--note=***', '***']);
  });

  it('masks a known value in the error of a command that could not run', async () => {
    const result = await runCommand(['atom-cli-that-does-not-exist', 'pk_0d1e2f3a4b5c'], {
      secrets: ['pk_0d1e2f3a4b5c'],
    });
    expect(result.notFound).toBe(true);
    expect(result.error).toContain('***');
    expect(result.error).not.toContain('pk_0d1e2f3a4b5c');
  });
});

describe('the command runner: the bot’s configuration', () => {
  it('gathers the Slack tokens, the signing secret, the database password and the COMMAND_ENV values', () => {
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1-2-bottoken',
      SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
      DATABASE_URL: 'postgres://app:p%40ss-word-9@db:5432/incidents',
      COMMAND_ENV: 'ATOM_CONNECT',
      ATOM_CONNECT: 'tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c',
    });
    expect(configSecrets(config)).toEqual([
      'xoxb-1-2-bottoken',
      '8f14e45fceea167a5a36dedd4bea2543',
      'p%40ss-word-9',
      'p@ss-word-9',
      'tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c',
    ]);
  });

  it('gathers the Redis password, the Upstash token and the admin token too', () => {
    const base = { SLACK_BOT_TOKEN: 'xoxb-1-2-bottoken', SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543' };
    const redis = loadConfig({
      ...base,
      REDIS_URL: 'redis://default:r3dis-pass-word@cache:6379',
      ADMIN_TOKEN: 'admin-token-0123456789',
    });
    expect(configSecrets(redis)).toEqual(expect.arrayContaining(['r3dis-pass-word', 'admin-token-0123456789']));
    const upstash = loadConfig({
      ...base,
      UPSTASH_REDIS_REST_URL: 'https://eu1-example.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'AXXXupstashtoken0123456789',
    });
    expect(configSecrets(upstash)).toContain('AXXXupstashtoken0123456789');
  });

  it('masks them in the outcome of a command step: the tail shown and recorded, and the full output', async () => {
    const step = { type: 'command', text: 'args', run: [], timeoutMs: 10_000 } as unknown as CommandStep;
    const outcome = await RUNNERS.command.run(
      [ATOM_CLI, 'args', 'p@ss-word-9', 'tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c'],
      step,
      () => {},
      {
        atomCli: ATOM_CLI,
        commandEnv: { ATOM_CONNECT: 'tenant-7Hq2Lm9XvPq:pk_0d1e2f3a4b5c' },
        secrets: ['p@ss-word-9'],
      },
    );
    expect(outcome.state).toBe('succeeded');
    expect(outcome.tail).toBe('["***","***"]');
    expect(outcome.full).toBe('["***","***"]\n');
    expect(outcome.digest).toBe(sha256(outcome.full));
    // All of it is in the tail (the output's last line break aside): nothing more to attach as a file.
    expect(outcome.truncated).toBe(false);
  });
});

describe('runCommand: a line held back for the start of a known value', () => {
  it('is shown after holdMs when no more output comes, while the command still runs', async () => {
    const script = "process.stdout.write('Deploying release to prod\\n'); setTimeout(() => {}, 1000);";
    const seen: { tail: string; elapsedMs: number }[] = [];
    const result = await runCommand([process.execPath, '-e', script], {
      env: { DEPLOY_ENV: 'production' },
      holdMs: 100,
      outputIntervalMs: 20,
      onOutput: ({ tail, elapsedMs }) => {
        seen.push({ tail, elapsedMs });
      },
    });
    expect(result.full).toBe('Deploying release to prod\n');
    const shown = seen.find(({ tail }) => tail.includes('Deploying release to prod'));
    expect(shown?.elapsedMs).toBeLessThan(700);
  });
});

describe('runCommand: the start of a known value whose rest never comes', () => {
  it('is masked when the command is killed after printing it, and in what was shown while it ran', async () => {
    const script = "process.stdout.write('got s3cret-va\\n'); setTimeout(() => {}, 5000);";
    const seen: string[] = [];
    const result = await runCommand([process.execPath, '-e', script], {
      env: { ATOM_TOKEN: 's3cret-value-123' },
      holdMs: 100,
      outputIntervalMs: 20,
      timeoutMs: 600,
      killGraceMs: 100,
      onOutput: ({ tail }) => {
        seen.push(tail);
      },
    });
    expect(result.timedOut).toBe(true);
    expect(result.full).toBe('got ***\n');
    expect(seen.some((tail) => tail.includes('got ***'))).toBe(true);
    for (const tail of seen) expect(tail).not.toContain('s3cret');
  });
});

describe('runCommand: the tail shown as a terminal shows it', () => {
  it('masks a known value that only a carriage return or a backspace puts together on screen', async () => {
    const secret = 'hunter2-long-secret';
    const r = await runCommand(['sh', '-c', `printf 'token x${secret.slice(1)}\\rtoken h\\nkey ${secret}X\\b\\b\\n'`], {
      secrets: [secret],
    });
    expect(r.exitCode).toBe(0);
    expect(r.tail).not.toContain(secret);
    expect(r.tail).toContain('token ***');
  });

  it('masks a known value that a cursor moved up puts together on a line printed before', async () => {
    const secret = 'hunter2-long-secret';
    // `key hunter2-` and the rest of the value on one line only once the cursor goes back up to it (ESC[2A) and to
    // its column 13 (ESC[13G): the output never holds the value in one piece.
    const r = await runCommand(
      ['sh', '-c', `printf 'key ${secret.slice(0, 8)}XXXXXXXXXXX\\nnext\\n\\033[2A\\033[13G${secret.slice(8)}\\n'`],
      { secrets: [secret] },
    );
    expect(r.exitCode).toBe(0);
    expect(r.full).not.toContain(secret);
    expect(r.tail).not.toContain(secret);
    expect(r.tail.split('\n').slice(0, 2)).toEqual(['key ***', 'next']);
  });
});
