import { describe, expect, it } from 'vitest';
import { createRedactor, redactWith } from '../../src/ops/redact.js';

/** A byte as the ASCII column shows it. */
const shown = (byte: number): string => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.');
const hex2 = (byte: number): string => byte.toString(16).padStart(2, '0');

/** The 16-byte lines of `data`, with their offsets. */
const rows = (data: Buffer): [number, Buffer][] =>
  Array.from({ length: Math.ceil(data.length / 16) }, (_, n) => [n * 16, data.subarray(n * 16, n * 16 + 16)]);

/** As `xxd` prints it: two-byte groups, the ASCII column after two blanks. */
const xxd = (data: Buffer): string =>
  rows(data)
    .map(([at, row]) => {
      const groups = [...row]
        .map(hex2)
        .join('')
        .match(/.{1,4}/g)!
        .join(' ');
      return `${at.toString(16).padStart(8, '0')}: ${groups.padEnd(39)}  ${[...row].map(shown).join('')}\n`;
    })
    .join('');

/** As `hexdump -C` prints it: bytes a blank apart, two in the middle, the ASCII column between bars. */
const hexdumpC = (data: Buffer): string =>
  `${rows(data)
    .map(([at, row]) => {
      const bytes = [...row].map(hex2);
      const hex = `${bytes.slice(0, 8).join(' ')}  ${bytes.slice(8).join(' ')}`.trimEnd().padEnd(48);
      return `${at.toString(16).padStart(8, '0')}  ${hex}  |${[...row].map(shown).join('')}|\n`;
    })
    .join('')}${data.length.toString(16).padStart(8, '0')}\n`;

/** Two-byte little-endian words, as `hexdump` and `od -x` print them (`3373` for `s3`); an odd last byte as `00xx`. */
const words = (row: Buffer): string[] =>
  Array.from({ length: Math.ceil(row.length / 2) }, (_, n) => `${hex2(row[2 * n + 1] ?? 0)}${hex2(row[2 * n]!)}`);

/** As `hexdump` without -C prints it: hex offsets of 7 digits, eight words a line padded to its width. */
const hexdump = (data: Buffer): string =>
  `${rows(data)
    .map(([at, row]) => `${at.toString(16).padStart(7, '0')} ${words(row).join(' ').padEnd(39)}\n`)
    .join('')}${data.length.toString(16).padStart(7, '0')}\n`;

/** As `od -x` prints it: octal offsets. */
const odX = (data: Buffer): string =>
  `${rows(data)
    .map(([at, row]) => `${at.toString(8).padStart(7, '0')} ${words(row).join(' ')}\n`)
    .join('')}${data.length.toString(8).padStart(7, '0')}\n`;

/** As `xxd -e` prints it: four-byte groups little-endian, the ASCII column in the data's order. */
const xxdE = (data: Buffer): string =>
  rows(data)
    .map(([at, row]) => {
      const groups = Array.from({ length: Math.ceil(row.length / 4) }, (_, n) =>
        [...row.subarray(4 * n, 4 * n + 4)].reverse().map(hex2).join('').padStart(8),
      );
      return `${at.toString(16).padStart(8, '0')}: ${groups.join(' ').padEnd(35)}  ${[...row].map(shown).join('')}\n`;
    })
    .join('');

const secret = 's3cret-vaLue-429';
const filler = (n: number): Buffer => Buffer.alloc(n, 0x01);
/** The dump without its offset column: what is left of data of 0x01 bytes and a secret without a 0 or 1 in it. */
const unmasked = (dump: string): string => dump.replace(/^[0-9a-f]+:?(?= |$)/gm, '').replace(/[01 .|*\n]/g, '');

/** Output as the command runner feeds it: in chunks, the redactor's pieces joined. */
const streamed = (chunks: string[], known = [secret]): string => {
  const redactor = createRedactor({ known });
  return chunks.map((chunk) => redactor.push(chunk)).join('') + redactor.flush();
};

/**
 * `shown` (the secret, or a form of it: what the dump's data holds) at every offset 0..33 of a dump (or at `offsets`),
 * the dump's values `known`: masked whole (no byte of it left in the hex or ASCII columns), and the same when streamed
 * line by line; with `cuts`, also when streamed in two chunks cut every `cuts` characters.
 */
