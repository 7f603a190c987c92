import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDuration, parseDuration } from '../../src/runbook/duration.js';
import { DEFAULT_RUNBOOK_FILE, loadRunbook, parseRunbook, RunbookError } from '../../src/runbook/runbook.js';
import { RUNBOOK_TEXT_MAX } from '../../src/runbook/text-limits.js';
import { unstaffedRoles } from '../../src/runbook/unstaffed-roles.js';
import { testRunbookData } from '../support/test-runbook.js';

const base = () => testRunbookData({ contacts: { on_call: ['U0123ABC', 'S0GROUP1'] } });

const problems = (data: unknown): string[] => {
  try {
    parseRunbook(data, 'rb.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as Error).message).toContain('rb.yml');
    return (err as RunbookError).problems;
  }
  return [];
};

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['4h', 14_400_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    [' 2s ', 2000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '30', 'm', '1.5h', '-5m', '5 minutes', '0s', '10x'])('%j is not a duration', (t) =>
    expect(parseDuration(t)).toBeNull(),
  );
  it('describes durations for people', () => {
    expect(describeDuration(900_000)).toBe('15 minutes');
    expect(describeDuration(3_600_000)).toBe('1 hour');
    expect(describeDuration(5_400_000)).toBe('1 hour 30 minutes');
  });
});

