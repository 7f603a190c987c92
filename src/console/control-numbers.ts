/**
 * The numbers buttons and selects are pressed by. A control keeps its number for as long as its message has it (an
 * updated card shows the same numbers), and numbers are never reused, so a number typed a little late never presses
 * something else.
 */
import type { Control } from './render-message.js';

/** Where a numbered control is: its message (a stored message, or an ephemeral one the console keeps) and itself. */
export interface ControlRef {
  channel: string;
  /** The message's ts, or the console's id of an ephemeral message. */
  ts: string;
  ephemeral: boolean;
  actionId: string;
  value: string | undefined;
}

interface Shown {
  n: number;
  label: string;
  channel: string;
}

const RECENT = 200;

export class ControlNumbers {
  private readonly byKey = new Map<string, number>();
  private readonly refs = new Map<number, ControlRef>();
  private readonly recent: Shown[] = [];
  private next = 1;

  private static key(r: ControlRef): string {
    return [r.channel, r.ts, r.actionId, r.value ?? ''].join('\u0000');
  }

  /** The number of a control of a message, given when it is first shown. Remembered as shown last, for labels. */
  numberFor(at: Omit<ControlRef, 'actionId' | 'value'>, control: Control): number {
    const ref: ControlRef = { ...at, actionId: control.actionId, value: control.value };
    const key = ControlNumbers.key(ref);
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.next++;
      this.byKey.set(key, n);
      this.refs.set(n, ref);
    }
    this.recent.push({ n, label: control.label.toLowerCase(), channel: at.channel });
    if (this.recent.length > RECENT) this.recent.splice(0, this.recent.length - RECENT);
    return n;
  }

  get(n: number): ControlRef | undefined {
    return this.refs.get(n);
  }

  /**
   * The control a label names: the one shown last with that label (whole, then its beginning), in `channel` first.
   */
  byLabel(label: string, channel: string): number | undefined {
    const l = label.trim().toLowerCase();
    const tests = [(s: Shown) => s.label === l, (s: Shown) => s.label.startsWith(l)];
    for (const test of tests) {
      for (const inChannel of [true, false]) {
        for (let i = this.recent.length - 1; i >= 0; i--) {
          const s = this.recent[i]!;
          if ((!inChannel || s.channel === channel) && test(s)) return s.n;
        }
      }
    }
    return undefined;
  }
}
