import { describe, expect, it } from 'vitest';
import { createRedactor, knownValuesMask, redact, redactWith, typedTextMask } from '../../src/ops/redact.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('redact: a bare AWS secret access key', () => {
  it.each([
    ['alone on a line', AWS_SECRET, '***'],
    ['in prose', `created key ${AWS_SECRET} for ci`, 'created key *** for ci'],
    ['in a table column', `AKIAIOSFODNN7EXAMPLE  ${AWS_SECRET}  Active`, 'AKIA***  ***  Active'],
    ['without / or +', 'secret 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 here', 'secret *** here'],
    ['with +', 'k=1 Abc+def/GHI0123456789jklmnoPQRSTuvwxYZ12', 'k=1 ***'],
    ['quoted', `"${AWS_SECRET}"`, '"***"'],
  ])('is masked %s', (_where, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['a git SHA', 'HEAD is now at 9fceb02d0ae598e95dc970b74767f19372d61af8 fix: retry'],
    ['an upper-case hex SHA', 'commit 9FCEB02D0AE598E95DC970B74767F19372D61AF8'],
    ['a 64-hex digest', 'sha256:9fceb02d0ae598e95dc970b74767f19372d61af89fceb02d0ae598e95dc970b7'],
    ['a longer base64 blob', `data ${AWS_SECRET}${AWS_SECRET}`],
    ['a 40-letter word run', 'Pneumonoultramicroscopicsilicovolcanoconiosisx'],
    ['a path', '/srv/atom/releases/v58/backend/app/main1'],
    ['a 39-character string', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE'],
  ])('leaves %s alone', (_what, input) => {
    expect(redact(input)).toBe(input);
  });
});

/** `atom-cli secrets list` as a table: the values have no name or prefix on their line to be found by. */
const TABLE = [
  'NAME                   DIGEST            VALUE',
  'DATABASE_URL           3f2a9c1d8e7b6a50  postgresql://atom_app:hunter2@ep-calm-river-123456.us-east-2.aws.neon.tech/atom',
  'NEXTAUTH_SECRET        9b1e44c0a7d3f215  7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f11',
  'REDIS_PASSWORD         0c5d8e2f4a6b1397  AbCdEf0123456789upstash',
  'AWS_SECRET_ACCESS_KEY  e4a1b7c9d2f05836  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'SES_REGION             5a6b7c8d9e0f1a2b  us-east-1',
  'A_VERY_LONG_NAME_THAT_PUSHES_THE_COLUMNS  77aa88bb99cc00dd  correct horse battery staple',
  'NO_DIGEST                                 s3cr3t-value-1',
  '',
  'Run `atom-cli secrets set NAME=VALUE` to change one.',
  '',
].join('\n');

const MASKED_TABLE = [
  'NAME                   DIGEST            VALUE',
  'DATABASE_URL           3f2a9c1d8e7b6a50  ***',
  'NEXTAUTH_SECRET        9b1e44c0a7d3f215  ***',
  'REDIS_PASSWORD         0c5d8e2f4a6b1397  ***',
  'AWS_SECRET_ACCESS_KEY  e4a1b7c9d2f05836  ***',
  'SES_REGION             5a6b7c8d9e0f1a2b  ***',
  'A_VERY_LONG_NAME_THAT_PUSHES_THE_COLUMNS  ***',
  'NO_DIGEST                                 ***',
  '',
  'Run `atom-cli secrets set NAME=VALUE` to change one.',
  '',
].join('\n');

