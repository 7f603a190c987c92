import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, FLAG, INPUT, VIEW } from '../../src/templates/ids.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { SIGNING_SECRET, useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, type Opened, postStatusUpdate } from '../support/incident-flow.js';
import { makeHomeAction, postInteraction, stateValue, TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');
const COMMANDER = 'U0COMMANDER';
/** A machine id that `atom-cli nodes list` prints (test/fixtures/atom-cli): a command's output. */
const NODE_ID = '3d8d9e1b2c4f89';

const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    playbooks: {
      checkout: {
        title: 'Checkout failures',
        kind: 'incident',
        match: ['checkout'],
        mitigation: [{ text: 'List the nodes', run: ['atom-cli', 'nodes', 'list'], timeout: '10s' }],
      },
    },
  });

interface StatusJson {
  title: string;
  statusPage?: string;
  active: { id: number; title: string; impact: string; status: string; latestUpdate: Record<string, string> | null }[];
  resolved: { id: number; title: string; resolvedAt: string; latestUpdate: Record<string, string> | null }[];
}

/**
 * Everything the record holds that is not public: people, commands and their output, mitigation steps, the resolution
 * summary, an unpublished update, flags, an incident never published, the Slack channel. The fields written here are
 * hostile on purpose: none of them may reach /status, /status.json or /status.atom.
 */
const PRIVATE = [
  TEST_REPORTER_ID,
  COMMANDER,
  'SECRET-MITIGATION',
  'SECRET-SUMMARY',
  'PRIVATE-AFFECTED',
  'PRIVATE-IMPACT',
  'PRIVATE-STATUS',
  'PRIVATE-TITLE',
  'atom-cli',
  NODE_ID,
  'Customer impact',
  'Data-loss',
  'SEV-',
  'inc-',
];

