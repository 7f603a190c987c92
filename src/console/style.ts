/** How the console marks up what it prints: ANSI colours on a terminal that shows them, plain text otherwise. */
export interface Style {
  /** Whether this style adds colour codes (plain text keeps markers such as backticks around code instead). */
  readonly colour: boolean;
  bold(s: string): string;
  dim(s: string): string;
  italic(s: string): string;
  strike(s: string): string;
  code(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const same = (s: string) => s;

export const PLAIN: Style = {
  colour: false,
  bold: same,
  dim: same,
  italic: same,
  strike: same,
  code: same,
  red: same,
  green: same,
  yellow: same,
  cyan: same,
};

/** Wraps in an SGR code; an inner style that closes the same attribute (bold inside dim) opens it again after. */
const sgr = (open: number, close: number) => (s: string) =>
  s ? `\x1b[${open}m${s.replaceAll(`\x1b[${close}m`, `\x1b[${close}m\x1b[${open}m`)}\x1b[${close}m` : s;

export const ANSI: Style = {
  colour: true,
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  italic: sgr(3, 23),
  strike: sgr(9, 29),
  code: sgr(36, 39),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

/**
 * Colour when the output is a terminal that shows colours, unless NO_COLOR is set (https://no-color.org);
 * FORCE_COLOR=1 (or any value but 0) turns it on anyway, FORCE_COLOR=0 off.
 */
export function chooseStyle(
  out: { isTTY?: boolean; hasColors?: () => boolean },
  env: Record<string, string | undefined>,
): Style {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force === '0' || force === 'false' ? PLAIN : ANSI;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return PLAIN;
  if (!out.isTTY) return PLAIN;
  if (env.TERM === 'dumb') return PLAIN;
  return out.hasColors && !out.hasColors() ? PLAIN : ANSI;
}

const ESC = String.fromCharCode(27);
const ANSI_RE = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/** Columns a string takes on a terminal: colour codes take none, emoji and wide characters two, joiners none. */
export function visibleWidth(s: string): number {
  let width = 0;
  let last = 0;
  for (const ch of stripAnsi(s)) {
    const cp = ch.codePointAt(0) ?? 0;
    // A variation selector 16 asks for the emoji form of the symbol before it, drawn two columns wide.
    if (cp === 0xfe0f) {
      if (last === 1) width += 1;
      last = 0;
      continue;
    }
    if (cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0e) || (cp >= 0x300 && cp <= 0x36f)) continue;
    last = isWide(cp) ? 2 : 1;
    width += last;
  }
  return width;
}

const WIDE_RANGES: [number, number][] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x23e9, 0x23f3],
  [0x2614, 0x2615],
  [0x26a1, 0x26a1],
  [0x26d4, 0x26d4],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x274c, 0x274c],
  [0x2753, 0x2757],
  [0x2b50, 0x2b55],
  [0x2e80, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f000, 0x1faff],
  [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  return WIDE_RANGES.some(([from, to]) => cp >= from && cp <= to);
}

/** Pads with spaces to `width` visible columns. */
export function padVisible(s: string, width: number): string {
  const w = visibleWidth(s);
  return w >= width ? s : s + ' '.repeat(width - w);
}
