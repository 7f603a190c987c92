import { describe, expect, it } from 'vitest';
import {
  compileDeploymentPattern,
  DEFAULT_DEPLOYMENT_PATTERN,
  findRollbackTarget,
  parseDeployments,
} from '../../src/ops/deployments.js';
import { runCommand } from '../../src/ops/run-command.js';
import { ATOM_CLI } from './fake-atom-cli.js';

describe('parseDeployments', () => {
  it('reads what the fake `atom-cli deployments` prints', async () => {
    const result = await runCommand([ATOM_CLI, 'deployments']);
    const deployments = parseDeployments(result.full);

    expect(deployments.map(({ version, current, status }) => ({ version, current, status }))).toEqual([
      { version: 'v58', current: true, status: 'complete' },
      { version: 'v57', current: false, status: 'complete' },
      { version: 'v56', current: false, status: 'failed' },
      { version: 'v55', current: false, status: 'complete' },
      { version: 'v54', current: false, status: 'complete' },
    ]);
    expect(deployments[0]?.createdAt?.toISOString()).toBe('2025-11-27T21:04:11.000Z');
    expect(deployments[0]?.raw).toMatch(/^\*\s+v58\s+complete/);
    // What was deployed, so a person sees which service a rollback takes back.
    expect(deployments.map((d) => d.description)).toEqual([
      'Deploy web-platform image deployment-01JDXK4V9Q',
      'Deploy web-platform image deployment-01JDV0MZ3A',
      'Health checks failed, rolled back automatically',
      'Deploy api-service image deployment-01JDNQ2R7C',
      'Deploy web-platform image deployment-01JD9B1E6F',
    ]);
  });

  it('skips headers, blank lines and notices, and reads CRLF output', () => {
    const output = [
      'CURRENT  VERSION  STATUS       CREATED               DESCRIPTION',
      '',
      '*        v12      complete     2025-01-02T03:04:05Z  Deploy',
      '         v11      rolled_back  2025-01-01 10:00      Bad release',
      'Showing 2 of 11 deployments',
    ].join('\r\n');
    const deployments = parseDeployments(output);
    expect(deployments).toHaveLength(2);
    expect(deployments[1]).toMatchObject({ version: 'v11', current: false, status: 'rolled_back' });
    expect(deployments[1]?.createdAt).toBeInstanceOf(Date);
    expect(deployments[1]?.raw).toBe('         v11      rolled_back  2025-01-01 10:00      Bad release');
  });

  it('takes another pattern, as a RegExp or as a string from config', () => {
    const output = ['v9 (current) ok 2025-02-01', 'v8 ok 2025-01-20', 'v7 failed 2025-01-10'].join('\n');
    const pattern = /^(?<version>v\d+)\s+(?<current>\(current\))?\s*(?<status>\w+)\s+(?<date>\S+)/g;
    const fromRegExp = parseDeployments(output, { pattern });
    const fromString = parseDeployments(output, { pattern: pattern.source });
    expect(fromRegExp.map((d) => [d.version, d.current, d.status])).toEqual([
      ['v9', true, 'ok'],
      ['v8', false, 'ok'],
      ['v7', false, 'failed'],
    ]);
    expect(fromString).toEqual(fromRegExp);
    // The `g` flag would make a shared RegExp skip lines; it is dropped, and the caller's object is left alone.
    expect(pattern.lastIndex).toBe(0);
  });

  it('works with a pattern that only has a version', () => {
    const deployments = parseDeployments('release 3.2.1\nrelease 3.2.0\n', { pattern: /^release (?<version>\S+)/ });
    expect(deployments).toEqual([
      { version: '3.2.1', current: false, raw: 'release 3.2.1' },
      { version: '3.2.0', current: false, raw: 'release 3.2.0' },
    ]);
  });

  it('never yields a version that would read as an option or carry a blank', () => {
    const pattern = /^(?<version>.+?)\s*\|/;
    const deployments = parseDeployments('--force |\nv1 2|\nv3 |\n', { pattern });
    expect(deployments.map((d) => d.version)).toEqual(['v3']);
  });

  it('rejects a pattern without a version group, or that does not compile', () => {
    expect(() => compileDeploymentPattern(/^(?<release>v\d+)/)).toThrow(/named group "version"/);
    expect(() => compileDeploymentPattern('(?<version>v\\d+')).toThrow(/not a valid regular expression/);
    expect(compileDeploymentPattern(DEFAULT_DEPLOYMENT_PATTERN).flags).toBe('');
  });
});

describe('findRollbackTarget', () => {
  it('offers the newest healthy deployment older than the current one', () => {
    const deployments = parseDeployments(
      [
        '*        v58      complete     2025-11-27T21:04:11Z  a',
        '         v57      failed       2025-11-26T16:40:02Z  b',
        '         v56      complete     2025-11-26T15:58:47Z  c',
      ].join('\n'),
    );
    expect(findRollbackTarget(deployments)?.version).toBe('v56');
  });

  it('offers nothing without a current deployment or a healthy older one', () => {
    expect(findRollbackTarget(parseDeployments('         v57      complete     2025-11-26T16:40:02Z'))).toBeUndefined();
    expect(findRollbackTarget(parseDeployments('*        v57      complete     2025-11-26T16:40:02Z'))).toBeUndefined();
  });
});
