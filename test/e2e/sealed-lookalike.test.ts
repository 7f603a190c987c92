import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW } from '../../src/templates/ids.js';
import { type ProcedureBot, RESPONDER, startProcedureBot } from '../support/procedure-bot.js';

/** An object key a person may legitimately type: it only looks like a value the bot sealed. */
const KEY = 'sealed:v1:backups/2026-12-01.sql.gz';
const BUCKET = 'atom-saas';

interface PlaybookData {
  title: string;
  mitigation: Record<string, unknown>[];
}

/**
 * The bundled runbook's S3 restore (read-only steps run at once, the upload confirmed first) and a copy of it whose
 * upload also needs a second person: a typed value that starts as a sealed one reaches the command exactly as typed.
 */
describe('a step parameter typed starting with the sealed-value prefix', () => {
  let env: ProcedureBot;

  beforeAll(async () => {
    env = await startProcedureBot({
      edit: (data) => {
        const playbooks = data.playbooks as Record<string, PlaybookData>;
        const restore = playbooks['restore-s3-object']!;
        const approved: PlaybookData = {
          ...restore,
          title: 'Storage Recovery (S3): Restore Deleted Object, approved',
          mitigation: [restore.mitigation[0]!, { ...restore.mitigation[1]!, approval: true }],
        };
        return { ...data, playbooks: { ...playbooks, 'restore-s3-object-approved': approved } };
      },
    });
  });
  afterAll(async () => {
    await env?.stop();
  });

  const lastAws = async () => (await env.awsRuns()).at(-1)?.argv;

  it('runs with exactly that value: at once, through the confirmation, and through an approval', async () => {
    const plain = await env.start('restore-s3-object');
    // Read-only: runs at once with the key as typed.
    await env.submitParams(plain, 'detection.0', { bucket: BUCKET, key: KEY });
    expect(await env.ended(plain, 'list-object-versions')).toContain(':white_check_mark: Succeeded');
    expect(await lastAws()).toEqual(['s3api', 'list-object-versions', '--bucket', BUCKET, '--prefix', KEY]);
    await env.submitParams(plain, 'mitigation.0', {
      bucket: BUCKET,
      key: KEY,
      version_id: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
    });
    expect(await env.ended(plain, 'get-object')).toContain(':white_check_mark: Succeeded');
    expect(await lastAws()).toContain(KEY);

    // Destructive: the confirmation shows the key as typed, and its submission runs with it.
    const upload = await env.submitParams(plain, 'mitigation.1', { bucket: BUCKET, key: KEY });
    expect(JSON.stringify(upload.json)).toContain(`aws s3 cp restored-object s3://${BUCKET}/${KEY}`);
    // The form carried the key sealed, as the bot seals every carried value that starts so.
    const carried = JSON.parse((upload.json as { view: { private_metadata: string } }).view.private_metadata) as {
      params: Record<string, string>;
    };
    expect(carried.params.key).toMatch(/^sealed:v1:/);
    expect(carried.params.key).not.toContain('backups/');
    // A carried value the bot cannot open (another bot's, forged) is refused in the form, saying what to do; nothing runs.
    const runs = (await env.awsRuns()).length;
    const forged = await env.bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: JSON.stringify({
        ...carried,
        params: { ...carried.params, key: 'sealed:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      }),
      userId: RESPONDER,
      values: {},
    });
    expect(forged.json).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(forged.json)).toContain('can no longer be read');
    expect((await env.awsRuns()).length).toBe(runs);
    env.bot.fake.reset();
    await env.confirm(upload);
    expect(await env.ended(plain, 's3 cp')).toContain(':white_check_mark: Succeeded');
    expect(await lastAws()).toEqual(['s3', 'cp', 'restored-object', `s3://${BUCKET}/${KEY}`]);

    // Confirmed, then approved by a second person: the request's row carries it until then.
    const approved = await env.start('restore-s3-object-approved');
    const asked = await env.submitParams(approved, 'mitigation.1', { bucket: BUCKET, key: KEY });
    const before = (await env.awsRuns()).length;
    await env.confirm(asked);
    await env.approve(approved);
    const ended = await env.ended(approved, 's3 cp');
    expect(ended).toContain(':white_check_mark: Succeeded');
    expect(ended).toContain(`s3://${BUCKET}/${KEY}`);
    expect((await env.awsRuns()).slice(before).map((r) => r.argv)).toEqual([
      ['s3', 'cp', 'restored-object', `s3://${BUCKET}/${KEY}`],
    ]);
  });
});
