/**
 * A Slack message as readable terminal text: its blocks laid out (headers bold, section fields in two aligned
 * columns, context dimmed, code blocks kept as they are), mrkdwn made plain (mentions as @name, channels as #name,
 * dates as written, links with their address, emoji codes as emoji), and its buttons and selects numbered so they can
 * be pressed. Pure: the names, the numbers and the style come from the caller.
 */
import { padVisible, type Style, visibleWidth } from './style.js';

export interface Names {
  /** `U0ALICE` -> `alice`. */
  user(id: string): string;
  /** `C0000001` -> `inc-1-db-down`. */
  channel(id: string): string;
}

export interface ControlOption {
  label: string;
  value: string;
  description?: string;
}

export interface Confirm {
  title: string;
  text: string;
  confirm: string;
  deny: string;
}

/** A button or a select of a message, as a person can press it. */
export interface Control {
  kind: 'button' | 'select';
  actionId: string;
  blockId: string;
  label: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: Confirm;
  /** A select's options. */
  options?: ControlOption[];
  /** A select's option chosen when the message was posted. */
  initial?: ControlOption;
}

export interface RenderOptions {
  style: Style;
  /** Columns available. */
  width: number;
  names: Names;
  /** The number a control is pressed by; undefined shows it without one. */
  numberOf?(control: Control): number | undefined;
}

export interface MessageLike {
  text?: string | undefined;
  blocks?: unknown[] | undefined;
  attachments?: unknown[] | undefined;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => {
  if (typeof v === 'string') return v;
  const t = obj(v).text;
  return typeof t === 'string' ? t : '';
};

export const EMOJI: Record<string, string> = {
  warning: '⚠️',
  wastebasket: '🗑️',
  key: '🔑',
  information_source: 'ℹ️',
  rewind: '⏪',
  question: '❓',
  point_right: '👉',
  rotating_light: '🚨',
  white_check_mark: '✅',
  link: '🔗',
  x: '❌',
  pager: '📟',
  raising_hand: '🙋',
  raised_hand: '✋',
  tada: '🎉',
  no_entry: '⛔',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
  large_green_circle: '🟢',
  arrow_double_up: '⏫',
  arrow_up: '⬆️',
  arrow_down: '⬇️',
  alarm_clock: '⏰',
  no_bell: '🔕',
  speech_balloon: '💬',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  white_circle: '⚪',
  fire: '🔥',
  eyes: '👀',
  mag: '🔍',
  thumbsup: '👍',
  '+1': '👍',
  memo: '📝',
  clipboard: '📋',
  arrow_forward: '▶️',
  fast_forward: '⏩',
  leftwards_arrow_with_hook: '↩️',
  heavy_plus_sign: '➕',
  heavy_minus_sign: '➖',
  twisted_rightwards_arrows: '🔀',
  arrow_right: '➡️',
  white_large_square: '⬜',
  no_entry_sign: '🚫',
  globe_with_meridians: '🌐',
  cyclone: '🌀',
  bell: '🔔',
  bust_in_silhouette: '👤',
  lock: '🔒',
  wrench: '🔧',
  unlock: '🔓',
  construction: '🚧',
  stopwatch: '⏱️',
  octagonal_sign: '🛑',
  grey_question: '❔',
  telephone_receiver: '📞',
  repeat: '🔁',
  left_right_arrow: '↔️',
  calendar: '📆',
  pencil2: '✏️',
};

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** One `<…>` of mrkdwn (a mention, a channel, a date, a link) as plain text. */
function token(inner: string, o: RenderOptions): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  const { style, names } = o;
  if (target.startsWith('@')) return style.cyan(`@${names.user(target.slice(1))}`);
  if (target.startsWith('#')) return style.cyan(`#${names.channel(target.slice(1))}`);
  if (target.startsWith('!date^')) {
    if (label) return decodeEntities(label);
    const seconds = Number(target.split('^')[1]);
    return Number.isFinite(seconds)
      ? `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`
      : '';
  }
  if (target.startsWith('!subteam^')) return style.cyan(label ? `@${label.replace(/^@/, '')}` : `@${target.slice(9)}`);
  if (target.startsWith('!')) return style.cyan(`@${target.slice(1)}`);
  const url = decodeEntities(target);
  if (!label || decodeEntities(label) === url) return style.cyan(url);
  // A label is mrkdwn too: Slack shows `<url|*HighErrorRate*>` bold.
  return `${decodeEntities(emphasis(label, style))} (${style.cyan(url)})`;
}