describe('redact: the value column of a secrets table', () => {
  it('masks every value and keeps names, digests and what follows the table', () => {
    expect(redact(TABLE)).toBe(MASKED_TABLE);
  });

  it('masks the value column whatever its header calls the other columns', () => {
    const listing = 'Name     Digest    Created At   Value\nAPI_KEY  1a2b3c4d  2 days ago   plainvalue42\n';
    expect(redact(listing)).toBe('Name     Digest    Created At   Value\nAPI_KEY  1a2b3c4d  2 days ago   ***\n');
  });

  it('reads a table whose columns are one blank apart', () => {
    const listing = 'NAME DIGEST VALUE\nAPI_TOKEN 1a2b3c4d tok-live-0042\nPLAIN 5e6f7a8b hunter22 and more\n';
    expect(redact(listing)).toBe('NAME DIGEST VALUE\nAPI_TOKEN 1a2b3c4d ***\nPLAIN 5e6f7a8b ***\n');
  });

  it('masks rows that arrive in later chunks, split anywhere', () => {
    for (let cut = 1; cut < TABLE.length; cut += 7) {
      const redactor = createRedactor();
      const out = redactor.push(TABLE.slice(0, cut)) + redactor.push(TABLE.slice(cut)) + redactor.flush();
      expect(out).toBe(MASKED_TABLE);
    }
    const byLine = createRedactor();
    let out = '';
    for (const line of TABLE.split(/(?<=\n)/)) out += byLine.push(line);
    expect(out + byLine.flush()).toBe(MASKED_TABLE);
  });

  it('leaves prose and other tables alone', () => {
    const text = 'the NAME of the VALUE\nCURRENT  VERSION  STATUS\n*        v58      complete\n';
    expect(redact(text)).toBe(text);
  });
});

