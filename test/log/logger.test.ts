import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { noteIncident, withRequest } from '../../src/audit/request-context.js';
import { loadConfig, logSecrets } from '../../src/config.js';
import { boltLogger, chooseLogFormat, createLogger } from '../../src/log/logger.js';
import { redactWith } from '../../src/ops/redact.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('../fixtures/log-lines.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** A logger writing JSON into memory; `lines()` parses what it wrote. */
function capture(level: 'debug' | 'info' = 'info') {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  const pino = createLogger({ level, format: 'json', destination: out });
  return {
    logger: boltLogger(pino),
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => text,
  };
}

describe('the logger', () => {
  it('writes one JSON line per event with level, time and msg', () => {
    const c = capture();
    c.logger.info('incident', 42, 'declared');
    c.logger.warn('slow');
    const [first, second] = c.lines();
    expect(c.lines()).toHaveLength(2);
    expect(first).toMatchObject({ level: 'info', msg: 'incident 42 declared' });
    expect(Number.isNaN(Date.parse(String(first?.time)))).toBe(false);
    expect(second).toMatchObject({ level: 'warn', msg: 'slow' });
  });

  it('masks a Slack token and an sk- key in messages, errors and string fields', () => {
    const c = capture();
    c.logger.error(
      'posting with xoxb-1234-5678-abcdefghij failed',
      new Error('key sk-abcdefghijklmnopqrstuvwx refused'),
      { header: 'Authorization: Bearer abcdefghijklmnopqrst', nested: { url: 'postgres://bot:hunter2@db/x' } },
    );
    const text = c.text();
    for (const secret of ['1234-5678-abcdefghij', 'abcdefghijklmnopqrstuvwx', 'abcdefghijklmnopqrst', 'hunter2']) {
      expect(text).not.toContain(secret);
    }
    const [line] = c.lines();
    expect(line?.msg).toBe('posting with xoxb-*** failed');
    expect(line?.err).toMatchObject({ type: 'Error', message: 'key sk-*** refused' });
    expect(JSON.stringify(line?.args)).toContain('postgres://bot:***@db/x');
  });

  it('masks by value what the bot knows is secret, as start() sets it up: a COMMAND_ENV value, the signing secret', () => {
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'plainsigningsecret42',
      COMMAND_ENV: 'ATOM_API_TOKEN,ATOM_PIN',
      ATOM_API_TOKEN: 'tenant7hq2lm9xvpq',
      ATOM_PIN: '4812',
    });
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    const logger = boltLogger(
      createLogger({ level: 'info', format: 'json', destination: out, mask: redactWith(logSecrets(config)) }),
    );
    logger.warn('atom-cli printed tenant7hq2lm9xvpq', { secret: 'plainsigningsecret42' });
    logger.warn('atom-cli printed ATOM_PIN=4812 at 4812 Main St');
    expect(text).toContain('atom-cli printed ***');
    expect(text).toContain('atom-cli printed ATOM_PIN=*** at 4812 Main St');
    expect(text).not.toContain('tenant7hq2lm9xvpq');
    expect(text).not.toContain('plainsigningsecret42');
  });

  it("carries the request's id and incident while a request runs", () => {
    const c = capture();
    withRequest({ requestId: 'r-1' }, () => {
      c.logger.info('before');
      noteIncident(7);
      c.logger.info('after');
    });
    c.logger.info('outside');
    const [before, after, outside] = c.lines();
    expect(before).toMatchObject({ reqId: 'r-1' });
    expect(before).not.toHaveProperty('incidentId');
    expect(after).toMatchObject({ reqId: 'r-1', incidentId: 7 });
    expect(outside).not.toHaveProperty('reqId');
  });

  it("serves Bolt's Logger: level, name and the levels below it dropped", () => {
    const c = capture();
    expect(c.logger.getLevel()).toBe(LogLevel.INFO);
    c.logger.debug('dropped');
    c.logger.setLevel(LogLevel.DEBUG);
    expect(c.logger.getLevel()).toBe(LogLevel.DEBUG);
    c.logger.setName('bolt-app');
    c.logger.debug('kept');
    expect(c.lines()).toEqual([expect.objectContaining({ level: 'debug', msg: 'kept', name: 'bolt-app' })]);
  });

  it('is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat(undefined, undefined)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });
});

describe('the log format of a real process', () => {
  const env = { ...process.env, LOG_FORMAT: '', NO_COLOR: '1' };

  it('writes JSON lines into a pipe', async () => {
    const { stdout } = await run(TSX, [FIXTURE], { env });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [info, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(info).toMatchObject({ level: 'info', msg: 'started with xoxb-***' });
    expect(error).toMatchObject({ level: 'error', msg: 'call failed', err: { message: 'refused for sk-***' } });
  }, 30_000);

  it('is pretty on a pseudo-terminal (script(1)), and JSON there when LOG_FORMAT=json', async () => {
    const underPty = async (format: string) => {
      const { stdout } = await run('script', ['-qec', `${TSX} ${FIXTURE}`, '/dev/null'], {
        env: { ...env, LOG_FORMAT: format },
      });
      // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes, if the terminal gets any
      return stdout.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');
    };
    const pretty = await underPty('');
    expect(pretty).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(\d+\): started with xoxb-\*\*\*$/m);
    expect(pretty).toMatch(/ERROR \(\d+\): call failed/);
    expect(pretty).not.toContain('abcdefghijklmnopqrstuvwx');
    expect(() => JSON.parse(pretty.trim().split('\n')[0] ?? '')).toThrow();

    const forced = await underPty('json');
    expect(JSON.parse(forced.trim().split('\n')[0] ?? '')).toMatchObject({
      level: 'info',
      msg: 'started with xoxb-***',
    });
  }, 30_000);
});