/** Bold, italic and struck-through spans (`*…*`, `_…_`, `~…~`) styled, the markers gone. */
function emphasis(s: string, style: RenderOptions['style']): string {
  let out = s;
  const mark = (ch: string, apply: (t: string) => string) => {
    const c = `\\${ch}`;
    const re = new RegExp(`(^|[^\\w${c}])${c}(?=\\S)([^${c}\\n]*?\\S)${c}(?![\\w${c}])`, 'g');
    out = out.replace(re, (_, pre: string, t: string) => `${pre}${apply(t)}`);
  };
  mark('*', style.bold);
  mark('_', style.italic);
  mark('~', style.strike);
  return out;
}

/**
 * Inline mrkdwn (no code blocks) as styled text: tokens and code spans are set aside first, so their contents are
 * never read as bold or italic markers, then put back.
 */
export function inlineMrkdwn(s: string, o: RenderOptions): string {
  // Set-aside pieces are marked with a private-use character, which typed text never holds after escaping.
  const kept: string[] = [];
  const keep = (v: string) => `\uE000${kept.push(v) - 1}\uE001`;
  let out = s.replace(/`([^`\n]+)`/g, (_, code: string) =>
    keep(o.style.colour ? o.style.code(decodeEntities(code)) : `\`${decodeEntities(code)}\``),
  );
  out = out.replace(/<([^<>\n]+)>/g, (_, inner: string) => keep(token(inner, o)));
  out = out.replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m);
  out = decodeEntities(emphasis(out, o.style));
  return out.replace(/\uE000(\d+)\uE001/g, (_, i: string) => kept[Number(i)] ?? '');
}

/** mrkdwn with code blocks: prose lines styled, code lines kept as they are behind a bar. */
export function mrkdwnLines(s: string, o: RenderOptions): string[] {
  const lines: string[] = [];
  s.split('```').forEach((part, i) => {
    if (i % 2 === 1) {
      const code = decodeEntities(part.replace(/^\n/, '').replace(/\n$/, ''));
      for (const line of code.split('\n')) lines.push(`${o.style.dim('│')} ${line}`);
      return;
    }
    if (part === '' || (i > 0 && part === '\n')) return;
    const prose = i > 0 ? part.replace(/^\n/, '') : part;
    const trimmed = prose.replace(/\n$/, '');
    if (trimmed === '' && i > 0) return;
    lines.push(...inlineMrkdwn(trimmed, o).split('\n'));
  });
  return lines;
}

/** A text object (plain_text or mrkdwn) as lines. */
function textLines(t: unknown, o: RenderOptions): string[] {
  const o2 = obj(t);
  const s = text(t);
  if (!s) return [];
  if (o2.type === 'plain_text') return s.replace(/:([a-z0-9_+-]+):/g, (m, n: string) => EMOJI[n] ?? m).split('\n');
  return mrkdwnLines(s, o);
}

function option(v: unknown): ControlOption | undefined {
  const o = obj(v);
  if (typeof o.value !== 'string') return undefined;
  const description = text(o.description);
  return { label: text(o.text), value: o.value, ...(description ? { description } : {}) };
}

function confirmOf(v: unknown): Confirm | undefined {
  const c = obj(v);
  if (!c.text) return undefined;
  return {
    title: text(c.title) || 'Are you sure?',
    text: text(c.text),
    confirm: text(c.confirm) || 'Yes',
    deny: text(c.deny) || 'Cancel',
  };
}

/** An element as a control, when it is one a person can press here. */
function controlOf(el: unknown, blockId: string): Control | undefined {
  const e = obj(el);
  const actionId = typeof e.action_id === 'string' ? e.action_id : '';
  const confirm = confirmOf(e.confirm);
  const common = { actionId, blockId, ...(confirm ? { confirm } : {}) };
  if (e.type === 'button') {
    return {
      kind: 'button',
      ...common,
      label: text(e.text),
      ...(typeof e.value === 'string' ? { value: e.value } : {}),
      ...(typeof e.url === 'string' ? { url: e.url } : {}),
      ...(e.style === 'primary' || e.style === 'danger' ? { style: e.style } : {}),
    };
  }
  if (e.type === 'static_select' || e.type === 'overflow') {
    const options = [...arr(e.options), ...arr(e.option_groups).flatMap((g) => arr(obj(g).options))].flatMap(
      (x) => option(x) ?? [],
    );
    const initial = option(e.initial_option);
    return {
      kind: 'select',
      ...common,
      label: text(e.placeholder) || 'Choose',
      options,
      ...(initial ? { initial } : {}),
    };
  }
  return undefined;
}

/** The block id a block goes by: its own, or the one Slack would give it (here, by position). */
export function blockIdOf(block: unknown, index: number): string {
  const id = obj(block).block_id;
  return typeof id === 'string' && id ? id : `b${index}`;
}

