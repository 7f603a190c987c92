import { describe, expect, it } from 'vitest';
import { parseIncidentCommand, statusUpdatePrefill, TITLE_MAX } from '../../src/commands/parse-incident-command.js';
import { parseTimelineFrom } from '../../src/commands/parse-timeline.js';

const ok = (raw: string) => {
  const r = parseIncidentCommand(raw);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse, got error: ${r.error}`);
  return r.command;
};

const err = (raw: string) => {
  const r = parseIncidentCommand(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to fail, got ${JSON.stringify(r.command)}`);
  return r.error;
};

describe('parseIncidentCommand', () => {
  describe('declare', () => {
    it('reads `sev1 db down` as a SEV-1 declaration titled "db down"', () => {
      expect(ok('sev1 db down')).toEqual({ kind: 'declare', severity: 1, title: 'db down', private: false });
    });

    it.each([
      ['SEV1 db down', 1],
      ['sev-1 db down', 1],
      ['Sev_2 db down', 2],
      ['SEV-0 db down', 0],
      ['sev3 db down', 3],
      ['sEv_3 db down', 3],
    ] as const)('accepts the severity spelling in %j', (raw, severity) => {
      expect(ok(raw)).toEqual({ kind: 'declare', severity, title: 'db down', private: false });
    });

    it('ignores leading, trailing and repeated whitespace, tabs and newlines', () => {
      expect(ok('   sev2    db \t  down \n ')).toEqual({
        kind: 'declare',
        severity: 2,
        title: 'db down',
        private: false,
      });
      expect(ok('\tsev0\n\nwhole   site\tdown')).toEqual({
        kind: 'declare',
        severity: 0,
        title: 'whole site down',
        private: false,
      });
    });

    it('keeps the case of the title', () => {
      expect(ok('sev1 DB Down in EU-West')).toEqual({
        kind: 'declare',
        severity: 1,
        title: 'DB Down in EU-West',
        private: false,
      });
    });

    it.each(['sev9 x', 'sev4 db down', 'SEV-10 db down', 'sev-1x db down', 'sev db down'])(
      'rejects %j with an error that names sev0..sev3',
      (raw) => {
        const e = err(raw);
        for (const s of ['sev0', 'sev1', 'sev2', 'sev3']) expect(e).toContain(s);
        expect(e).toContain(raw.split(' ')[0]);
      },
    );

    it(`accepts a title of exactly ${TITLE_MAX} characters`, () => {
      const title = 'a'.repeat(150);
      expect(TITLE_MAX).toBe(150);
      expect(ok(`sev2 ${title}`)).toEqual({ kind: 'declare', severity: 2, title, private: false });
    });

    it('rejects a title of 151 characters, naming the limit of 150 and the actual length', () => {
      const e = err(`sev2 ${'a'.repeat(151)}`);
      expect(e).toContain('150');
      expect(e).toContain('151');
    });

    it('counts the title by code point, so 150 emoji fit and 151 do not', () => {
      const fire = '🔥'.repeat(150); // 300 UTF-16 units
      expect(fire.length).toBe(300);
      expect(ok(`sev1 ${fire}`)).toEqual({ kind: 'declare', severity: 1, title: fire, private: false });
      expect(err(`sev1 ${'🔥'.repeat(151)}`)).toContain('150');
    });

    it.each([
      '🔥 db down 🔥',
      'データベース停止',
      'Ошибка базы данных',
      'café crème brûlée',
      'قاعدة البيانات معطلة',
      '<!channel> & <@U123> db down',
    ])('keeps the title %j exactly as written', (title) => {
      expect(ok(`sev1 ${title}`)).toEqual({ kind: 'declare', severity: 1, title, private: false });
    });
  });

  describe('a flag of the declaration typed as the first word', () => {
    it.each([
      ['private sev2 payroll leak', 2, 'payroll leak'],
      ['Private SEV-1 keys exposed', 1, 'keys exposed'],
      ['private sev 0 root login', 0, 'root login'],
    ] as const)('%j declares a private incident', (raw, severity, title) => {
      expect(ok(raw)).toEqual({ kind: 'declare', severity, title, private: true });
    });

    it('without a severity it says how to declare a private incident, in the declaration', () => {
      expect(parseIncidentCommand('private payroll leak')).toEqual({
        ok: false,
        error: 'To declare a private incident, start with its severity: `/incident sev1 --private payroll leak`.',
        kind: 'declare',
      });
      expect(parseIncidentCommand('private')).toMatchObject({
        ok: false,
        error: expect.stringContaining('`/incident sev1 --private <title>`'),
      });
    });
  });

  describe('severity alone', () => {
    it.each([
      ['sev0', 0],
      ['SEV-1', 1],
      ['Sev_2', 2],
      ['  sev3  ', 3],
    ] as const)(
      '%j is a set_severity command (the listener explains the missing title outside incidents)',
      (raw, s) => {
        expect(ok(raw)).toEqual({ kind: 'set_severity', severity: s });
      },
    );

    it.each([
      ['severity sev1', 1],
      ['Severity SEV-0', 0],
      ['severity sev 2', 2],
      ['severity 3', 3],
      ['ｓｅｖｅｒｉｔｙ ｓｅｖ１', 1],
    ] as const)('%j, as other incident tools spell it, changes the severity too', (raw, s) => {
      expect(ok(raw)).toEqual({ kind: 'set_severity', severity: s, named: true });
    });

    it("reads the runbook's name of a level after `severity`", () => {
      const names = { 0: 'Critical', 1: 'High', 2: 'Medium', 3: 'Low' } as const;
      expect(parseIncidentCommand('severity critical', names)).toEqual({
        ok: true,
        command: { kind: 'set_severity', severity: 0, named: true },
      });
      expect(parseIncidentCommand('severity high', names)).toEqual({
        ok: true,
        command: { kind: 'set_severity', severity: 1, named: true },
      });
    });

    it('`severity` without a level, with a wrong one, or with a title after it says what to type', () => {
      expect(err('severity')).toMatch(/Say which severity: `\/incident severity sev1`, or just `\/incident sev1`/);
      expect(err('severity sev9')).toMatch(/`sev9` is not a severity\. Use sev0, sev1, sev2 or sev3/);
      expect(err('severity urgent')).toMatch(/`urgent` is not a severity/);
      expect(err('severity sev1 db down')).toBe(
        '`/incident severity sev1` takes nothing after the severity. To declare an incident, start with it: `/incident sev1 db down`.',
      );
    });
  });

  describe('help', () => {
    it.each(['', '   ', '\n\t', 'help', 'HELP', ' Help '])('%j shows help', (raw) => {
      expect(ok(raw)).toEqual({ kind: 'help' });
    });
  });

  describe('subcommands', () => {
    it.each([
      ['list', 'list'],
      ['ls', 'list'],
      ['LIST', 'list'],
      ['ack', 'ack'],
      ['acknowledge', 'ack'],
      ['Ack', 'ack'],
      ['status', 'status'],
    ] as const)('%j -> %s', (raw, kind) => {
      expect(ok(raw)).toEqual({ kind });
    });

    it('timeline takes what follows it, read by parseTimelineFrom (`from N`)', () => {
      expect(ok('timeline')).toEqual({ kind: 'timeline', text: null });
      expect(ok('  timeline  ')).toEqual({ kind: 'timeline', text: null });
      expect(ok('timeline from 201')).toEqual({ kind: 'timeline', text: 'from 201' });
      expect(parseTimelineFrom(null)).toEqual({ ok: true });
      expect(parseTimelineFrom(' from 201 ')).toEqual({ ok: true, from: 201 });
      expect(parseTimelineFrom('FROM 1')).toEqual({ ok: true, from: 1 });
      for (const typed of ['full', 'from 0', 'from', 'from -3', 'from 2 to 9']) {
        const r = parseTimelineFrom(typed);
        expect(r.ok, typed).toBe(false);
        expect(!r.ok && r.error).toMatch(
          /^`\/incident timeline` takes only `from N`\. .*`\/incident timeline from 1` shows them from the first/,
        );
      }
    });

    it('update opens the form with what follows it, a first word naming a status choosing it', () => {
      expect(ok('update')).toEqual({ kind: 'update', summary: null });
      expect(ok('UPDATE mitigated: rolled back to v57')).toEqual({
        kind: 'update',
        summary: 'mitigated: rolled back to v57',
      });
      expect(statusUpdatePrefill(null)).toEqual({});
      expect(statusUpdatePrefill('mitigated: rolled back to v57')).toEqual({
        status: 'mitigated',
        currentStatus: 'rolled back to v57',
      });
      expect(statusUpdatePrefill('Investigating')).toEqual({ status: 'investigating' });
      expect(statusUpdatePrefill('resolved pool drained')).toEqual({
        status: 'resolved',
        currentStatus: 'pool drained',
      });
      expect(statusUpdatePrefill('checking the fix')).toEqual({ currentStatus: 'checking the fix' });
      // A status page's phase chooses the runbook's status it is, and stays in the text (it says more).
      expect(statusUpdatePrefill('monitoring the fix')).toEqual({
        status: 'mitigated',
        currentStatus: 'monitoring the fix',
      });
      expect(statusUpdatePrefill('Identified: a bad index on orders')).toEqual({
        status: 'investigating',
        currentStatus: 'Identified: a bad index on orders',
      });
      expect(statusUpdatePrefill('constructor broke')).toEqual({ currentStatus: 'constructor broke' });
      expect(statusUpdatePrefill('mitigatedly odd')).toEqual({ currentStatus: 'mitigatedly odd' });
      expect(err(`update ${'x'.repeat(2901)}`)).toBe("That is 2901 characters; the form's current status takes 2900.");
    });

    it('impact and data-loss take what, if said', () => {
      expect(ok('impact')).toEqual({ kind: 'impact', summary: null });
      expect(ok('impact EU checkouts failing')).toEqual({ kind: 'impact', summary: 'EU checkouts failing' });
      expect(ok('data-loss orders since 02:10')).toEqual({ kind: 'data_loss', summary: 'orders since 02:10' });
      expect(err(`impact ${'x'.repeat(301)}`)).toMatch(/^Keep what you say with the flag to 300 characters/);
    });

    it('mitigated takes how, if said', () => {
      expect(ok('mitigated')).toEqual({ kind: 'mitigated', summary: null });
      expect(ok('Mitigate')).toEqual({ kind: 'mitigated', summary: null });
      expect(ok('mitigated rolled back to v57')).toEqual({ kind: 'mitigated', summary: 'rolled back to v57' });
      expect(err(`mitigated ${'x'.repeat(301)}`)).toMatch(/^Keep how it was mitigated to 300 characters/);
    });

    it('resolve without a summary asks for one (summary null)', () => {
      expect(ok('resolve')).toEqual({ kind: 'resolve', summary: null });
      expect(ok('resolved')).toEqual({ kind: 'resolve', summary: null });
      expect(ok('  RESOLVE  ')).toEqual({ kind: 'resolve', summary: null });
      expect(ok('close')).toEqual({ kind: 'resolve', summary: null });
      expect(ok('closed')).toEqual({ kind: 'resolve', summary: null });
    });

    it('resolve with a summary keeps it, whitespace collapsed', () => {
      expect(ok('resolve restarted the   primary; pool leak')).toEqual({
        kind: 'resolve',
        summary: 'restarted the primary; pool leak',
      });
      expect(ok('resolve 🔧 修正済み')).toEqual({ kind: 'resolve', summary: '🔧 修正済み' });
    });

    it.each(['list all', 'ack now', 'status now', 'ls -la'])(
      '%j with trailing words is an error naming the subcommand',
      (raw) => {
        const e = err(raw);
        const word = raw.split(' ')[0]!.toLowerCase();
        expect(e).toContain(`/incident ${word}`);
        expect(e).toMatch(/takes nothing after it/);
      },
    );

    it('`status` with a text, typed meaning a status update, points to `/incident update` with that text', () => {
      expect(err('status investigating: rollback of 4.2 underway')).toBe(
        '`/incident status` shows the incident card and takes nothing after it. To post a status update, use `/incident update`: `/incident update investigating: rollback of 4.2 underway` opens the form with what you typed.',
      );
    });

    it('`list resolved` or `list mine` says where those are (the Home tab)', () => {
      expect(err('list resolved')).toBe(
        "`/incident list` shows the open incidents and takes nothing after it. Those resolved in the last 7 days are on the bot's Home tab (the bot's name in Slack, then Home); each one's channel keeps its `/incident timeline`.",
      );
      expect(err('ls All')).toContain("resolved in the last 7 days are on the bot's Home tab");
      expect(err('list mine')).toContain("come first on the bot's Home tab");
      expect(err('list foo')).toBe('`/incident list` takes nothing after it.');
    });

    it('`status` or `timeline` with an incident number says where to type it, not to post an update numbered 12', () => {
      for (const [typed, name, n] of [
        ['status 12', 'status', 12],
        ['status #12', 'status', 12],
        ['STATUS inc-7', 'status', 7],
        ['timeline 3', 'timeline', 3],
      ] as const) {
        const r = name === 'timeline' ? parseTimelineFrom(ok(typed).kind === 'timeline' ? '3' : null) : null;
        expect(r ? !r.ok && r.error : err(typed)).toBe(
          `\`/incident ${name}\` takes no number: it is about the incident whose channel it is typed in. Type it in incident #${n}'s channel (\`/incident list\` links each open incident's).`,
        );
      }
    });
  });

  describe('unknown words', () => {
    it.each(['database is down', 'foo', 'outage db down', 'critical db down'])(
      '%j is an error suggesting `/incident sev1 …`',
      (raw) => {
        const e = err(raw);
        expect(e).toContain(raw.split(' ')[0]);
        expect(e).toContain(`/incident sev1 ${raw}`);
      },
    );
  });

  describe('a declaration typed another way', () => {
    const names = { 0: 'Critical', 1: 'High', 2: 'Medium', 3: 'Low' } as const;
    const hint = (raw: string) => {
      const r = parseIncidentCommand(raw, names);
      if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to fail`);
      return r.error;
    };

    it.each([
      ['p1 payments down', '`p1` is not a severity here', '`/incident sev1 payments down`'],
      ['P0 all machines down', '`P0` is not a severity here', '`/incident sev0 all machines down`'],
      ['p4 typo on docs', '`p4` is not a severity here', '`/incident sev3 typo on docs`'],
      ['p2', '`p2` is not a severity here', '`/incident sev2 <title>`'],
    ])('%j: another tool priority is named and replaced, not kept in the title', (raw, says, command) => {
      const e = hint(raw);
      expect(e).toContain(says);
      expect(e).toContain('sev0, sev1, sev2 and sev3');
      expect(e).toContain(command);
    });

    it.each([
      ['critical login broken', 0, 'Critical', '`/incident sev0 login broken`'],
      ['HIGH auth broken', 1, 'High', '`/incident sev1 auth broken`'],
      ['low typo', 3, 'Low', '`/incident sev3 typo`'],
    ] as const)('%j: the runbook name of a level is read as that level', (raw, level, name, command) => {
      const e = hint(raw);
      expect(e).toContain(`the runbook calls SEV-${level} ${name}`);
      expect(e).toContain(command);
    });

    it.each([
      ['critical: api down', 'the runbook calls SEV-0 Critical', '`/incident sev0 api down`'],
      ['High - auth broken', 'the runbook calls SEV-1 High', '`/incident sev1 auth broken`'],
      ['P1: payments down', '`P1` is not a severity here', '`/incident sev1 payments down`'],
      ['sve2: cart slow', '`sve2` is not a severity', '`/incident sev2 cart slow`'],
    ])('%j: written as a title often is (a colon or a dash after it), it is read the same', (raw, says, command) => {
      const e = hint(raw);
      expect(e).toContain(says);
      expect(e).toContain(command);
      // Not the SEV-1 declaration of a title that starts with the level (a SEV-0 declared as SEV-1).
      expect(e).not.toContain('/incident sev1 critical');
      expect(e).not.toContain("I don't know");
    });

    it('without the runbook names, a level name is an unknown word', () => {
      expect(err('critical login broken')).toContain('/incident sev1 critical login broken');
    });

    it.each([
      ['db down sev1', '`/incident sev1 db down`'],
      ['checkout slow SEV-2', '`/incident sev2 checkout slow`'],
    ])('%j: a severity typed last is put first', (raw, command) => {
      expect(hint(raw)).toBe(`Put the severity first: ${command}.`);
    });

    it('a subcommand is still a subcommand, whatever the level names', () => {
      expect(parseIncidentCommand('list', { ...names, 0: 'List' })).toEqual({ ok: true, command: { kind: 'list' } });
      expect(hint('wat is this')).toContain("I don't know `wat`");
    });
  });
});

describe('`/incident declare` and `/incident new`', () => {
  const ok = (raw: string) => {
    const r = parseIncidentCommand(raw);
    if (!r.ok) throw new Error(r.error);
    return r.command;
  };

  it('with a severity and a title, declares at once, as `/incident sev1 …`', () => {
    // Said with a verb: a new incident wherever it is typed (an open incident's channel asks about `/incident sev2 …`).
    const declared = { kind: 'declare', severity: 2, title: 'cache cold', private: false, explicit: true };
    expect(ok('sev2 cache cold')).toEqual({ kind: 'declare', severity: 2, title: 'cache cold', private: false });
    expect(ok('declare sev2 cache cold')).toEqual(declared);
    expect(ok('New SEV-2 cache cold')).toEqual(declared);
    expect(ok('declare sev 2 cache cold')).toEqual(declared);
    // The verbs people use for it elsewhere (PagerDuty's trigger, "open an incident", "raise one").
    for (const verb of ['start', 'open', 'create', 'raise', 'trigger'])
      expect(ok(`${verb} sev2 cache cold`)).toEqual(declared);
    // Another tool's priority is answered as after /incident alone, not made the title's first word.
    expect(err('start p2 cache cold')).toContain('`p2` is not a severity here');
    expect(err('declare P1: api down')).toContain('`/incident sev1 api down`');
    expect(ok('declare sev1 --private odd logins')).toEqual({
      kind: 'declare',
      severity: 1,
      title: 'odd logins',
      private: true,
      explicit: true,
    });
  });

  it('without a severity, opens the form with what was typed as its title; a severity alone is chosen in it', () => {
    expect(ok('declare')).toEqual({ kind: 'declare_form', title: null, private: false });
    expect(ok('new checkout   is slow')).toEqual({ kind: 'declare_form', title: 'checkout is slow', private: false });
    expect(ok('declare severe latency in eu')).toEqual({
      kind: 'declare_form',
      title: 'severe latency in eu',
      private: false,
    });
    expect(ok('declare sev0')).toEqual({ kind: 'declare_form', title: null, severity: 0, private: false });
    expect(ok('open')).toEqual({ kind: 'declare_form', title: null, private: false });
    expect(ok('start checkout is slow')).toEqual({ kind: 'declare_form', title: 'checkout is slow', private: false });
  });

  it('--private ticks Private in the form, or declares privately, before or after the severity', () => {
    expect(ok('declare --private')).toEqual({ kind: 'declare_form', title: null, private: true });
    expect(ok('declare --private odd logins')).toEqual({ kind: 'declare_form', title: 'odd logins', private: true });
    expect(ok('declare sev1 --private')).toEqual({ kind: 'declare_form', title: null, severity: 1, private: true });
    expect(ok('declare --private sev1')).toEqual({ kind: 'declare_form', title: null, severity: 1, private: true });
    const privately = { kind: 'declare', severity: 1, title: 'odd logins', private: true, explicit: true };
    expect(ok('declare --private sev1 odd logins')).toEqual(privately);
    expect(ok('declare sev1 --private odd logins')).toEqual(privately);
    expect(parseIncidentCommand('declare --loud x')).toEqual({
      ok: false,
      error: expect.stringContaining('`--loud` is not a flag'),
      kind: 'declare_form',
    });
  });

  it('a severity that is not one gets its answer; a title too long is refused as the declaration is', () => {
    const sev = parseIncidentCommand('declare sev7 db down');
    expect(sev).toEqual({ ok: false, error: expect.stringContaining('`sev7` is not a severity'), kind: 'declare' });
    const long = parseIncidentCommand(`declare ${'x'.repeat(151)}`);
    expect(long).toEqual({
      ok: false,
      error: expect.stringContaining('keep it to 150 or fewer'),
      kind: 'declare_form',
    });
  });

  it('marks a mistake made in a known subcommand with it (answered with its usage); an unknown word with none', () => {
    expect(parseIncidentCommand(`update ${'x'.repeat(3000)}`)).toMatchObject({ ok: false, kind: 'update' });
    expect(parseIncidentCommand('rename')).toMatchObject({ ok: false, kind: 'rename' });
    expect(parseIncidentCommand('severity sev1 db down')).toMatchObject({ ok: false, kind: 'set_severity' });
    expect(parseIncidentCommand('sev9 db down')).toMatchObject({ ok: false, kind: 'declare' });
    expect(parseIncidentCommand('api slow')).not.toHaveProperty('kind');
  });

  it('reads the commander named in the ways people hand it over', () => {
    for (const typed of ['commander <@U0BOB|bob>', 'lead <@U0BOB|bob>', 'ic: <@U0BOB|bob>', 'handover <@U0BOB|bob>'])
      expect(parseIncidentCommand(typed)).toEqual({ ok: true, command: { kind: 'commander', who: '<@U0BOB|bob>' } });
    expect(parseIncidentCommand('hand-over @bob')).toEqual({ ok: true, command: { kind: 'commander', who: '@bob' } });
    expect(parseIncidentCommand('commander')).toMatchObject({
      ok: false,
      kind: 'commander',
      error: expect.stringContaining('Name the new commander after it'),
    });
  });

  it('an unknown first word names the form besides the severity', () => {
    const r = parseIncidentCommand('api slow');
    expect(r).toEqual({
      ok: false,
      error:
        "I don't know `api`. To declare an incident, start with its severity: `/incident sev1 api slow` (or `/incident declare api slow` to choose it in a form).",
    });
  });

  it('a slip in a subcommand suggests it first, with what followed; a word near two or none does not', () => {
    expect(parseIncidentCommand('resolev fixed by rollback')).toEqual({
      ok: false,
      error:
        "I don't know `resolev`. Did you mean `/incident resolve fixed by rollback`? To declare an incident instead, start with its severity: `/incident sev1 resolev fixed by rollback`.",
    });
    expect(err('ackk')).toMatch(/Did you mean `\/incident ack`\?/);
    expect(err('timline')).toMatch(/Did you mean `\/incident timeline`\?/);
    expect(err('api slow')).not.toMatch(/Did you mean/);
  });

  it('a word near several subcommands, or the start of one, names them (at most three), with what followed', () => {
    expect(err('time')).toMatch(/Did you mean `\/incident timeline`\?/);
    // `actions` takes nothing after it: offered alone.
    expect(err('actio buy disks')).toContain('Did you mean `/incident action buy disks` or `/incident actions`?');
    expect(err('escalte cto')).toMatch(/Did you mean `\/incident escalate cto`\?/);
    expect(err('foo')).not.toMatch(/Did you mean/);
    expect((err('re').match(/\/incident/g) ?? []).length).toBeLessThanOrEqual(2);
  });

  it('a slip near two names of one subcommand (resolve, resolved) suggests it', () => {
    expect(err('resolvd fixed')).toMatch(/Did you mean `\/incident resolve fixed`\?/);
  });

  it('invite (add, call, ping…) someone is answered with how to page them or add them, not with a declaration', () => {
    expect(err('invite @dana')).toBe(
      "I don't know `invite`. To bring someone in, page them: `/incident page @dana` (a page with Acknowledge, and they are added to the channel), or add them without a page with Slack's own `/invite @dana`.",
    );
    expect(err('Ping')).toContain('`/incident page @alice`');
    expect(err('invite @dana')).not.toContain('sev1');
  });

  it('attach is playbook, as detach undoes it', () => {
    expect(ok('attach disaster-recovery')).toEqual(ok('playbook disaster-recovery'));
  });
});

describe('review fixes', () => {
  it('reads `sev 1 db down` as `sev1 db down`', () => {
    expect(parseIncidentCommand('sev 1 db down')).toEqual({
      ok: true,
      command: { kind: 'declare', severity: 1, title: 'db down', private: false },
    });
    expect(parseIncidentCommand('SEV 0')).toEqual({ ok: true, command: { kind: 'set_severity', severity: 0 } });
  });
  it('reads a severity or subcommand typed full width (a Chinese or Japanese keyboard) as keywords; the title as typed', () => {
    const declared = (severity: number, title: string) => ({
      ok: true,
      command: { kind: 'declare', severity, title, private: false },
    });
    expect(parseIncidentCommand('ｓｅｖ１ ＡＰＩ down')).toEqual(declared(1, 'ＡＰＩ down'));
    expect(parseIncidentCommand('ＳＥＶ－２ db down')).toEqual(declared(2, 'db down'));
    expect(parseIncidentCommand('ｓｅｖ　１ db down')).toEqual(declared(1, 'db down'));
    expect(parseIncidentCommand('declare ｓｅｖ３ 決済 遅延')).toEqual({
      ok: true,
      command: { ...(declared(3, '決済 遅延') as { command: object }).command, explicit: true },
    });
    expect(parseIncidentCommand('ｌｉｓｔ')).toEqual({ ok: true, command: { kind: 'list' } });
    expect(parseIncidentCommand('ｓｅｖ０')).toEqual({ ok: true, command: { kind: 'set_severity', severity: 0 } });
    expect(statusUpdatePrefill('ｍｉｔｉｇａｔｅｄ rolled back')).toEqual({
      status: 'mitigated',
      currentStatus: 'rolled back',
    });
  });
  it('caps `/incident resolve <summary>` like the resolve form', () => {
    const r = parseIncidentCommand(`resolve ${'x'.repeat(301)}`);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/300/);
    expect(parseIncidentCommand(`resolve ${'x'.repeat(300)}`).ok).toBe(true);
  });
});

describe('declare flags', () => {
  it('reads `--private` before the title', () => {
    const r = parseIncidentCommand('sev1 --private leaked credentials');
    expect(r).toEqual({
      ok: true,
      command: { kind: 'declare', severity: 1, title: 'leaked credentials', private: true },
    });
    expect(parseIncidentCommand('SEV-2 --PRIVATE   odd logins')).toEqual({
      ok: true,
      command: { kind: 'declare', severity: 2, title: 'odd logins', private: true },
    });
  });
  it.each([
    ['sev2 —private payroll export glitch', 'payroll export glitch'],
    ['sev2 –private payroll export glitch', 'payroll export glitch'],
    ['sev2 -private payroll export glitch', 'payroll export glitch'],
    ['sev2 payroll export glitch --private', 'payroll export glitch'],
    ['sev2 payroll export glitch —Private', 'payroll export glitch'],
    ['sev2 payroll --private export glitch', 'payroll export glitch'],
  ])('reads `--private` wherever it stands, with the dashes a phone makes of it: %s', (raw, title) => {
    expect(ok(raw)).toEqual({ kind: 'declare', severity: 2, title, private: true });
  });
  it('reads back the entities Slack escapes in command text, once, and keeps its markup', () => {
    expect(ok('sev3 p99 &gt; 2s &amp; errors &lt; 1%')).toMatchObject({ title: 'p99 > 2s & errors < 1%' });
    expect(ok('sev3 literal &amp;lt; typed')).toMatchObject({ title: 'literal &lt; typed' });
    expect(ok('declare sev1 a &gt; b')).toMatchObject({ kind: 'declare', title: 'a > b' });
    expect(ok('sev3 ask <@U0BOB|bob> about it')).toMatchObject({ title: 'ask <@U0BOB|bob> about it' });
  });
  it('drops a separator typed after the severity, not one inside the title', () => {
    expect(ok('SEV-1 - api slow')).toMatchObject({ severity: 1, title: 'api slow' });
    expect(ok('sev2 — api slow')).toMatchObject({ title: 'api slow' });
    expect(ok('sev2 | api slow')).toMatchObject({ title: 'api slow' });
    expect(ok('sev2 -5xx errors on api')).toMatchObject({ title: '-5xx errors on api' });
    expect(ok('sev2 api - slow')).toMatchObject({ title: 'api - slow' });
  });
  it('reads a subcommand with punctuation after it as the subcommand (resolve: rolled back, ack.)', () => {
    expect(ok('resolve: rolled back the consumer')).toEqual({ kind: 'resolve', summary: 'rolled back the consumer' });
    expect(ok('Mitigated. restarted the pool')).toEqual({ kind: 'mitigated', summary: 'restarted the pool' });
    expect(ok('ack.')).toEqual({ kind: 'ack' });
    expect(ok('list!')).toEqual({ kind: 'list' });
    expect(ok('update: investigating, db-1 still slow')).toMatchObject({ kind: 'update' });
    expect(ok('severity: sev0')).toMatchObject({ kind: 'set_severity', severity: 0 });
    // Punctuation alone is no subcommand; a word that is none stays unknown with it; a question is not a command.
    expect(err(':')).toContain("I don't know `:`");
    expect(err('resolved? no')).toContain("I don't know `resolved?`");
    expect(ok('who?')).toEqual({ kind: 'oncall', args: null });
    expect(ok('list?')).toEqual({ kind: 'list' });
    expect(err('frobnicate: now')).toContain("I don't know `frobnicate:`");
  });

  it('leaves words that only look like it in the title', () => {
    expect(ok('sev2 non-private db down')).toMatchObject({ title: 'non-private db down', private: false });
    expect(ok('sev2 db down --privately')).toMatchObject({ title: 'db down --privately', private: false });
    expect(ok('sev2 db -- down')).toMatchObject({ title: 'db -- down', private: false });
  });
  it('refuses an unknown flag, naming the one it takes, and a flag without a title', () => {
    const bad = parseIncidentCommand('sev1 --secret db down');
    expect(bad).toEqual({ ok: false, error: expect.stringContaining('`--private`'), kind: 'declare' });
    expect(parseIncidentCommand('sev1 --private')).toEqual({
      ok: false,
      error: expect.stringContaining('title'),
      kind: 'declare',
    });
  });
  it('reads maintenance and public', () => {
    expect(parseIncidentCommand('maintenance start quarterly')).toEqual({
      ok: true,
      command: { kind: 'maintenance', what: 'start quarterly' },
    });
    expect(parseIncidentCommand('public')).toEqual({ ok: true, command: { kind: 'public' } });
  });
});