describe('the runbook file', () => {
  it('the bundled ATOM runbook loads and matches the runbook text (response times, contact order, 30 minutes)', async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    expect(rb.severities[0].respondWithinMs).toBe(5 * 60_000);
    expect(rb.severities[1].respondWithinMs).toBe(15 * 60_000);
    expect(rb.severities[2].respondWithinMs).toBe(60 * 60_000);
    expect(rb.severities[3].respondWithinMs).toBe(4 * 60 * 60_000);
    expect(rb.severities[1].impact).toBe('Many users affected, critical paths broken');
    expect(rb.severities[1].examples).toEqual(['Agent execution failing', 'auth broken', 'payment processing down']);
    expect(rb.severities[0].examples).toEqual(['All machines down', 'database unavailable', 'data corruption']);
    expect(rb.escalation.order).toEqual(['on_call', 'senior_devops', 'engineering_manager', 'cto']);
    expect(rb.escalation.rules.unresolved).toEqual({
      afterMs: 30 * 60_000,
      roles: ['senior_devops'],
      until: 'resolved',
    });
    expect(rb.escalation.rules.customer_impact?.roles).toEqual(['engineering_manager']);
    expect(rb.escalation.rules.critical?.roles).toEqual(['senior_devops', 'cto']);
    expect(rb.escalation.rules.data_loss?.roles).toEqual(['database_team']);
    expect(rb.escalation.roles.database_team?.name).toBe('Database Team');
    expect(rb.escalation.order).not.toContain('database_team');
    expect(rb.escalation.roles.senior_devops!.name).toBe('Senior DevOps Engineer');
  });

  it('accepts user and user-group IDs', () => {
    expect(parseRunbook(base()).escalation.roles.on_call!.contacts).toEqual(['U0123ABC', 'S0GROUP1']);
  });

  it('names a contact that is not a Slack ID', () => {
    const rb = base();
    rb.escalation.roles.on_call.contacts = ['U0123ABC', '@alice'];
    expect(problems(rb)).toEqual([
      'escalation.roles.on_call.contacts item 2 ("@alice"): must be a Slack user ID (U…/W…) or user-group ID (S…)',
    ]);
  });

  it('names an unknown role wherever it is used', () => {
    const rb = base();
    rb.escalation.order.push('vp');
    rb.escalation.rules.critical = 'ceo';
    const p = problems(rb);
    const known = 'known roles: on_call, senior_devops, engineering_manager, cto, database_team';
    expect(p).toContain(`escalation.order item 5: unknown role "vp"; ${known}`);
    expect(p).toContain(`escalation.rules.critical: unknown role "ceo"; ${known}`);
  });

  it('names a malformed duration', () => {
    const rb = base();
    rb.escalation.rules.unresolved.after = 'half an hour';
    rb.severities['SEV-1'].respond_within = '15';
    const p = problems(rb);
    expect(p).toContain(
      'escalation.rules.unresolved.after: "half an hour" is not a duration; write e.g. 30s, 15m, 4h or 1h30m',
    );
    expect(p).toContain('severities.SEV-1.respond_within: "15" is not a duration; write e.g. 30s, 15m, 4h or 1h30m');
  });

  it('names a duration longer than a year (its timers would fall past any date)', () => {
    const rb = base();
    rb.severities['SEV-2'].respond_within = '99999999999d';
    expect(problems(rb)).toContain(
      'severities.SEV-2.respond_within: "99999999999d" is longer than a year: write at most 366d',
    );
  });

  it('names a missing severity and an unknown key', () => {
    const rb = base() as Record<string, unknown> & ReturnType<typeof base>;
    delete (rb.severities as Record<string, unknown>)['SEV-3'];
    (rb as Record<string, unknown>).escalations = {};
    const p = problems(rb);
    expect(p.some((x) => x.startsWith('severities.SEV-3:'))).toBe(true);
    expect(p.some((x) => /escalations/.test(x))).toBe(true);
  });

  it('escalation.rules takes the rules of the escalation policy, each under its key: no more, no fewer', () => {
    const rb = base();
    const rules = rb.escalation.rules as Record<string, unknown>;
    delete rules.customer_impact;
    rules.on_weekends = 'on_call';
    rules.unresolved = { after: '30m', page: 'nobody' };
    const p = problems(rb);
    expect(p.some((x) => x.startsWith('escalation.rules.customer_impact:'))).toBe(true);
    expect(p.some((x) => /escalation\.rules.*on_weekends/.test(x))).toBe(true);
    expect(p).toContain(
      'escalation.rules.unresolved.page: unknown role "nobody"; known roles: on_call, senior_devops, engineering_manager, cto, database_team',
    );
  });

  it('a rule may page a list of roles; each unknown one is named', () => {
    const rb = base();
    (rb.escalation.rules as Record<string, unknown>).critical = ['senior_devops', 'on_call'];
    expect(parseRunbook(rb).escalation.rules.critical?.roles).toEqual(['senior_devops', 'on_call']);
    (rb.escalation.rules as Record<string, unknown>).critical = ['senior_devops', 'ceo'];
    expect(problems(rb)).toEqual([
      'escalation.rules.critical item 2: unknown role "ceo"; known roles: on_call, senior_devops, engineering_manager, cto, database_team',
    ]);
    (rb.escalation.rules as Record<string, unknown>).critical = [];
    expect(problems(rb).some((x) => x.startsWith('escalation.rules.critical'))).toBe(true);
  });

  it('data_loss may be left out (nobody extra is paged) or name a role, which must exist', () => {
    expect(parseRunbook(base()).escalation.rules.data_loss).toBeUndefined();
    const rb = base();
    (rb.escalation.rules as Record<string, unknown>).data_loss = 'database_team';
    expect(problems(rb)).toEqual([]);
    (rb.escalation.rules as Record<string, unknown>).data_loss = 'dba';
    expect(problems(rb)).toEqual([
      'escalation.rules.data_loss: unknown role "dba"; known roles: on_call, senior_devops, engineering_manager, cto, database_team',
    ]);
  });

  it('unresolved.until is resolved unless the file says mitigated; nothing else is accepted', () => {
    expect(parseRunbook(base()).escalation.rules.unresolved?.until).toBe('resolved');
    const rb = base();
    (rb.escalation.rules.unresolved as Record<string, unknown>).until = 'mitigated';
    expect(parseRunbook(rb).escalation.rules.unresolved?.until).toBe('mitigated');
    (rb.escalation.rules.unresolved as Record<string, unknown>).until = 'acknowledged';
    expect(problems(rb).some((x) => x.startsWith('escalation.rules.unresolved.until:'))).toBe(true);
  });

  it('severity impact and examples are optional; examples are a list of words', () => {
    expect(parseRunbook(base()).severities[1]).toMatchObject({ impact: '', examples: [] });
    const rb = base();
    (rb.severities['SEV-1'] as Record<string, unknown>).examples = 'auth broken';
    expect(problems(rb).some((x) => x.startsWith('severities.SEV-1.examples:'))).toBe(true);
  });

  it('the status page: the bundled levels, the defaults when a file says nothing, and bad values named', async () => {
    const bundled = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    expect([0, 1, 2, 3].map((s) => bundled.severities[s as 0 | 1 | 2 | 3].statusPage)).toEqual([
      { impact: 'Major outage', publish: true },
      { impact: 'Partial outage', publish: true },
      { impact: 'Degraded performance', publish: false },
      { impact: 'Minor issue', publish: false },
    ]);
    // Without status_page, the same: the runbook's top two levels public.
    const plain = parseRunbook(base());
    expect(plain.severities[1].statusPage).toEqual({ impact: 'Partial outage', publish: true });
    expect(plain.severities[2].statusPage).toEqual({ impact: 'Degraded performance', publish: false });
    // One key set, the other defaulted.
    const data = base();
    data.severities['SEV-2'] = { ...data.severities['SEV-2'], status_page: { publish: true } } as never;
    data.severities['SEV-0'] = { ...data.severities['SEV-0'], status_page: { impact: 'Everything is down' } } as never;
    const custom = parseRunbook(data);
    expect(custom.severities[2].statusPage).toEqual({ impact: 'Degraded performance', publish: true });
    expect(custom.severities[0].statusPage).toEqual({ impact: 'Everything is down', publish: true });

    const bad = base();
    bad.severities['SEV-1'] = { ...bad.severities['SEV-1'], status_page: { publish: 'yes', colour: 'red' } } as never;
    bad.severities['SEV-3'] = { ...bad.severities['SEV-3'], status_page: { impact: '' } } as never;
    const named = problems(bad).join('\n');
    expect(named).toMatch(/severities\.SEV-1\.status_page: .*colour/);
    expect(named).toMatch(/severities\.SEV-1\.status_page\.publish: /);
    expect(named).toMatch(/severities\.SEV-3\.status_page\.impact: /);
  });

  it("the bundled runbook's post-mortem checklist is the runbook's Post-Mortem phase, each item ticked from the record", async () => {
    const rb = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    expect(rb.postmortem.checklist).toEqual([
      { text: 'Document incident timeline', check: 'timeline' },
      { text: 'Identify root cause', check: 'root_cause' },
      { text: 'Create action items', check: 'action_items' },
      { text: 'Update runbook if needed', check: 'runbook' },
    ]);
  });

  it('postmortem.checklist takes plain items (ticked by hand) and known checks; it is optional', () => {
    expect(parseRunbook(base()).postmortem.checklist).toEqual([]);
    const rb = parseRunbook({
      ...base(),
      postmortem: { checklist: ['Share it', { text: 'Root cause', done_when: 'root_cause' }] },
    });
    expect(rb.postmortem.checklist).toEqual([
      { text: 'Share it', check: null },
      { text: 'Root cause', check: 'root_cause' },
    ]);
    expect(problems({ ...base(), postmortem: { checklist: [{ text: 'x', done_when: 'soon' }] } })).toEqual([
      'postmortem.checklist item 1 ("x"), done_when: "soon" is not one of timeline, root_cause, action_items, runbook',
    ]);
    expect(problems({ ...base(), postmortem: { checklist: ['Same', 'same'] } })).toEqual([
      expect.stringMatching(/postmortem\.checklist: two checklist items have the same text/),
    ]);
    expect(problems({ ...base(), postmortem: { list: [] } })).toEqual([expect.stringMatching(/^postmortem/)]);
  });

  it('a missing file or bad YAML is a RunbookError naming the file', async () => {
    await expect(loadRunbook('/nonexistent/runbook.yml')).rejects.toThrow(
      /\/nonexistent\/runbook.yml.*there is no such file/s,
    );
  });

  it('a file that cannot be the runbook says why and what to do: missing, a directory, empty, not a mapping, too large, binary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-read-'));
    const file = async (name: string, content: string | Buffer) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    };
    const only = async (path: string) => {
      const err = await loadRunbook(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunbookError);
      expect((err as Error).message).toContain(path);
      expect((err as RunbookError).problems).toHaveLength(1);
      return (err as RunbookError).problems[0];
    };
    expect(await only(join(dir, 'missing.yml'))).toMatch(/^there is no such file: set RUNBOOK_FILE to the path/);
    expect(await only(dir)).toMatch(/^it is a directory, not a file: set RUNBOOK_FILE/);
    expect(await only(await file('empty.yml', ''))).toMatch(/^it is empty \(or only comments\): write the runbook/);
    expect(await only(await file('comments.yml', '# to do\n'))).toMatch(/^it is empty/);
    expect(await only(await file('list.yml', '- a\n- b\n'))).toMatch(/^it is a list .*must be a mapping of name:/);
    expect(await only(await file('text.yml', 'hello\n'))).toMatch(/^it holds only the text "hello"/);
    const huge = await file('huge.yml', `name: x\n${'# padding\n'.repeat(200_000)}`);
    expect(await only(huge)).toMatch(
      /^it is 1\.9 MB, and a runbook file is at most 1 MB .*check that RUNBOOK_FILE names/,
    );
    const binary = await file('binary.yml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0xff, 0xfe, 0x0a]));
    expect(await only(binary)).toMatch(/^it is not a text file in UTF-8 \(it holds binary data\)/);
  });

  it("a missing entry, a wrong type or an unknown key says what to write, not zod's words", () => {
    const data = base() as { severities: Record<string, unknown>; escalation: Record<string, unknown> };
    const { 'SEV-3': _gone, ...three } = data.severities;
    expect(problems({ ...data, severities: three })).toEqual([
      'severities.SEV-3: missing: add it as runbooks/atom.yml does (a mapping of keys (key: value))',
    ]);
    expect(problems({ ...data, escalation: { ...data.escalation, order: 'on_call' } })).toEqual([
      'escalation.order: must be a list, such as [a, b] or lines starting with "- ", not the text "on_call"',
    ]);
    expect(problems({ ...data, escalation: { ...data.escalation, paging: true } })).toEqual([
      'escalation: unknown key "paging"; the keys here are order, roles, rules',
    ]);
    // Too short or too long, said with the length given and allowed, not "Too big: expected string to have <=60".
    const sev = data.severities['SEV-0'] as Record<string, unknown>;
    const row = { name: 'A', metric: 'a', threshold: '', action: 'Look', level: 'info' };
    expect(
      problems({
        ...data,
        severities: { ...data.severities, 'SEV-0': { ...sev, status_page: { impact: 'x'.repeat(61) } } },
      }),
    ).toEqual(['severities.SEV-0.status_page.impact: is 61 characters long; write at most 60']);
    expect(problems({ ...data, alerts: [row] })).toEqual(['alerts row 1 ("A"), threshold: is empty: write it']);
    expect(problems({ ...data, escalation: { ...data.escalation, order: [] } })).toEqual([
      'escalation.order: is an empty list: list at least one',
    ]);
  });

  it("a word outside a closed list is quoted with the words its key takes, not zod's words (every such key)", () => {
    const data = base() as ReturnType<typeof base> & Record<string, unknown>;
    const roles = data.escalation.roles as Record<string, Record<string, unknown>>;
    roles.on_call!.notify = [{ via: 'sms' }];
    (data.escalation.rules.unresolved as Record<string, unknown>).until = 'fixed';
    const p = problems({
      ...data,
      playbooks: { 'db-down': { title: 'Database down', kind: 'secure' } },
      alerts: [
        { name: 'HighErrorRate', metric: 'error_rate', threshold: '> 10%', action: 'Check logs', level: 'critcal' },
        {
          name: 'DiskFull',
          metric: 'disk',
          threshold: '> 90%',
          action: 'Free space',
          level: 'warning',
          during_maintenance: 'ignore',
        },
        { name: 'Slow', metric: 'latency', threshold: '> 2s', action: 'Look', level: 3 },
      ],
      postmortem: { checklist: [{ text: 'Timeline', done_when: 'timelines' }] },
      private_incidents: { announce: 'loudly' },
    });
    const said = (path: string) => p.find((x) => x.startsWith(`${path}: `))?.slice(path.length + 2);
    expect(said('alerts row 1 ("HighErrorRate"), level')).toBe('"critcal" is not one of critical, warning, info');
    expect(said('alerts row 2 ("DiskFull"), during_maintenance')).toBe('"ignore" is not one of declare, record');
    expect(said('alerts row 3 ("Slow"), level')).toBe('the number 3 is not one of critical, warning, info');
    expect(said('playbooks.db-down.kind')).toBe('"secure" is not one of incident, issue, security, procedure');
    expect(said('postmortem.checklist item 1 ("Timeline"), done_when')).toBe(
      '"timelines" is not one of timeline, root_cause, action_items, runbook',
    );
    expect(said('private_incidents.announce')).toBe('"loudly" is not one of none, notice');
    expect(said('escalation.roles.on_call.notify item 1, via')).toBe('"sms" is not one of slack, email, pagerduty');
    expect(said('escalation.rules.unresolved.until')).toBe('"fixed" is not one of resolved, mitigated');
    expect(p.join('\n')).not.toMatch(/Invalid option|expected one of/);
    const { level: _, ...noLevel } = { name: 'A', metric: 'a', threshold: '> 1', action: 'x', level: 'info' };
    expect(problems({ ...base(), alerts: [noLevel] })).toEqual([
      'alerts row 1 ("A"), level: missing: write one of critical, warning, info',
    ]);
  });

  it('prints a name with control or bidi characters made visible, and a wrong word only when short and plain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-visible-'));
    const path = join(dir, 'runbook.yml');
    const atom = await readFile(DEFAULT_RUNBOOK_FILE, 'utf8');
    const secret = 'sk-ant-api03-Zq8vN2xLp4Rt7Yw1Ke9Hs3Gd6Fb0Jc5Mu';
    const bad = atom
      // A row name that turns the rest of the log line around (U+202E), or holds a C1 control (U+009B, a CSI).
      .replace('  - name: HighErrorRate\n', '  - name: "High\\u202EetaRrorrE"\n')
      .replace('  - name: HighCpuUsage\n', '  - name: "HighCpu\\u009B31mUsage"\n')
      // A secret pasted into a closed list's key: never echoed.
      .replace(
        '    level: critical\n    action: Check logs, identify root cause',
        `    level: ${secret}\n    action: Check logs, identify root cause`,
      );
    await writeFile(path, bad);
    const err = (await loadRunbook(path).catch((e: unknown) => e)) as RunbookError;
    expect(err).toBeInstanceOf(RunbookError);
    const printed = err.message;
    expect(printed).not.toMatch(/[\u202E\u009B]/);
    expect(printed).not.toContain(secret);
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts row \d+ \("High\\u202eetaRrorrE"\), name \(line \d+\): must be an alert name/),
        expect.stringMatching(/^alerts row \d+ \("HighCpu\\u009b31mUsage"\), name \(line \d+\): must be an alert name/),
        expect.stringMatching(
          /^alerts row \d+ \("High\\u202eetaRrorrE"\), level \(line \d+\): the value given is not one of critical, warning, info$/,
        ),
      ]),
    );
    // A short plain word is still quoted: it is the typo to fix.
    expect(problems({ ...base(), private_incidents: { announce: 'loudly' } })).toEqual([
      'private_incidents.announce: "loudly" is not one of none, notice',
    ]);
    // A long or odd one is not: it may be anything pasted there.
    expect(
      problems({ ...base(), private_incidents: { announce: 'ghp_0123456789abcdefghijABCDEFGHIJ012345' } }),
    ).toEqual(['private_incidents.announce: the value given is not one of none, notice']);
    expect(problems({ ...base(), private_incidents: { announce: 'no\u202Etice' } })).toEqual([
      'private_incidents.announce: the value given is not one of none, notice',
    ]);
  });

  it('an entry of a list is named as a person finds it: counted from 1, by its name, never by a 0-based index', () => {
    const row = { metric: 'm', threshold: '> 1', action: 'Look', level: 'warning' };
    const long = `Very${'Long'.repeat(12)}Name`;
    const p = problems({
      ...base(),
      playbooks: {
        // A playbook id of digits is a key of the file, not a number to count from 1.
        '2024': {
          title: 'Old',
          kind: 'incident',
          mitigation: ['Look first', { text: 'Restart the web node', run: ['atom-cli', 'nodes', 'restart', 'web-1'] }],
        },
      },
      alerts: [
        { ...row, name: 'HighErrorRate', level: 'critcal' },
        { ...row, name: long, playbook: 'nope' },
        { ...row, name: 'NoLevel', level: undefined },
      ],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        'alerts row 1 ("HighErrorRate"), level: "critcal" is not one of critical, warning, info',
        `alerts row 2 ("${long.slice(0, 40)}…"), playbook: unknown playbook "nope"; the file's playbooks: 2024`,
        'alerts row 3 ("NoLevel"), level: missing: write one of critical, warning, info',
        'playbooks.2024.mitigation step 2 ("Restart the web node"), destructive: "atom-cli nodes restart" changes production: mark the step destructive: true',
      ]),
    );
    expect(p.join('\n')).not.toMatch(/(alerts|mitigation)\.\d/);
    // A plain entry is named by its value, unless what is said quotes it already.
    const rb = base();
    rb.escalation.roles.on_call.contacts = ['U0123ABC', '@alice'];
    rb.escalation.order.push('vp');
    expect(problems(rb)).toEqual([
      'escalation.roles.on_call.contacts item 2 ("@alice"): must be a Slack user ID (U…/W…) or user-group ID (S…)',
      'escalation.order item 5: unknown role "vp"; known roles: on_call, senior_devops, engineering_manager, cto, database_team',
    ]);
  });

  it("a text longer than the bot's messages show of it is refused at start with its length and limit; one at its limit is taken whole", () => {
    const long = (n: number, end = '') => `${'x'.repeat(n - end.length)}${end}`;
    const row = { name: 'HighErrorRate', metric: 'error_rate', threshold: '> 10%', level: 'critical' };
    const withTexts = (n: (limit: number) => number) => {
      const data = base();
      data.severities['SEV-1'].definition = long(n(RUNBOOK_TEXT_MAX.severityText));
      return {
        ...data,
        playbooks: {
          'db-down': {
            title: long(n(RUNBOOK_TEXT_MAX.playbookTitle)),
            kind: 'incident',
            symptoms: [long(n(RUNBOOK_TEXT_MAX.symptom))],
            prevention: [long(n(RUNBOOK_TEXT_MAX.prevention))],
            mitigation: [
              {
                text: long(n(RUNBOOK_TEXT_MAX.stepText)),
                run: ['atom-cli', 'status'],
                warning: long(n(RUNBOOK_TEXT_MAX.stepWarning)),
                expect: long(n(RUNBOOK_TEXT_MAX.stepExpect)),
              },
            ],
          },
        },
        alerts: [{ ...row, action: long(n(RUNBOOK_TEXT_MAX.alertAction), ' END') }],
      };
    };
    const rb = parseRunbook(withTexts((limit) => limit));
    expect(rb.alerts[0]!.action).toHaveLength(RUNBOOK_TEXT_MAX.alertAction);
    expect(rb.playbooks[0]!.mitigation[0]!.text).toHaveLength(RUNBOOK_TEXT_MAX.stepText);

    const p = problems(withTexts((limit) => limit + 1));
    expect(p).toContain(
      `alerts row 1 ("HighErrorRate"), action: is ${RUNBOOK_TEXT_MAX.alertAction + 1} characters long; at most ${RUNBOOK_TEXT_MAX.alertAction} fit on the incident card's alert section and the alert's notice: keep it to what to do first, and put a longer procedure in a playbook's steps (the row's playbook: names it)`,
    );
    const paths = p.map((x) => x.slice(0, x.indexOf(': is ')).replace(/ \("x+…"\)/g, ''));
    expect(paths).toEqual(
      expect.arrayContaining([
        'severities.SEV-1.definition',
        'playbooks.db-down.title',
        'playbooks.db-down.symptoms item 1',
        'playbooks.db-down.prevention item 1',
        'playbooks.db-down.mitigation step 1, text',
        'playbooks.db-down.mitigation step 1, warning',
        'playbooks.db-down.mitigation step 1, expect',
      ]),
    );
    expect(p).toHaveLength(8);
    for (const x of p) expect(x).toMatch(/: is \d[\d,]* characters long; at most \d+ fit /);
    // The operator's 5,000-character action: refused, with its length as a person reads it.
    expect(problems({ ...base(), alerts: [{ ...row, action: long(5000) }] })).toEqual([
      expect.stringMatching(/^alerts row 1 \("HighErrorRate"\), action: is 5,000 characters long; at most 300 fit /),
    ]);
  });

  it('a problem in a file names its line; a missing entry the line of the one that should hold it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-lines-'));
    const path = join(dir, 'runbook.yml');
    const atom = await readFile(DEFAULT_RUNBOOK_FILE, 'utf8');
    const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
    const bad = atom
      .replace('respond_within: 15m', 'respond_within: 30 mins')
      .replace('order: [on_call, senior_devops, engineering_manager, cto]', 'order: on_call')
      .replace(
        '      - text: Check health endpoint\n        http: { path: /api/health }',
        '      - text: Check health endpoint\n        ssh: { host: db1 }',
      )
      .replace('  SEV-3:\n    name: Low\n', '  SEV-3:\n');
    await writeFile(path, bad);
    const err = (await loadRunbook(path).catch((e: unknown) => e)) as RunbookError;
    expect(err).toBeInstanceOf(RunbookError);
    expect(err.problems).toEqual(
      expect.arrayContaining([
        `severities.SEV-1.respond_within (line ${lineOf(bad, '30 mins')}): "30 mins" is not a duration; write e.g. 30s, 15m, 4h or 1h30m`,
        `severities.SEV-3.name (near line ${lineOf(bad, '  SEV-3:')}): missing: add it as runbooks/atom.yml does (a text)`,
        `escalation.order (line ${lineOf(bad, 'order: on_call')}): must be a list, such as [a, b] or lines starting with "- ", not the text "on_call"`,
        expect.stringMatching(
          new RegExp(
            `^playbooks\\.database-connection-failures\\.detection step 1 \\("Check health endpoint"\\) \\(line ${lineOf(bad, '- text: Check health endpoint')}\\): unknown key "ssh"; the keys here are text, http, run,`,
          ),
        ),
      ]),
    );
    expect(err.problems).toHaveLength(4);
  });

  it('a role the escalation names with nobody to page is said at start, with where to add contacts', async () => {
    const bundled = await loadRunbook(DEFAULT_RUNBOOK_FILE);
    const said = unstaffedRoles(bundled, 'atom.yml');
    expect(said.map((l) => /escalation role (\w+)/.exec(l)?.[1])).toEqual([
      'on_call',
      'senior_devops',
      'engineering_manager',
      'cto',
      'database_team',
    ]);
    expect(said[0]).toBe(
      "The runbook's escalation role on_call (On-Call Engineer) has no contacts, rotation or PagerDuty service: its " +
        'pages reach nobody. Add Slack user or user-group IDs under escalation.roles.on_call.contacts in atom.yml.',
    );
    const staffed = parseRunbook(base());
    expect(unstaffedRoles(staffed, 'rb.yml').some((l) => l.includes('role on_call '))).toBe(false);
  });
});