describe('redact: values the bot knows', () => {
  const TOKEN = 'Zq81-plain-looking-value';

  it('masks each known value wherever it appears, the longest first', () => {
    const mask = redactWith([TOKEN, `${TOKEN}-suffix`, 'p@ss word/1']);
    expect(mask(`a ${TOKEN}-suffix b ${TOKEN} c`)).toBe('a *** b *** c');
    expect(mask('url p%40ss%20word%2F1 and p@ss word/1')).toBe('url *** and ***');
  });

  it("masks a value under six characters where it is its own variable's value, and nowhere else", () => {
    const mask = redactWith([
      { name: 'ATOM_REGION', value: 'iad' },
      { name: 'ATOM_PIN', value: 'abc12' },
      'true',
      'admin',
    ]);
    for (const [text, masked] of [
      ['ATOM_REGION=iad\nATOM_PIN=abc12\n', 'ATOM_REGION=***\nATOM_PIN=***\n'],
      ['export ATOM_REGION="iad"', 'export ATOM_REGION="***"'],
      ["ATOM_PIN='abc12'", "ATOM_PIN='***'"],
      ['  ATOM_REGION: iad', '  ATOM_REGION: ***'],
      ['{"ATOM_REGION": "iad", "region": "iad"}', '{"ATOM_REGION": "***", "region": "iad"}'],
      ['deploy --set ATOM_PIN=abc12 --region iad', 'deploy --set ATOM_PIN=*** --region iad'],
      ['GET /x?ATOM_PIN=abc12&ATOM_REGION=iad HTTP/1.1', 'GET /x?ATOM_PIN=***&ATOM_REGION=*** HTTP/1.1'],
      ['atom_region=iad', 'atom_region=***'],
    ]) {
      expect(mask(text!)).toBe(masked);
    }
    // Not its variable, or not its whole value, or a bare occurrence: under six characters, the floor holds.
    for (const text of [
      'MY_ATOM_REGION=iad',
      'ATOM_REGION=iad-2',
      'ATOM_REGION=iadx',
      'OTHER_PIN=abc12',
      'pin is abc12',
      'admin in iad: true',
      'ATOM_REGION = us-east-1',
    ]) {
      expect(mask(text)).toBe(text);
    }
  });

  it("masks a short value as its variable's value when the line comes in pieces, wherever the cut falls", () => {
    const text = 'env:\nATOM_PIN=abc12\nend';
    for (let cut = 1; cut < text.length; cut += 1) {
      const redactor = createRedactor({ known: [{ name: 'ATOM_PIN', value: 'abc12' }] });
      const out = redactor.push(text.slice(0, cut)) + redactor.push(text.slice(cut)) + redactor.flush();
      expect(out).toBe('env:\nATOM_PIN=***\nend');
    }
  });

  it("masks a short value as its variable's value across the cut of an overlong line", () => {
    for (let pad = 0; pad < 40; pad += 1) {
      const redactor = createRedactor({ maxLineChars: 64, known: [{ name: 'ATOM_PIN', value: 'abc12' }] });
      const line = `${'x'.repeat(40 + pad)} ATOM_PIN=abc12 ${'y'.repeat(30)}`;
      let out = '';
      for (const char of line) out += redactor.push(char);
      out += redactor.flush();
      expect(out).toBe(line.replace('abc12', '***'));
    }
  });

  it('a long value given with its name is masked wherever it appears, as any known value', () => {
    const mask = redactWith([{ name: 'ATOM_CONNECT', value: TOKEN }]);
    expect(mask(`using ${TOKEN} now; ATOM_CONNECT=${TOKEN}`)).toBe('using *** now; ATOM_CONNECT=***');
  });

  it('masks each line of a known value that spans lines', () => {
    const pem = 'MIIEowIBAAKCAQEA7x\nq2Lm9XvPqWn3Rt5Yb0\nshort';
    expect(redactWith([pem])('key:\nMIIEowIBAAKCAQEA7x\nq2Lm9XvPqWn3Rt5Yb0\nshort\n')).toBe('key:\n***\n***\nshort\n');
  });

  it('masks a known value wrapped across lines, wherever it is wrapped, and across chunks', () => {
    const secret = 'Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0s';
    const mask = redactWith([{ name: 'ATOM_API_TOKEN', value: secret }]);
    for (let at = 3; at <= secret.length - 1; at++) {
      const wrapped = `token: ${secret.slice(0, at)}\n       ${secret.slice(at)}  (expires in 1h)\n`;
      expect(mask(wrapped), `wrapped at ${at}`).toBe('token: ***\n       ***  (expires in 1h)\n');
      // Output arriving line by line (a command's reads): the line that may start a wrap waits for the next.
      const streamed = createRedactor({ known: [secret] });
      const cut = wrapped.indexOf('\n') + 1;
      expect(streamed.push(wrapped.slice(0, cut)) + streamed.push(wrapped.slice(cut)) + streamed.flush()).toBe(
        'token: ***\n       ***  (expires in 1h)\n',
      );
    }
    // Across three lines (a narrow terminal), behind a log's prefix repeated on each line, after a continuation mark.
    expect(mask(`x ${secret.slice(0, 10)}\n  ${secret.slice(10, 21)}\n  ${secret.slice(21)} y\n`)).toBe(
      'x ***\n  ***\n  *** y\n',
    );
    expect(mask(`12:00:01 app: ${secret.slice(0, 16)}\n12:00:01 app: ${secret.slice(16)}\n`)).toBe(
      '12:00:01 app: ***\n12:00:01 app: ***\n',
    );
    expect(mask(`export X=${secret.slice(0, 16)}\\\n  ${secret.slice(16)}\n`)).toBe('export X=***\\\n  ***\n');
    // A line that ends in 6 characters or more of the value's start, with no rest after it, has that start masked (the
    // rest may never have come); the next line is not taken for a piece of it.
    expect(mask('ends with Zx9-kP2\nmQ7vR4 next\n')).toBe('ends with ***\nmQ7vR4 next\n');
    expect(mask('ends with Zx9-k\nmQ7vR4 next\n')).toBe('ends with Zx9-k\nmQ7vR4 next\n');
    expect(mask('Zx9-kP2mQ7vR4 in the middle of a line\n')).toBe('Zx9-kP2mQ7vR4 in the middle of a line\n');
    const pw = redactWith([{ name: 'ATOM_PW', value: 'password-Winter-2026-xyz' }]);
    expect(pw('Please enter your password\nThe next line is normal text\n')).toBe(
      'Please enter your password\nThe next line is normal text\n',
    );
    expect(pw('checking password\n-Winter storage ok\n')).toBe('checking password\n-Winter storage ok\n');
  });

  it('masks a known value in base64 wrapped as base64 wraps it (76 columns, or 64)', () => {
    const pw = 'password-Winter-2026-xyz';
    const long = 'A1b2C3d4E5f6G7h8I9j0'.repeat(6).slice(0, 114);
    const mask = redactWith([pw, long]);
    const b64 = (text: string, width: number) =>
      Buffer.from(text)
        .toString('base64')
        .match(new RegExp(`.{1,${width}}`, 'g'))!
        .join('\n');
    const decodable = (out: string) => Buffer.from(out.replace(/\*\*\*|\s/g, ''), 'base64').toString('latin1');
    for (const width of [76, 64]) {
      const manifest = mask(`${b64(`{"kind":"Secret","data":{"token":"${pw}"}}`, width)}\n`);
      expect(manifest).toContain('***');
      expect(decodable(manifest)).not.toContain('Winter');
      const three = mask(`${b64(`prefix:${long}${long}${long}`, width)}\n`);
      expect(three.replace(/\*\*\*|\n/g, '').length, `width ${width}`).toBeLessThan(16);
    }
  });

  it('masks a known value as JSON prints it (escaped, and as Python writes what is past ASCII), in either Unicode form', () => {
    const rx = 'a.b*c+d?(e)[f]{g}|h^$\\x';
    const uni = 'pässwörd-日本語-秘密-0123';
    const mask = redactWith([rx, uni]);
    expect(mask(JSON.stringify({ t: rx }))).toBe('{"t":"***"}');
    expect(mask('{"t": "p\\u00e4ssw\\u00f6rd-\\u65e5\\u672c\\u8a9e-\\u79d8\\u5bc6-0123"}')).toBe('{"t": "***"}');
    expect(mask(uni.normalize('NFD'))).toBe('***');
  });

  it('masks a known value in base64, wherever it starts in the encoded bytes (a Basic header, a secret manifest)', () => {
    const secret = 'Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0s';
    const mask = redactWith([secret]);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    for (const before of ['', 'a', 'ab', 'deploy:', 'user:x']) {
      for (const after of ['', 'z', '\n']) {
        const encoded = b64(`${before}${secret}${after}`);
        const out = mask(`data: ${encoded}`);
        expect(out, `${before}|${after}`).toContain('***');
        // What is left of the encoding around the mask is at most the bytes around the value.
        expect(out.replace('data: ', '').replace('***', '').length, `${before}|${after}`).toBeLessThanOrEqual(
          Math.ceil(((before.length + after.length) * 4) / 3) + 4,
        );
      }
    }
    expect(mask(`url-safe ${Buffer.from(secret).toString('base64url')}`)).toMatch(/^url-safe \*\*\*\w{0,2}$/);
  });

  it('masks a known value split across two chunks, wherever the cut falls', () => {
    const text = `first line\nthe token ${TOKEN} is in use\nlast`;
    for (let cut = 1; cut < text.length; cut += 1) {
      const redactor = createRedactor({ known: [TOKEN] });
      const out = redactor.push(text.slice(0, cut)) + redactor.push(text.slice(cut)) + redactor.flush();
      expect(out).toBe('first line\nthe token *** is in use\nlast');
    }
  });

  it('masks a known value that straddles the cut of an overlong line', () => {
    for (let pad = 0; pad < 40; pad += 1) {
      const redactor = createRedactor({ maxLineChars: 64, known: [TOKEN] });
      const line = `${'x'.repeat(40 + pad)}${TOKEN}${'y'.repeat(30)}`;
      let out = '';
      for (const char of line) out += redactor.push(char);
      out += redactor.flush();
      expect(out).not.toContain(TOKEN.slice(-8));
      expect(out.replace('***', TOKEN)).toBe(line);
    }
  });
});