function expectMaskedAtEveryOffset(
  dump: (data: Buffer) => string,
  {
    cuts = 0,
    shown = secret,
    known = [secret],
    offsets = [...Array(34).keys()],
  }: { cuts?: number; shown?: string; known?: string[]; offsets?: number[] } = {},
): void {
  const mask = redactWith(known);
  for (const at of offsets) {
    const text = dump(Buffer.concat([filler(at), Buffer.from(shown), filler(20)]));
    const masked = mask(text);
    expect(unmasked(masked), `at ${at}:\n${masked}`).toBe('');
    expect(masked).toContain('***');
    expect(streamed(text.split(/(?<=\n)/), known), `at ${at}`).toBe(masked);
    if (!cuts) continue;
    for (let cut = 1; cut < text.length; cut += cuts)
      expect(streamed([text.slice(0, cut), text.slice(cut)], known), `at ${at}, cut at ${cut}`).toBe(masked);
  }
}

describe('redact: a known value in a hex dump, split across its lines', () => {
  const mask = redactWith([secret]);

  it.each([
    ['xxd', xxd],
    ['hexdump -C', hexdumpC],
  ])(
    'is masked in %s, hex and ASCII columns, wherever the lines cut it, whole and streamed line by line',
    (_what, dump) => expectMaskedAtEveryOffset(dump, { cuts: 13 }),
  );

  it('is masked when it ends in a start of itself, held from its first line and not from that start, streamed', () => {
    // `…sZx9` ends in `Zx9`; `…42s` in `s`, and `s.` swapped (xxd's two-byte groups read little-endian) in `s`.
    for (const value of ['Zx9-kP2mQ7vR4tL8wN3yB6cD1fG5hJ0sZx9', 's3cret-vaLue-42s'])
      for (const dump of [xxd, hexdumpC]) expectMaskedAtEveryOffset(dump, { shown: value, known: [value] });
  });

  it('is masked when its lines are released without waiting for its rest, a line after line (the hold ran out)', () => {
    const long = 'Zx9-kP2mQ7vR4tL8wN3yB6cD2fG5hJ9sXyZa-Bcd';
    for (const dump of [xxd, hexdumpC]) {
      const text = dump(Buffer.concat([filler(5), Buffer.from(long), filler(20)]));
      const redactor = createRedactor({ known: [long] });
      const out = text.split(/(?<=\n)/).map((line) => redactor.push(line) + redactor.release());
      expect(unmasked(out.join('') + redactor.flush())).toBe('');
    }
  });

  it('is masked upper-cased (a shell upper-casing it into xxd), as it is unwrapped', () => {
    const text = xxd(Buffer.concat([filler(9), Buffer.from(secret.toUpperCase()), filler(9)]));
    expect(unmasked(mask(text))).toBe('');
    // A word value in capitals only as a whole token: not inside a longer word.
    const word = redactWith(['production']);
    expect(unmasked(word(xxd(Buffer.concat([filler(9), Buffer.from('PRODUCTION'), filler(9)]))))).toBe('');
    const longer = xxd(Buffer.concat([filler(9), Buffer.from('PRODUCTIONIZE'), filler(9)]));
    expect(word(longer)).toBe(longer);
  });

  it('is masked ending the dump, its last line narrower than the others (xxd prints one byte as `39`)', () => {
    for (const dump of [xxd, xxdE, hexdump, odX]) {
      for (let at = 0; at < 16; at++) {
        const masked = mask(dump(Buffer.concat([filler(at), Buffer.from(secret)])));
        expect(unmasked(masked), `at ${at}:\n${masked}`).toBe('');
      }
    }
  });

  it('keeps the rest of the lines as they are', () => {
    const text = xxd(Buffer.from(`{"kind":"Secret","tok":"${secret}"}`));
    expect(mask(text)).toBe(
      [
        '00000000: 7b22 6b69 6e64 223a 2253 6563 7265 7422  {"kind":"Secret"',
        '00000010: 2c22 746f 6b22 3a22 ***  ,"tok":"***',
        '00000020: *** 227d                 ***"}',
        '',
      ].join('\n'),
    );
  });

  it('is masked when the dump ends in 6 bytes of its start or more, not in fewer, nor in words', () => {
    expect(unmasked(mask(hexdumpC(Buffer.concat([filler(12), Buffer.from(secret.slice(0, 7))]))))).toBe('');
    const few = hexdumpC(Buffer.concat([filler(12), Buffer.from(secret.slice(0, 5))]));
    expect(mask(few)).toBe(few);
    // Nor when they are ordinary words.
    const words = xxd(Buffer.from('Please enter your password'));
    expect(redactWith(['password-Winter-2026'])(words)).toBe(words);
  });

  it('leaves dumps of other data alone, and a short start of the value in them', () => {
    const other = Buffer.from(`s3cret-va and s3cre\n${'other data '.repeat(8)}${secret.slice(0, 9).toUpperCase()} end`);
    for (const dump of [xxd(other), hexdumpC(other)]) {
      expect(mask(dump)).toBe(dump);
      expect(streamed(dump.split(/(?<=\n)/))).toBe(dump);
    }
  });
});

