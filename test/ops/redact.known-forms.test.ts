import { describe, expect, it } from 'vitest';
import { createRedactor, redactWith } from '../../src/ops/redact.js';

/** Output as the command runner feeds it: in chunks, the redactor's pieces joined. */
const streamed = (known: string[], chunks: string[]): string => {
  const redactor = createRedactor({ known });
  return chunks.map((chunk) => redactor.push(chunk)).join('') + redactor.flush();
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: colours are what this drops.
const uncoloured = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** Ordinary output that no known value below may touch: words, log lines, JSON, hex and base64 of other data. */
const ORDINARY = [
  '2025-11-27T21:04:11.000Z INFO  [web] GET /api/health 200 12ms',
  'Please enter your password',
  'Enter PASSWORD below. Token refreshed, SECRET VALUE rotated',
  '{"status":"ok","region":"us-east-1","items":[1,2,3]}',
  `sha256 ${Buffer.from('some other data').toString('hex')} ${Buffer.from('some other data').toString('base64')}`,
  'CORRECT HORSE BATTERY STAPLE? Correct Horse Battery Staple.',
  '\u001b[32mdeploy ok\u001b[0m \u001b[1;31mERROR\u001b[0m retrying',
  '',
].join('\n');

describe('redact: a known value with a terminal escape sequence inside it', () => {
  const secret = 's3cret-value-123';
  const mask = redactWith([secret]);

  it.each([
    ['a colour in its middle', 's3cr\u001b[31met-value-123', '***'],
    ['a colour and a reset', 'got s3cr\u001b[1;31met-val\u001b[0mue-123 ok', 'got *** ok'],
    ['a link (OSC 8) around part of it', 'x \u001b]8;;https://e.x\u0007s3cret\u001b]8;;\u0007-value-123', 'x ***'],
    ["tput sgr0's reset", 's3cret\u001b(B\u001b[m-value-123', '***'],
  ])('is masked with %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('keeps the colours of lines that hold no secret, and of the rest of the output', () => {
    const text = '\u001b[32mok\u001b[0m\ntoken s3cr\u001b[31met-value-123\n\u001b[33mwarn\u001b[0m\n';
    expect(mask(text)).toBe('\u001b[32mok\u001b[0m\ntoken ***\n\u001b[33mwarn\u001b[0m\n');
    expect(mask('\u001b[31ms3cret-value-123\u001b[0m')).toBe('\u001b[31m***\u001b[0m');
  });

  it('is masked when a malformed sequence runs into the value', () => {
    expect(mask('\u001b[31s3cret-value-123')).not.toContain('3cret-value-123');
  });

  it('is masked wrapped across lines with colours, and in a stream cut anywhere', () => {
    const text = 'got \u001b[1ms3cret-v\u001b[0m\n    \u001b[1malue-123\u001b[0m\n';
    expect(mask(text)).toBe('got ***\n    ***\n');
    for (let cut = 1; cut < text.length; cut++) {
      const out = streamed([secret], [text.slice(0, cut), text.slice(cut)]);
      expect(uncoloured(out), `cut at ${cut}`).toBe('got ***\n    ***\n');
    }
  });
});

describe('redact: a known value in hex', () => {
  const secret = 'pässwörd-Winter-2026';
  const mask = redactWith([secret, 'hunter22']);
  const hex = Buffer.from(secret).toString('hex');

  it.each([
    ['lower case (xxd -p, Python .hex())', `dump: ${hex}`, 'dump: ***'],
    ['upper case (xxd -u -p)', `dump: ${hex.toUpperCase()}`, 'dump: ***'],
    ['inside more hex', `0a0b${hex}0c0d`, '0a0b***0c0d'],
    ['a short value', `x ${Buffer.from('hunter22').toString('hex')} y`, 'x *** y'],
  ])('is masked in %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('is masked wrapped as xxd -p wraps it (60 columns)', () => {
    const dump = `${Buffer.from(`{"kind":"Secret","token":"${secret}"}`)
      .toString('hex')
      .match(/.{1,60}/g)!
      .join('\n')}\n`;
    const out = mask(dump);
    expect(out).toContain('***');
    expect(out.replace(/\n/g, '')).not.toContain(hex.slice(6, 30));
    expect(Buffer.from(out.replace(/\*\*\*|\n/g, ''), 'hex').toString('latin1')).not.toMatch(/Winter|ss/);
  });
});