describe('redact: secrets on a command line, and other providers’ keys', () => {
  it.each([
    ['a long option with =', 'mysql --password=hunter2secret -h db', 'mysql --password=*** -h db'],
    ['a long option with a blank', 'mysql --password hunter2secret -h db', 'mysql --password *** -h db'],
    ['a quoted value after a blank', 'deploy --db-password "p@ss word" --yes', 'deploy --db-password *** --yes'],
    ['a token option', 'login --access-token=abcdef123456 ok', 'login --access-token=*** ok'],
    ['an api key option', 'x --api-key abc123 --region us-east-1', 'x --api-key *** --region us-east-1'],
    ["curl's -u", 'curl -u admin:s3cretpass https://x', 'curl -u admin:*** https://x'],
    ["curl's --user=", 'curl --user=admin:pw https://x', 'curl --user=admin:*** https://x'],
    ['a Google API key', 'key AIzaSyD-1234567890abcdefghijklmnopqrstu found', 'key AIza*** found'],
    ['an npm token', 'npm token npm_abcdefghijklmnopqrstuvwxyz0123456789', 'npm token npm_***'],
    ['a SendGrid key', 'SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789abcdefg sent', 'SG.*** sent'],
    ['a Vault token', 'vault token hvs.CAESIJabcdefghijklmnopqrstuvwxyz0123456789', 'vault token hvs.***'],
    ['a GitLab token', 'gitlab glpat-abcdefghijklmnopqrst', 'gitlab glpat-***'],
    ['a DigitalOcean token', `do dop_v1_${'a1'.repeat(32)}`, 'do dop_v1_***'],
    ['a Hugging Face token', `hf_${'AbCdEfGhIj'.repeat(3)}AbCd`, 'hf_***'],
    ['a Shopify token', `shpat_${'0a'.repeat(16)}`, 'shpat_***'],
    ['a PyPI token', `pypi-AgEIcHlwaS5vcmc${'x'.repeat(60)}`, 'pypi-***'],
    [
      "a Slack webhook's path",
      'posting to https://hooks.slack.com/services/T0001/B0001/abcdefghijkl',
      'posting to https://hooks.slack.com/services/***',
    ],
  ])('masks %s', (_what, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['a flag named like a secret', 'incident --private db down'],
    ['a negated flag', 'export --no-password x'],
    ['a count', 'git log --token-limit 5'],
    ['a key file path', 'ls --key-file /etc/ssl/key.pem'],
    ["mkdir's -p", 'mkdir -p /tmp/x'],
    ["npm's own variables", 'npm_config_user_agent=npm/10.8.2 node/v20'],
  ])('leaves %s alone', (_what, input) => {
    expect(redact(input)).toBe(input);
  });

  it('masks them in a stream split anywhere, as redact does', () => {
    const text = 'a --password hunter2secret b\ncurl -u admin:pw x\nkey AIzaSyD-1234567890abcdefghijklmnopqrstu\n';
    for (let cut = 1; cut < text.length; cut += 1) {
      const r = createRedactor();
      expect(r.push(text.slice(0, cut)) + r.push(text.slice(cut)) + r.flush()).toBe(redact(text));
    }
    expect(redact(text)).not.toMatch(/hunter2secret|:pw |AIzaSyD/);
  });
});

