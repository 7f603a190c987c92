import { describe, expect, it } from 'vitest';
import { createSealer } from '../../src/ops/sealed-values.js';
import { shownTarget } from '../../src/ops/step-runners.js';
import { type CommandStep, maskedValues, validateParams } from '../../src/runbook/playbooks.js';
import { parseRunbook, type RunbookError } from '../../src/runbook/runbook.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import { makeIncident } from '../support/incident-fixture.js';
import { testRunbook, testRunbookData } from '../support/test-runbook.js';

const setSecret: CommandStep = {
  type: 'command',
  text: 'Update DATABASE_URL secret',
  run: ['atom-cli', 'secrets', 'set', 'DATABASE_URL={database_url}'],
  params: { database_url: { kind: 'secret' } },
  destructive: true,
  approval: true,
  timeoutMs: 60_000,
};
const s3 = (params: CommandStep['params']): CommandStep => ({
  type: 'command',
  text: 'S3',
  run: ['aws', 's3api', 'get-object', '--bucket', '{bucket}', '--key', '{key}', '--version-id', '{v}', 'out'],
  params,
  destructive: false,
  approval: false,
  timeoutMs: 60_000,
});
const get = s3({ bucket: { kind: 's3_bucket' }, key: { kind: 's3_key' }, v: { kind: 's3_version_id' } });
const URL = 'postgresql://atom:S3cr3t-pw_42@ep-x-1.us-east-2.aws.neon.tech/atom?sslmode=require';