describe('redact: a known value in spaced hex and in \\x escapes', () => {
  const secret = 'hunter22-prod';
  const mask = redactWith([secret, 'pässwörd-Winter-2026']);
  const bytes = [...Buffer.from(secret)].map((b) => b.toString(16).padStart(2, '0'));

  it.each([
    ['a byte apart (od -t x1, xxd -g1)', `x ${bytes.join(' ')} y`, 'x *** y'],
    [
      'two bytes a group (xxd)',
      `x ${bytes
        .join('')
        .match(/.{1,4}/g)!
        .join(' ')} y`,
      'x *** y',
    ],
    [
      'two bytes a group, at an odd byte',
      `x 0a${bytes
        .join('')
        .match(/.{1,4}/g)!
        .join(' ')} y`,
      'x 0a*** y',
    ],
    [
      'in capitals, with a double blank (hexdump -C)',
      `${bytes.slice(0, 5).join(' ')}  ${bytes.slice(5).join(' ')}`.toUpperCase(),
      '***',
    ],
    ['with colons', bytes.join(':'), '***'],
    ['as \\x escapes', `printf '${bytes.map((b) => `\\x${b}`).join('')}'`, "printf '***'"],
    ['as \\x escapes in capitals', bytes.map((b) => `\\x${b.toUpperCase()}`).join(''), '***'],
  ])('is masked %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('leaves other spaced hex alone', () => {
    const other = [...Buffer.from('some other data')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(mask(other)).toBe(other);
  });
});