describe('knownValuesMask: what a person types (a status update, a resolution summary, a post-mortem)', () => {
  const TOKEN = 'Zq81-plain-looking-value';
  const mask = knownValuesMask([TOKEN, { name: 'ATOM_PIN', value: '4812' }]);

  it('masks a known value as command output does, wherever it is in the text and wherever a line cuts it', () => {
    for (let at = 0; at < 12; at++) {
      const text = `${'x '.repeat(at)}${TOKEN} then ${encodeURIComponent(TOKEN)} and ${Buffer.from(TOKEN).toString('base64')}`;
      expect(mask(text), `at ${at}`).toBe(`${'x '.repeat(at)}*** then *** and ***`);
    }
    for (let cut = 1; cut < TOKEN.length; cut++)
      expect(mask(`pasted ${TOKEN.slice(0, cut)}\n${TOKEN.slice(cut)} from the log`), `cut at ${cut}`).toBe(
        'pasted ***\n*** from the log',
      );
    expect(mask('set ATOM_PIN=4812 on the box')).toBe('set ATOM_PIN=*** on the box');
  });

  it('leaves what the patterns of command output would mask, and text without a known value, as typed', () => {
    for (const text of ['we set password=hunter2 by hand', 'see https://user:pw@example.com/x', 'PIN 4812 was fine'])
      expect(mask(text)).toBe(text);
    expect(knownValuesMask([])('anything')).toBe('anything');
  });

  it('a value that reads as a name (a host, a region, a word) is masked only after its own name: people write them', () => {
    const named = knownValuesMask([
      { name: 'AWS_REGION', value: 'eu-west-1' },
      { name: 'DB_HOST', value: 'production-db.internal' },
      { name: 'DEPLOY_ENV', value: 'production' },
      { name: 'ATOM_API_TOKEN', value: 'atk-81f0c2d9e4b7a615' },
    ]);
    const said = 'production-db.internal in eu-west-1 is down; production is read-only';
    expect(named(said)).toBe(said);
    expect(named('ran with AWS_REGION=eu-west-1 DB_HOST=production-db.internal')).toBe(
      'ran with AWS_REGION=*** DB_HOST=***',
    );
    // A credential is masked wherever it is.
    expect(named('pasted atk-81f0c2d9e4b7a615 by mistake')).toBe('pasted *** by mistake');
    // The bot's own tokens (no name) are masked wherever they are, as before.
    expect(knownValuesMask(['xoxb-1-2-abcdefghijkl'])('see xoxb-1-2-abcdefghijkl')).toBe('see ***');
  });
});