describe('the status page shows what was published and nothing else', () => {
  const bot = useBot({
    runbook: runbook(),
    incidentsChannel: true,
    env: {
      ATOM_CLI,
      STATUS_PAGE_TITLE: 'ATOM <Status> & "friends"',
      STATUS_PAGE_URL: 'https://status.atomagentos.com',
    },
  });
  const get = (path: string) => fetch(`${bot.baseUrl}${path}`);
  const json = async () => (await (await get('/status.json')).json()) as StatusJson;

  let major: Opened;

  it('a SEV-1 is public from its declaration, its form ticks "Publish", and only the published text shows', async () => {
    major = await declareThroughBot(bot, 'sev1 Checkout <b>fails</b> & "slow"');
    // The commander works in the channel (only people in it run its steps).
    bot.fake.channels.get(major.channelId)!.members.add(COMMANDER);
    // The SEV-1 is listed at once: title and impact, no update yet.
    const listed = await eventually(async () => (await json()).active.find((i) => i.id === major.incidentId), 'it');
    expect(listed).toMatchObject({ title: 'Checkout <b>fails</b> & "slow"', impact: 'Partial outage' });
    expect(listed.latestUpdate).toBeNull();

    await bot.command('ack', { channel_id: major.channelId, user_id: COMMANDER });
    await eventually(async () => {
      const { rows } = await bot.db.query<{ commander_id: string | null }>(
        'SELECT commander_id FROM incidents WHERE id = $1',
        [major.incidentId],
      );
      return rows[0]?.commander_id === COMMANDER ? true : undefined;
    }, 'the commander');

    const form = await postStatusUpdate(
      bot,
      major,
      {
        affected: 'EU <script>alert(1)</script> tenants',
        impact: 'Half of checkouts fail',
        currentStatus: 'Failing over to the replica\nsecond line',
        mitigation: 'SECRET-MITIGATION: atom-cli nodes restart node-7',
        flags: [FLAG.customerImpact, FLAG.dataLossRisk],
        publish: true,
      },
      COMMANDER,
    );
    // The form the bot opened for a SEV-1 had "Publish to status page" ticked.
    const box = form.blocks.find((b) => b.block_id === BLOCK.updPublish)!.element!;
    expect(box.action_id).toBe(INPUT.publish);
    expect((box.initial_options as { value: string }[]).map((o) => o.value)).toEqual([FLAG.publish]);

    const published = await eventually(async () => {
      const i = (await json()).active.find((x) => x.id === major.incidentId);
      return i?.latestUpdate ? i : undefined;
    }, 'the published update');
    expect(published.latestUpdate).toMatchObject({
      status: 'investigating',
      affected: 'EU <script>alert(1)</script> tenants',
      currentImpact: 'Half of checkouts fail',
      currentStatus: 'Failing over to the replica\nsecond line',
    });
    // The channel is told the update went public.
    const posted = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === major.channelId && String(c.args.text).includes('Half of checkouts fail'),
    );
    expect(JSON.stringify(posted.args.blocks)).toContain('Published on the status page');
    expect(Object.keys(published.latestUpdate!).sort()).toEqual(
      ['affected', 'at', 'currentImpact', 'currentStatus', 'nextUpdateAt', 'status'].sort(),
    );
  });

  it('an unpublished update, a command run, a resolution summary and a private incident never appear', async () => {
    // An update with the box unticked: recorded and posted in Slack, not public.
    await postStatusUpdate(
      bot,
      major,
      {
        affected: 'PRIVATE-AFFECTED',
        impact: 'PRIVATE-IMPACT',
        currentStatus: 'PRIVATE-STATUS',
        mitigation: 'SECRET-MITIGATION again',
        publish: false,
      },
      COMMANDER,
    );
    const unpublished = await bot.fake.waitFor('chat.postMessage', (c) =>
      String(c.args.text).includes('PRIVATE-STATUS'),
    );
    expect(JSON.stringify(unpublished.args.blocks)).not.toContain('status page');

    // A playbook step whose output names machines.
    const pb = bot.fake.messagesIn(major.channelId).find((m) => /^Playbook:/.test(m.text ?? ''))!;
    await bot.click({
      channelId: major.channelId,
      messageTs: pb.ts,
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'checkout', s: 'mitigation.0' }),
      userId: COMMANDER,
    });
    const ran = await eventually(async () => {
      const { rows } = await bot.db.query<{ state: string }>('SELECT state FROM step_runs WHERE incident_id = $1', [
        major.incidentId,
      ]);
      return rows[0] && rows[0].state !== 'running' ? rows[0].state : undefined;
    }, 'the step run');
    expect(ran).toBe('succeeded');
    // The run is recorded finished before its message in Slack is updated with the whole output: wait for that.
    await eventually(
      async () => JSON.stringify(bot.fake.messagesIn(major.channelId)).includes(NODE_ID) || undefined,
      'the step output in the channel',
    );

    // A SEV-2 nobody published is private.
    await declareThroughBot(bot, 'sev2 PRIVATE-TITLE replica lag');
    // A SEV-2 with a published update is public, with that update.
    const minor = await declareThroughBot(bot, 'sev2 Search is slow');
    await postStatusUpdate(bot, minor, {
      affected: 'Search',
      impact: 'Results take seconds',
      currentStatus: 'Reindexing',
      publish: true,
    });

    await bot.command('resolve SECRET-SUMMARY the pool leaked', { channel_id: major.channelId, user_id: COMMANDER });

    const page = await eventually(async () => {
      const j = await json();
      return j.resolved.some((i) => i.id === major.incidentId) && j.active.some((i) => i.id === minor.incidentId)
        ? j
        : undefined;
    }, 'the resolution and the SEV-2');
    expect(page.active.map((i) => i.title)).toEqual(['Search is slow']);
    expect(page.active[0]!.impact).toBe('Degraded performance');
    expect(page.resolved.map((i) => i.title)).toEqual(['Checkout <b>fails</b> & "slow"']);
    // Its latest public update is still the published one.
    expect(page.resolved[0]!.latestUpdate).toMatchObject({ affected: 'EU <script>alert(1)</script> tenants' });

    const bodies = {
      html: await (await get('/status')).text(),
      json: JSON.stringify(page),
      atom: await (await get('/status.atom')).text(),
    };
    for (const [name, body] of Object.entries(bodies)) {
      for (const secret of PRIVATE) expect(body, `${name} holds ${secret}`).not.toContain(secret);
      expect(body, name).not.toContain(major.channelId);
    }
    // What was published is there, escaped in the markup.
    expect(bodies.html).toContain('EU &lt;script&gt;alert(1)&lt;/script&gt; tenants');
    expect(bodies.html).toContain('Checkout &lt;b&gt;fails&lt;/b&gt; &amp; &quot;slow&quot;');
    expect(bodies.html).not.toMatch(/<script|<b>fails/i);
    expect(bodies.atom).toContain('EU &lt;script&gt;alert(1)&lt;/script&gt; tenants');
    expect(bodies.atom).not.toMatch(/<script|<b>fails/i);
  });

  it('serves each format with its type, the configured title and link, and no script allowed', async () => {
    const page = await get('/status');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-[^']+'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<title>ATOM &lt;Status&gt; &amp; &quot;friends&quot;</title>');
    expect(html).toContain('<a href="https://status.atomagentos.com/">status.atomagentos.com</a>');

    const feed = await get('/status.atom');
    expect(feed.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const atom = await feed.text();
    expect(atom).toContain(`<link rel="self" type="application/atom+xml" href="${bot.baseUrl}/status.atom"/>`);
    expect(atom).toContain('<title type="text">ATOM &lt;Status&gt; &amp; &quot;friends&quot;</title>');

    const data = await get('/status.json');
    expect(data.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(data.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await data.json()) as StatusJson;
    expect(body.title).toBe('ATOM <Status> & "friends"');
    expect(body.statusPage).toBe('https://status.atomagentos.com');
  });

  it('a feed linked to a forged X-Forwarded-Host is not one a shared cache serves to others: it varies by those headers', async () => {
    // Found from outside: `curl -H 'X-Forwarded-Host: evil.example' -H 'X-Forwarded-Proto: https' …/status.atom` linked
    // every entry to https://evil.example/, under `Cache-Control: public, max-age=15` and no Vary.
    const forged = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const feed = await fetch(`${bot.baseUrl}/status.atom`, { headers: forged });
    expect(await feed.text()).toContain('https://evil.example/status.atom');
    const vary = (feed.headers.get('vary') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(vary).toEqual(expect.arrayContaining(['host', 'x-forwarded-host', 'x-forwarded-proto']));
    // The page and its JSON say nothing of how they were reached: the same to everyone, cached as such.
    for (const path of ['/status', '/status.json']) {
      const [plain, other] = [await get(path), await fetch(`${bot.baseUrl}${path}`, { headers: forged })];
      expect(await other.text(), path).toBe(await plain.text());
      expect(other.headers.get('cache-control'), path).toBe('public, max-age=15');
    }
  });

  it('answers HEAD as GET, without the body: an uptime monitor checking the page finds it up', async () => {
    for (const [path, type] of [
      ['/status', 'text/html; charset=utf-8'],
      ['/status.json', 'application/json; charset=utf-8'],
      ['/status.atom', 'application/atom+xml; charset=utf-8'],
    ] as const) {
      const res = await fetch(`${bot.baseUrl}${path}`, { method: 'HEAD' });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=15');
      expect(await res.text(), path).toBe('');
    }
  });

  it('answers 503 in words, never a stack, when the database cannot be read', async () => {
    // The page reads what is cached for a few seconds; past that, a read of a dropped table fails like an outage.
    await bot.db.query('ALTER TABLE status_page_updates RENAME TO status_page_updates_away');
    try {
      const res = await eventually(async () => {
        const r = await get('/status.json');
        return r.status === 503 ? r : undefined;
      }, 'a 503');
      expect(await res.json()).toEqual({
        error: 'unavailable',
        message: 'The status page cannot be read right now. Try again in a minute.',
      });
      const html = await get('/status');
      expect(html.status).toBe(503);
      expect(await html.text()).toBe('The status page cannot be read right now. Try again in a minute.');
    } finally {
      await bot.db.query('ALTER TABLE status_page_updates_away RENAME TO status_page_updates');
    }
  });
});

describe("an incident opened from alerts is public only once a person publishes, under the person's words", () => {
  const bot = useBot({ runbook: alertRunbook(), incidentsChannel: true, env: { ...ALERTS_ENV } });
  const get = (path: string) => fetch(`${bot.baseUrl}${path}`);
  const bodies = async () => ({
    html: await (await get('/status')).text(),
    json: await (await get('/status.json')).text(),
    atom: await (await get('/status.atom')).text(),
  });

  it("a critical alert's SEV-1 is not listed, and its summary never shows; a published update lists it as AFFECTED", async () => {
    // The summary is monitoring's words: a host, a pool, a figure. HighErrorRate's row declares SEV-1, a level the
    // page makes public from declaration when a person declares it.
    const summary = 'ALERT-SUMMARY db-primary-eu-1 pool 98%';
    const res = await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ key: 'status-alert', summary }));
    // A 503 once in CI, right after the describe above renamed a table of the same pooled schema away and back: its
    // body says which (no connection, no answer in time, or refused).
    expect(res.status, res.text).toBe(202);
    await inboxDone(bot.db);
    const incident = await waitUntil('the card', async () => {
      const i = (await incidentsOfSource(bot.db, 'integration-metrics'))[0];
      return i?.card_ts ? i : undefined;
    });
    expect(incident.severity).toBe(1);
    for (const [name, body] of Object.entries(await bodies())) expect(body, name).not.toContain('ALERT-SUMMARY');
    expect(((await (await get('/status.json')).json()) as StatusJson).active).toEqual([]);

    const opened: Opened = { incidentId: incident.id, channelId: incident.channel_id, cardTs: incident.card_ts! };
    await postStatusUpdate(bot, opened, {
      affected: 'Sign-in for EU tenants',
      impact: 'Some sign-ins fail',
      currentStatus: 'We are investigating',
      publish: true,
    });
    const listed = await eventually(async () => {
      const i = ((await (await get('/status.json')).json()) as StatusJson).active.find((x) => x.id === incident.id);
      return i?.latestUpdate ? i : undefined;
    }, 'the published update');
    expect(listed.title).toBe('Sign-in for EU tenants');
    expect(listed.latestUpdate).toMatchObject({
      affected: 'Sign-in for EU tenants',
      currentImpact: 'Some sign-ins fail',
    });
    for (const [name, body] of Object.entries(await bodies())) {
      expect(body, name).not.toContain('ALERT-SUMMARY');
      expect(body, name).not.toContain('db-primary-eu-1');
      expect(body, name).toContain('Sign-in for EU tenants');
    }
    // Its feed entry for being made public is dated when it was, with its first published update: not at the
    // declaration, when nobody outside could see it.
    const entries = (await bodies()).atom.split('<entry>').slice(1);
    const published = (marker: string) =>
      /<published>([^<]+)<\/published>/.exec(entries.find((e) => e.includes(marker))!)![1];
    expect(published(`incident/${incident.id}/opened`)).toBe(published(`incident/${incident.id}/update/`));
  });

  it("the declare form's description, an internal note, never shows; the SEV-1's title does", async () => {
    await postInteraction(
      bot.baseUrl,
      SIGNING_SECRET,
      makeHomeAction({
        userId: TEST_REPORTER_ID,
        actionId: ACTION.homeDeclare,
        blockId: BLOCK.homeActions,
        value: 'home',
      }),
    );
    const open = await bot.fake.waitFor(
      'views.open',
      (c) => (c.args.view as { callback_id?: string }).callback_id === VIEW.declare,
    );
    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: (open.args.view as { private_metadata: string }).private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('1', 'SEV-1 (High)') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText('Payments are failing') },
        [BLOCK.declareDescription]: { [INPUT.text]: stateValue.plainText('PRIVATE-NOTE stripe key rotated by Bob') },
      },
    });
    expect(submitted.status).toBe(200);
    await eventually(async () => {
      const page = (await (await get('/status.json')).json()) as StatusJson;
      return page.active.some((i) => i.title === 'Payments are failing') ? true : undefined;
    }, 'the SEV-1 listed');
    for (const [name, body] of Object.entries(await bodies())) {
      expect(body, name).not.toContain('PRIVATE-NOTE');
      expect(body, name).not.toContain('Bob');
    }
  });
});