describe('redact: a known value in another case', () => {
  const mask = redactWith([
    's3cret-value-123',
    'xKqPzRtVbNmLwQyT',
    'correct horse battery staple',
    'hunter2',
    'Deploy',
  ]);

  it.each([
    ["upper-cased (a shell's VAR^^, tr a-z A-Z)", 'got S3CRET-VALUE-123 here', 'got *** here'],
    ['in mixed case', 'got S3cret-Value-123', 'got ***'],
    ['letters only, not a word', 'XKQPZRTVBNMLWQYT', '***'],
    ['as it is, still', 'correct horse battery staple', '***'],
  ])('is masked %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it.each([
    ['a short value in capitals, as a whole token', 'HUNTER2 Hunter2, hunter2', '*** ***, ***'],
    [
      'a value of words, in capitals and in title case',
      'CORRECT HORSE BATTERY STAPLE / Correct Horse Battery Staple',
      '*** / ***',
    ],
    ['a word, in capitals and in lower case', 'DEPLOY deploy Deploy', '*** *** ***'],
  ])('is masked: %s', (_what, input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it.each([
    ['a short value in capitals inside a longer word', 'XHUNTER2 HUNTER2X'],
    ['a word in capitals inside a longer word or identifier', 'DEPLOYMENT REDEPLOY DEPLOY_ALL PRE-DEPLOY'],
    ['a word in mixed case (no program prints it so)', 'dEpLoY'],
  ])('is left alone: %s', (_what, input) => {
    expect(mask(input)).toBe(input);
  });
});

describe('redact: a known value in another case wrapped across lines', () => {
  const known = ['s3cret-value-123', 'hunter2', 'correct horse battery staple', 'production'];

  it.each([
    ['upper-cased', 'got S3CRET-VA\nLUE-123\n', 'got ***\n***\n'],
    ['capitalized, its rest alone on the next line', 'got S3cret-value-\n123 ok\n', 'got ***\n*** ok\n'],
    ['a value of words, in capitals', 'pw: CORRECT HORSE\nBATTERY STAPLE\n', 'pw: ***\n***\n'],
    ['a word, in capitals', 'env PRODUC\nTION ok\n', 'env ***\n*** ok\n'],
  ])('is masked %s, whole and streamed line by line', (_what, text, masked) => {
    expect(redactWith(known)(text)).toBe(masked);
    expect(streamed(known, text.split(/(?<=\n)/))).toBe(masked);
  });

  it('is left alone where a value masked in another case only as a whole token would be part of a longer word', () => {
    const mask = redactWith(known);
    for (const text of ['env PRODUC\nTIONIZE ok\n', 'pw: HUNT\nER2X\n', 'Enter PASSWORD\nbelow\n'])
      expect(mask(text)).toBe(text);
  });
});

describe('redact: a known region or word in another case', () => {
  const mask = redactWith(['eu-west-1', 'production']);

  it('is masked as a whole token upper-cased or capitalized', () => {
    expect(mask('REGION: EU-WEST-1 (Eu-West-1)')).toBe('REGION: *** (***)');
    expect(mask('ENV=PRODUCTION; Production is up')).toBe('ENV=***; *** is up');
  });

  it('is left alone inside a longer word', () => {
    expect(mask('EU-WEST-1A PRODUCTIONIZE Productionize')).toBe('EU-WEST-1A PRODUCTIONIZE Productionize');
  });
});

describe('redact: ordinary output with known values configured', () => {
  it('passes unchanged, whole and streamed line by line', () => {
    // A word value (`Rollback`) is masked as a whole token in any of its cases, so it is one the text does not hold.
    const known = ['s3cret-value-123', 'pässwörd-Winter-2026', 'password-Winter-2026-xyz', 'hunter22', 'Rollback'];
    expect(redactWith(known)(ORDINARY)).toBe(ORDINARY);
    expect(streamed(known, ORDINARY.split(/(?<=\n)/))).toBe(ORDINARY);
  });
});

describe('redact: a known value wrapped with little of it on a line, or short', () => {
  const secret = 'Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0s';

  it('masks a long value whose first line holds one or two characters of it', () => {
    const mask = redactWith([secret]);
    for (const at of [1, 2]) {
      const wrapped = `got ${secret.slice(0, at)}\n    ${secret.slice(at)}  (expires in 1h)\n`;
      expect(mask(wrapped), `wrapped at ${at}`).toBe('got ***\n    ***  (expires in 1h)\n');
      // In one piece of output, and in two reads: a start of one or two characters that begins a word (after a blank,
      // `=`, `:` or a quote) holds its line back for the rest, as a longer start does.
      expect(streamed([secret], [wrapped])).toBe('got ***\n    ***  (expires in 1h)\n');
      const cut = wrapped.indexOf('\n') + 1;
      expect(streamed([secret], [wrapped.slice(0, cut), wrapped.slice(cut)])).toBe(
        'got ***\n    ***  (expires in 1h)\n',
      );
      // Released after the hold without its rest, those characters show (under 6: see "whose rest never comes"); the
      // rest is masked when it comes.
      const redactor = createRedactor({ known: [secret] });
      expect(redactor.push(wrapped.slice(0, cut))).toBe('');
      expect(redactor.release()).toBe(wrapped.slice(0, cut));
      expect(redactor.push(wrapped.slice(cut))).toBe('    ***  (expires in 1h)\n');
    }
  });

  it('does not hold a line back for one or two characters of a start glued to a word (a word ending in them)', () => {
    const secret = 'Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0s';
    for (const line of ['FIZZ\n', 'got abZx\n']) {
      const redactor = createRedactor({ known: [secret] });
      expect(redactor.push(line)).toBe(line);
    }
  });

  it('masks a value under 12 characters wrapped inside a run of letters or digits, in a stream too', () => {
    const mask = redactWith(['hunter2prod', '98127345']);
    for (const [text, masked] of [
      ['pw: hun\n    ter2prod ok\n', 'pw: ***\n    *** ok\n'],
      ['pw: hunter2p\nrod\n', 'pw: ***\n***\n'],
      ['pin 981\n27345 ok\n', 'pin ***\n*** ok\n'],
    ]) {
      expect(mask(text!)).toBe(masked);
      const cut = text!.indexOf('\n') + 1;
      expect(streamed(['hunter2prod', '98127345'], [text!.slice(0, cut), text!.slice(cut)])).toBe(masked);
    }
  });

  it('masks the rest alone starting the next line when the line ends in more than one start of the value', () => {
    // `ab12ab12` ends in `ab12` and in `ab12ab12`, both starts of the value: the rest that follows is that of `ab12`.
    for (const [secret, text, masked] of [
      ['ab12ab12-XyZ-7788', 'got ab12ab12\nab12-XyZ-7788\n', 'got ab12***\n***\n'],
      ['s3cret-s3cret-42', 'x s3cret-s3cret-\ns3cret-42\n', 'x s3cret-***\n***\n'],
    ]) {
      expect(redactWith([secret!])(text!)).toBe(masked);
      expect(streamed([secret!], text!.split(/(?<=\n)/))).toBe(masked);
    }
  });

  it('masks a value that ends in a start of itself wrapped over lines, streamed a line at a time, at every width', () => {
    // `…sZx9` ends in `Zx9`: the line it ends is held for that start's rest, and the value's lines before it with it.
    for (const secret of ['Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0sZx9', 'abcdefghijkl-abc']) {
      for (let width = 4; width < 20; width++) {
        for (let at = 0; at < 8; at++) {
          const text = `${`${'x'.repeat(at)} ${secret} ok`.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n')}\nnext\n`;
          const masked = redactWith([secret])(text);
          expect(masked, `${secret} at ${at}, ${width} wide`).not.toContain(secret.slice(-4));
          expect(streamed([secret], text.split(/(?<=\n)/)), `${secret} at ${at}, ${width} wide`).toBe(masked);
        }
      }
    }
  });

  it('leaves ordinary text alone where a short value could be read across a line end', () => {
    const mask = redactWith(['password1', 'password123', 'deploy-prod', 'hunter2prod']);
    for (const text of [
      'Please enter your password\n1. Try again\n',
      'checking your password\n123 attempts left\n',
      'kubectl get deploy\n-prod is missing\n',
      'hunter\n2prod\n',
      'pw: hu\nnter2prod\n',
    ]) {
      expect(mask(text)).toBe(text);
    }
  });
});

describe('redact: a known value wrapped across log lines whose prefixes differ in their digits', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLE12';
  const text =
    `2026-01-01T00:00:00.101Z app[web.1]: token ${secret.slice(0, 20)}\n` +
    `2026-01-01T00:00:00.102Z app[web.1]: ${secret.slice(20)}\n` +
    '2026-01-01T00:00:01.017Z app[web.1]: done\n';
  const masked =
    '2026-01-01T00:00:00.101Z app[web.1]: token ***\n' +
    '2026-01-01T00:00:00.102Z app[web.1]: ***\n' +
    '2026-01-01T00:00:01.017Z app[web.1]: done\n';

  it('masks it as with the same prefix (timestamps), whole and streamed line by line', () => {
    expect(redactWith([secret])(text)).toBe(masked);
    expect(streamed([secret], text.split(/(?<=\n)/))).toBe(masked);
  });

  it('masks it when the first line goes on from the prefix with what the rest starts with (`[web] token: hun`, `[web] ter2…`)', () => {
    // The shared prefix then runs into the rest (`[web.1] t`): the rest starts inside it. At every cut a value of its
    // length is masked at, a short value (cut inside a run of letters or digits) and a long one.
    for (const secret of ['hunter2prod', 'Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0s']) {
      const cuts = secret === 'hunter2prod' ? [3, 4, 5, 8] : [...Array(secret.length - 1).keys()].map((k) => k + 1);
      for (const k of cuts) {
        for (const prefix of ['2026-01-01T00:00:00.101Z app[web.1]: ', '[web.1] ']) {
          const rest = secret.slice(k);
          for (const m of [1, 2, 3]) {
            const text = `${prefix}${rest.slice(0, m)}-note: ${secret.slice(0, k)}
${prefix}${rest} ok
`;
            const masked = `${prefix}${rest.slice(0, m)}-note: ***
${prefix}*** ok
`;
            expect(redactWith([secret])(text), `${secret} cut at ${k}, ${m} alike`).toBe(masked);
            expect(streamed([secret], text.split(/(?<=\n)/)), `${secret} cut at ${k}, ${m} alike`).toBe(masked);
          }
        }
      }
    }
  });

  it('does not take a prefix of another shape for the same one', () => {
    const other = `2026-01-01T00:00:00.101Z app[web.1]: token ${secret.slice(0, 20)}\n2026-01-01 app: ${secret.slice(20)}\n`;
    // The next line is not taken for the rest; the start alone, with no rest after it, is masked as such.
    expect(redactWith([secret])(other)).toBe(
      `2026-01-01T00:00:00.101Z app[web.1]: token ***\n2026-01-01 app: ${secret.slice(20)}\n`,
    );
  });
});