/** Every button and select of a message, in the order they are shown. */
export function controlsOf(blocks: unknown[] | undefined): Control[] {
  const out: Control[] = [];
  arr(blocks).forEach((block, i) => {
    const b = obj(block);
    const blockId = blockIdOf(block, i);
    const elements = b.type === 'actions' ? arr(b.elements) : b.type === 'section' && b.accessory ? [b.accessory] : [];
    for (const el of elements) {
      const c = controlOf(el, blockId);
      if (c) out.push(c);
    }
  });
  return out;
}

/** How a control reads: `[2] Acknowledge`, a select with its current choice, a link with an arrow. */
export function controlLabel(c: Control, o: RenderOptions): string {
  const n = o.numberOf?.(c);
  const tag = n === undefined ? '' : `[${n}] `;
  let label: string;
  if (c.kind === 'select') label = `${c.label}${c.initial ? `: ${c.initial.label}` : ''} ▾`;
  else label = c.url ? `${c.label} ↗` : c.label;
  const styled = c.style === 'danger' ? o.style.red(label) : c.style === 'primary' ? o.style.green(label) : label;
  return `${o.style.bold(tag.trimEnd())}${tag ? ' ' : ''}${styled}`;
}

/** Controls side by side, wrapped to the width. */
function controlRow(controls: Control[], o: RenderOptions): string[] {
  const lines: string[] = [];
  let line = '';
  for (const c of controls) {
    const item = controlLabel(c, o);
    if (line && visibleWidth(line) + 3 + visibleWidth(item) > o.width) {
      lines.push(line);
      line = item;
    } else line = line ? `${line}   ${item}` : item;
  }
  if (line) lines.push(line);
  return lines;
}

/** Section fields in two columns, as Slack lays them out; one column when two do not fit. */
function fieldLines(fields: unknown[], o: RenderOptions): string[] {
  const rendered = fields.map((f) => textLines(f, o));
  const left = rendered.filter((_, i) => i % 2 === 0).flatMap((ls) => ls.map(visibleWidth));
  const right = rendered.filter((_, i) => i % 2 === 1).flatMap((ls) => ls.map(visibleWidth));
  const colWidth = Math.max(0, ...left);
  if (colWidth + 3 + Math.max(0, ...right) > o.width) return rendered.flat();
  const lines: string[] = [];
  for (let i = 0; i < rendered.length; i += 2) {
    const a = rendered[i] ?? [];
    const b = rendered[i + 1] ?? [];
    for (let j = 0; j < Math.max(a.length, b.length); j++) {
      const row = b[j] === undefined ? (a[j] ?? '') : `${padVisible(a[j] ?? '', colWidth)}   ${b[j]}`;
      lines.push(row.trimEnd());
    }
  }
  return lines;
}

/** One block as lines. */
export function blockLines(block: unknown, index: number, o: RenderOptions): string[] {
  const b = obj(block);
  const blockId = blockIdOf(block, index);
  switch (b.type) {
    case 'header':
      return textLines(b.text, o).map((l) => o.style.bold(l));
    case 'section': {
      const lines = [...textLines(b.text, o)];
      if (Array.isArray(b.fields)) lines.push(...fieldLines(b.fields, o));
      const accessory = controlOf(b.accessory, blockId);
      if (accessory) {
        const item = controlLabel(accessory, o);
        const first = lines[0];
        if (first !== undefined && visibleWidth(first) + 3 + visibleWidth(item) <= o.width)
          lines[0] = `${first}   ${item}`;
        else lines.push(`  ${item}`);
      }
      return lines;
    }
    case 'context': {
      const parts = arr(b.elements).flatMap((el) => (obj(el).type === 'image' ? [] : [textLines(el, o).join(' ')]));
      return parts.length ? [o.style.dim(parts.join('  '))] : [];
    }
    case 'actions':
      return controlRow(
        arr(b.elements).flatMap((el) => controlOf(el, blockId) ?? []),
        o,
      );
    case 'divider':
      return [o.style.dim('─'.repeat(Math.min(o.width, 40)))];
    case 'image':
      return [o.style.dim(`[image: ${text(b.alt_text) || 'picture'}]`)];
    default:
      return [];
  }
}

/** A message as lines: its blocks when it has some (the text is then only Slack's fallback), else its text. */
export function renderMessage(msg: MessageLike, o: RenderOptions): string[] {
  const lines = arr(msg.blocks).flatMap((block, i) => blockLines(block, i, o));
  for (const a of arr(msg.attachments)) {
    const t = text(obj(a).text) || text(obj(a).fallback);
    if (t) lines.push(...mrkdwnLines(t, o).map((l) => `${o.style.dim('┃')} ${l}`));
  }
  if (lines.length === 0 && msg.text) return mrkdwnLines(msg.text, o);
  return lines;
}