describe('redact: a known value escaped, URL-encoded or in base64 in a hex dump', () => {
  // A value with characters that JSON and URLs escape: its forms differ from it.
  const value = 's3cr"et/vaLue 4&29';
  const base64 = Buffer.from(value).toString('base64');

  it.each([
    ['JSON-escaped', JSON.stringify(value).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(value)],
    ['URL-encoded with + for blanks', encodeURIComponent(value).replace(/%20/g, '+')],
    ['in base64', base64],
    ['in URL-safe base64 without padding', base64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')],
  ])('is masked %s, in xxd and hexdump -C, wherever the lines cut it, whole and streamed', (_what, form) => {
    for (const dump of [xxd, hexdumpC]) expectMaskedAtEveryOffset(dump, { shown: form, known: [value] });
  });

  it('is masked in base64 in a stream cut anywhere', () => {
    expectMaskedAtEveryOffset(xxd, { cuts: 7, shown: base64, known: [value], offsets: [0, 3, 14, 15] });
  });

  it('is masked in base64 after other bytes (user:password), but for the characters those bytes share', () => {
    const text = xxd(Buffer.from(`user bob, basic ${Buffer.from(`bob:${value}`).toString('base64')}\n`));
    // `bob:` and the value's first byte make `Ym9iOn`; from there on the characters are the value's alone.
    expect(
      redactWith([value])(text)
        .split('\n')
        .map((line) => line.replace(/^.* {2}/, '')),
    ).toEqual(['user bob, basic ', 'Ym9iOn***', '***', '.', '']);
  });

  it('leaves a dump of other escaped or encoded data alone', () => {
    const text = xxd(
      Buffer.from(`{"msg":"s3cr\\"eu"} s3cr%22et%2Fx ${Buffer.from('other data').toString('base64')}\n`),
    );
    expect(redactWith([value])(text)).toBe(text);
    expect(streamed(text.split(/(?<=\n)/), [value])).toBe(text);
  });
});

describe('redact: a known value longer than 1,024 bytes in a hex dump', () => {
  // A key file or a service account's JSON on one line: more than 64 lines of xxd.
  let seed = 7;
  const long = Array.from({ length: 1500 }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[(seed >>> 16) % 56];
  }).join('');

  it.each([
    ['xxd', xxd],
    ['hexdump -C', hexdumpC],
    ['od -x', odX],
  ])('is masked in %s, whole, streamed line by line and in two chunks', (_what, dump) =>
    expectMaskedAtEveryOffset(dump, { cuts: 997, shown: long, known: [long], offsets: [0, 1, 7, 15] }),
  );

  it('is masked when its lines are released without waiting for its rest, a line after line (the hold ran out)', () => {
    const text = xxd(Buffer.concat([filler(5), Buffer.from(long), filler(20)]));
    const redactor = createRedactor({ known: [long] });
    const out = text.split(/(?<=\n)/).map((line) => redactor.push(line) + redactor.release());
    expect(unmasked(out.join('') + redactor.flush())).toBe('');
  });
});

describe('redact: a known value in a dump of little-endian words (hexdump, od -x)', () => {
  const mask = redactWith([secret]);

  it.each([
    ['hexdump', hexdump],
    ['od -x', odX],
    ['xxd -e (four-byte words, and the ASCII column)', xxdE],
  ])('is masked in %s, on a line and split across lines, whole and streamed line by line', (_what, dump) =>
    expectMaskedAtEveryOffset(dump),
  );

  it('keeps the words around it', () => {
    const text = odX(Buffer.from(`{"tok":"${secret}"}`));
    expect(mask(text)).toBe(['0000000 227b 6f74 226b 223a ***', '0000020 *** 7d22', '0000032', ''].join('\n'));
  });

  it('leaves dumps of other data alone', () => {
    const other = Buffer.from(`s3cret-va and s3cre\n${'other data '.repeat(8)}`);
    for (const dump of [hexdump(other), odX(other)]) expect(mask(dump)).toBe(dump);
  });
});