describe('redact: a known value that is an ordinary word or a region', () => {
  const known = ['production', 'us-east-1', 'hunter42', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLE12'];
  const mask = redactWith(known);

  it('is masked as a whole token, not inside a longer word', () => {
    expect(mask('deploy to production. (production)')).toBe('deploy to ***. (***)');
    expect(mask('region=us-east-1, az us-east-1a')).toBe('region=***, az us-east-1a');
    expect(mask('productionize preproduction production2')).toBe('productionize preproduction production2');
    expect(mask('"env":"production"')).toBe('"env":"***"');
  });

  it('is masked wrapped only when whole, in a stream too', () => {
    expect(mask('env produc\ntion ok\n')).toBe('env ***\n*** ok\n');
    expect(mask('env produc\ntionize ok\n')).toBe('env produc\ntionize ok\n');
    expect(streamed(known, ['env produc\n', 'tionize ok\n'])).toBe('env produc\ntionize ok\n');
  });

  it('is left alone as part of a larger identifier, so the identifier is not cut oddly', () => {
    expect(mask('db production_db db_production production-db prod-production')).toBe(
      'db production_db db_production production-db prod-production',
    );
    expect(mask('us-east-1-replica us-east-1_a')).toBe('us-east-1-replica us-east-1_a');
    // A blank, punctuation or a dash with nothing after it still ends the token.
    expect(mask('env production-, production.internal -production')).toBe('env ***-, ***.internal -***');
  });

  it('is masked wrapped only when whole, not when the wrap glues it to an identifier', () => {
    expect(mask('env produc\ntion_db ok\n')).toBe('env produc\ntion_db ok\n');
    expect(mask('env db_produc\ntion ok\n')).toBe('env db_produc\ntion ok\n');
  });

  it('leaves a value that is not words masked anywhere', () => {
    expect(mask('xhunter42y')).toBe('x***y');
    expect(mask('AwJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLE12B')).toBe('A***B');
  });
});

describe('redact: a passphrase of words wrapped across lines', () => {
  it('is masked whole, and not when the wrap glues it to a longer word', () => {
    const mask = redactWith(['correct horse battery staple']);
    expect(mask('pw: correct horse bat\n  tery staple\n')).toBe('pw: ***\n  ***\n');
    expect(mask('pw: correct horse bat\n  tery staplers\n')).toBe('pw: correct horse bat\n  tery staplers\n');
  });
  it('is masked wrapped at a blank between its words (the blank dropped, kept at the line end, or indenting the rest)', () => {
    const known = ['correct horse battery staple', 'p4ss phr4se 99 x'];
    const mask = redactWith(known);
    for (const [text, masked] of [
      ['pw: correct horse\nbattery staple\n', 'pw: ***\n***\n'],
      ['pw: correct horse \n  battery staple ok\n', 'pw: *** \n  *** ok\n'],
      ['pw: correct\n horse battery\n staple\n', 'pw: ***\n ***\n ***\n'],
      ['key p4ss phr4se\n    99 x\n', 'key ***\n    ***\n'],
    ]) {
      expect(mask(text!)).toBe(masked);
      const cut = text!.indexOf('\n') + 1;
      expect(streamed(known, [text!.slice(0, cut), text!.slice(cut)])).toBe(masked);
    }
  });

  it('is not masked wrapped at a blank when the rest is glued to a longer word', () => {
    const mask = redactWith(['correct horse battery staple']);
    expect(mask('pw: correct horse\nbattery staplers\n')).toBe('pw: correct horse\nbattery staplers\n');
  });
});

describe('redact: a short known value after its own name', () => {
  const mask = redactWith([{ name: 'X_SHORT', value: 'ab12' }]);

  it('is masked in a table of variables (a tab between) and as its long option, and left elsewhere', () => {
    expect(mask('X_SHORT\tab12')).toBe('X_SHORT\t***');
    expect(mask('X_SHORT\t\tab12\n')).toBe('X_SHORT\t\t***\n');
    expect(mask('run --x-short=ab12 --verbose')).toBe('run --x-short=*** --verbose');
    expect(mask('X_SHORT=ab12')).toBe('X_SHORT=***');
    // Elsewhere a value this short is ordinary text; another variable or option is not this one.
    expect(mask('tab12 lab12 ab12')).toBe('tab12 lab12 ab12');
    expect(mask('MY_X_SHORT\tab12 --my-x-short=ab12')).toBe('MY_X_SHORT\tab12 --my-x-short=ab12');
  });
});

describe('redact: the start of a known value whose rest never comes', () => {
  const secret = 's3cret-value-123';

  it('is masked when the output ends in it, with or without a line end', () => {
    expect(streamed([secret], ['got s3cret-va'])).toBe('got ***');
    expect(streamed([secret], ['got s3cret-va\n'])).toBe('got ***\n');
    expect(streamed([secret], ['ok\ngot s3cret-', 'va'])).toBe('ok\ngot ***');
    expect(redactWith([secret])('got s3cret-value-12')).toBe('got ***');
  });

  it('is masked when a line held back for its rest is released without it; the rest is masked if it comes later', () => {
    const redactor = createRedactor({ known: [secret] });
    expect(redactor.push('got s3cret-va\n')).toBe('');
    expect(redactor.release()).toBe('got ***\n');
    expect(redactor.push('lue-123 ok\n')).toBe('*** ok\n');
  });

  it('has its rest masked when lines of it are released without it, a line after line (the hold ran out each time)', () => {
    for (const [lines, masked] of [
      [['got s3cr\n', 'et-valu\n', 'e-123 ok\n'], 'got s3cr\n***\n*** ok\n'],
      [['got s3cret\n', '-valu\n', 'e-123 ok\n'], 'got ***\n***\n*** ok\n'],
      [['got s3cr\n', 'et-valu\n', 'Killed\n'], 'got s3cr\n***\nKilled\n'],
      [['got s3cr\net-valu\n', 'e-123 ok\n'], 'got ***\n***\n*** ok\n'],
    ] as const) {
      const redactor = createRedactor({ known: [secret] });
      const out = lines.map((line) => redactor.push(line) + redactor.release()).join('') + redactor.flush();
      expect(out, lines.join('')).toBe(masked);
    }
  });

  it('is masked ending a line that another line follows (the process printed something else and stopped)', () => {
    expect(redactWith([secret])('got s3cret-va\nKilled\n')).toBe('got ***\nKilled\n');
    // Its hex and its base64 too.
    const hex = Buffer.from(secret).toString('hex');
    expect(redactWith([secret])(`dump ${hex.slice(0, 16)}\nKilled\n`)).toBe('dump ***\nKilled\n');
  });

  it('is left alone when under 6 characters, ordinary words, or the start of a word or region value', () => {
    expect(redactWith([secret])('got s3cre')).toBe('got s3cre');
    expect(redactWith(['password-Winter-2026'])('Please enter your password\n')).toBe('Please enter your password\n');
    expect(redactWith(['password-Winter-2026'])('Please enter your password')).toBe('Please enter your password');
    expect(redactWith(['production', 'eu-west-1'])('deploy to produc\nregion eu-west\n')).toBe(
      'deploy to produc\nregion eu-west\n',
    );
  });

  it('is not taken for a start where an overlong line is cut (its rest follows)', () => {
    const redactor = createRedactor({ known: [secret], maxLineChars: 100 });
    const out = redactor.push(`${'x'.repeat(120)} s3cret-va`) + redactor.push('lue-123\n') + redactor.flush();
    expect(out).toBe(`${'x'.repeat(120)} ***\n`);
  });
});