describe('new parameter kinds', () => {
  it.each([
    ['AtomSaas'],
    ['ab'],
    ['a'.repeat(64)],
    ['192.168.1.1'],
    ['xn--bucket'],
    ['my..bucket'],
    ['my.-bucket'],
    ['bucket-s3alias'],
    ['-bucket'],
    ['bucket_name'],
  ])('refuses the S3 bucket name %j, with the expected pattern', (bucket) => {
    const r = validateParams(get, { bucket, key: 'k', v: 'null' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.bucket).toMatch(/expected an S3 bucket name, e\.g\. atom-saas \(pattern 3-63/);
  });

  it.each([
    ['../etc/passwd'],
    ['tenant/../x'],
    ['tenant/./x'],
    ['tenant/..'],
    ['/abs'],
    ['-rf'],
    ['a\u0000b'],
    ['a b'],
  ])('refuses the object key %j', (key) => {
    const r = validateParams(get, { bucket: 'atom-saas', key, v: 'null' });
    expect(r.ok).toBe(false);
  });

  it.each([['tenant-abc/file..pdf'], ['tenant/..x'], ['a..b'], ['tenant/x..']])(
    'refuses the object key %j: no ".." anywhere, the message says so',
    (key) => {
      const r = validateParams(get, { bucket: 'atom-saas', key, v: 'null' });
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.errors.key).toBe(
          `${JSON.stringify(key)} is not valid; expected an S3 object key, e.g. tenant-abc/file.pdf (pattern letters, digits and . _ - / = + , @ : with no ".." anywhere and no "." segment, not starting with / or -)`,
        );
    },
  );

  it('accepts good S3 values and version ids, and keys up to 1024 characters', () => {
    expect(validateParams(get, { bucket: 'atom-saas', key: '.well-known/a.b.c', v: 'null' }).ok).toBe(true);
    expect(validateParams(get, { bucket: 'atom-saas', key: 'tenant-abc/file.v2.pdf', v: '3HL4kqtJ+rm/Sp=' }).ok).toBe(
      true,
    );
    expect(validateParams(get, { bucket: 'a.b-c', key: `t/${'k'.repeat(1000)}`, v: 'null' }).ok).toBe(true);
    expect(validateParams(get, { bucket: 'atom-saas', key: 'k', v: '-x' }).ok).toBe(false);
  });

  it('a secret must be a postgres URL, and a refusal never repeats it', () => {
    for (const bad of ['hunter2-hunter2', 'mysql://root:pw@db/atom', 'postgresql://host/db; rm -rf /']) {
      const r = validateParams(setSecret, { database_url: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.errors.database_url).toMatch(/^The value is not valid; .*pattern postgresql:\/\/user:password@host/);
        expect(r.errors.database_url).not.toContain(bad);
      }
    }
    expect(validateParams(setSecret, { database_url: URL }).ok).toBe(true);
  });

  it('shows the secret as *** in its argument and finds its value for masking the output', () => {
    const r = validateParams(setSecret, { database_url: URL });
    if (!r.ok) throw new Error('refused');
    expect(shownTarget(setSecret, ['/opt/atom-cli', ...r.argv.slice(1)])).toEqual([
      'atom-cli',
      'secrets',
      'set',
      'DATABASE_URL=***',
    ]);
    expect(maskedValues(setSecret, r.argv)).toEqual([`DATABASE_URL=${URL}`, URL]);
  });

  it('seals values so only the same keys open them', () => {
    const a = createSealer(['xoxb-token', 'signing-secret']);
    const sealed = a.seal(URL);
    expect(sealed).not.toContain('S3cr3t');
    expect(a.open(sealed)).toBe(URL);
    expect(createSealer(['another-secret']).open(sealed)).toBeNull();
    expect(a.open(`${sealed.slice(0, -2)}AA`)).toBeNull();
    expect(a.open(URL)).toBeNull();
  });
});

describe('the runbook file: new fields named when malformed', () => {
  const problems = (playbook: Record<string, unknown>) => {
    try {
      parseRunbook({
        ...testRunbookData(),
        playbooks: { 'disaster-recovery': { title: 'DR', kind: 'procedure', ...playbook } },
      });
      return [];
    } catch (e) {
      return (e as RunbookError).problems;
    }
  };

  it('rto, rpo, expect, check and a secret default', () => {
    expect(problems({ rto: 'soon', mitigation: ['x'] })).toEqual([
      'playbooks.disaster-recovery.rto: "soon" is not a recovery time objective; write a duration or a range, e.g. 4h or 2h-4h',
    ]);
    expect(problems({ rto: '4h-2h', rpo: 'often', mitigation: ['x'] })).toHaveLength(2);
    expect(problems({ mitigation: [{ text: 'Look', expect: 'nothing' }] })).toEqual([
      'playbooks.disaster-recovery.mitigation step 1 ("Look"), expect: only a step the bot runs (run or http) has an expected result',
    ]);
    expect(
      problems({ mitigation: [{ text: 'Nodes', run: ['atom-cli', 'nodes', 'list'], check: 'all_good' }] }),
    ).toEqual([
      'playbooks.disaster-recovery.mitigation step 1 ("Nodes"), check: unknown output check "all_good"; checks: no_error_lines, machines_running, running_version',
    ]);
    expect(
      problems({
        mitigation: [
          {
            ...{ text: 'Set', run: setSecret.run, destructive: true },
            params: { database_url: { kind: 'secret', default: URL } },
          },
        ],
      }),
    ).toEqual([
      'playbooks.disaster-recovery.mitigation step 1 ("Set"), params.database_url.default: a secret is typed when the step runs: the runbook file holds no value',
    ]);
    expect(problems({ mitigation: [{ text: 'Cp', run: ['aws', 's3', 'cp', 'a', 's3://b/c'] }] })).toEqual([
      'playbooks.disaster-recovery.mitigation step 1 ("Cp"), destructive: "aws s3 cp" changes production: mark the step destructive: true',
    ]);
  });
});

describe('the card of an incident with recovery objectives', () => {
  it('shows the time since it started against the RTO, then past it, and the RPO', () => {
    const created = new Date('2026-03-01T08:00:00Z');
    const incident = makeIncident({ createdAt: created });
    const objectives = {
      playbookTitle: 'Disaster Recovery',
      rto: { minMs: 2 * 3_600_000, maxMs: 4 * 3_600_000 },
      rpo: { ms: 300_000, note: 'Neon continuous backups' },
    };
    const sev = testRunbook().severities;
    const at = (h: number) =>
      JSON.stringify(
        renderIncidentCard(
          incident,
          new Date(created.getTime() + h * 3_600_000),
          sev,
          undefined,
          undefined,
          objectives,
        ),
      );
    // The time since it started as Slack counts it for each reader when they read the card (not "1 hour elapsed"
    // written once): the card renders the same until a bound is passed.
    const started = `<!date^${created.getTime() / 1000}^{ago}|at 08:00 UTC>`;
    expect(at(1)).toContain(`RTO 2-4 hours: started ${started}, due by <!date^`);
    expect(at(1.5)).toBe(at(1));
    expect(at(1)).toContain('RPO 5 minutes (Neon continuous backups)');
    expect(at(3)).toContain('past the lower bound');
    const due = new Date(created.getTime() + 4 * 3_600_000);
    expect(at(5)).toContain(`past the RTO, due <!date^${due.getTime() / 1000}^{ago}|at 12:00 UTC>`);
    expect(at(6)).toBe(at(5));
  });
});