describe('typedTextMask: what a person types, with the credentials told by their shape', () => {
  const mask = typedTextMask([{ name: 'ATOM_API_TOKEN', value: 'atk-81f0c2d9e4b7a615' }]);
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXBhcnQ';

  it("masks a provider's key, a JWT, a Slack webhook and a private key's body wherever they are typed, keeping the prefix", () => {
    const cases: [string, string][] = [
      ['api key sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123 leaked', 'api key sk_live_*** leaked'],
      ['token ghp_16C7e42F292c6912E7710c838347Ae178B4a in build logs', 'token ghp_*** in build logs'],
      ['bot token xoxb-1234-5678-abcdefghijkl posted in #general', 'bot token xoxb-*** posted in #general'],
      ['AKIAIOSFODNN7EXAMPLE was used from a new IP', 'AKIA*** was used from a new IP'],
      [`session ${jwt} replayed`, 'session *** replayed'],
      ['openai key sk-proj-abcdefghijklmnopqrstuvwx rate limited', 'openai key sk-*** rate limited'],
      [
        'hook https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX spammed',
        'hook https://hooks.slack.com/services/*** spammed',
      ],
      ['gitlab glpat-abcdefghij0123456789 exposed', 'gitlab glpat-*** exposed'],
      ['pasted atk-81f0c2d9e4b7a615 by mistake', 'pasted *** by mistake'],
    ];
    for (const [typed, shown] of cases) expect(mask(typed), typed).toBe(shown);
    // A private key pasted whole into a status update, over several lines.
    expect(
      mask(
        'found in the repo:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nq2b3c4d5\n-----END RSA PRIVATE KEY-----\nrotated',
      ),
    ).toBe('found in the repo:\n-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\nrotated');
  });

  it('leaves what people write about secrets, and words that only look alike, as typed', () => {
    for (const text of [
      'we set password=hunter2 by hand',
      'see https://user:pw@example.com/x',
      'Authorization: header missing on the proxy',
      'Bearer authentication fails for mobile clients',
      'the sk_live_ keys were rotated',
      'task-runner-queue-backlog and risk-assessment-service are slow',
      'deploy 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 broke the build',
      'AKIA keys of the CI user',
      'ghp_ tokens of the old bot',
    ])
      expect(mask(text), text).toBe(text);
  });
});
