/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line must be a `# HELP`, a
 * `# TYPE` or a sample of a family whose TYPE came first; label values are unescaped; a histogram must have
 * increasing `le` buckets ending at +Inf with non-decreasing counts, and `_count` equal to the +Inf bucket.
 * It throws, naming the line, on anything else.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample of `name` with exactly these labels (undefined when there is none). */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum of every sample of `name` whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
// Prometheus reads values with Go's strconv.ParseFloat, which takes NaN and Inf in any case (prom-client writes
// "Nan" for an event-loop lag not yet sampled).
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?[iI][nN][fF]|[nN][aA][nN])';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (${VALUE})(?: (-?\\d+))?$`);
const LABEL = new RegExp(`^(${LABEL_NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(?:,|$)`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    const [whole, key, raw] = m;
    if (key! in labels) throw new Error(`label ${key} twice in: ${line}`);
    labels[key!] = raw!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

const num = (v: string) => {
  if (/inf$/i.test(v)) return v.startsWith('-') ? -Infinity : Infinity;
  return /^nan$/i.test(v) ? Number.NaN : Number(v);
};

/** The family a sample belongs to: `x_bucket`, `x_sum`, `x_count` of a histogram (or summary) `x` are `x`. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && ['histogram', 'summary'].includes(types.get(m[1]!) ?? '')) return m[1];
  return undefined;
}

const same = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line break');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`bad comment: ${line}`);
        continue;
      }
      const [, kind, name, rest] = m;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest!)) throw new Error(`unknown type: ${line}`);
        if (types.has(name!)) throw new Error(`TYPE twice for ${name}`);
        types.set(name!, rest!);
      } else help.set(name!, rest!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const [, name, labelText, value] = m;
    if (!familyOf(name!, types)) throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name: name!, labels: labelText ? parseLabels(labelText, line) : {}, value: num(value!) });
  }
  checkHistograms(types, samples);
  return {
    types,
    help,
    samples,
    value: (name, labels = {}) => samples.find((s) => s.name === name && same(s.labels, labels))?.value,
    sum: (name, labels = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((a, s) => a + s.value, 0),
  };
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const les = buckets.map((b) => num(b.labels.le!));
      if (les.at(-1) !== Infinity) throw new Error(`${family}${key}: the last bucket is not +Inf`);
      for (let i = 1; i < buckets.length; i++) {
        if (!(les[i]! > les[i - 1]!)) throw new Error(`${family}${key}: le not increasing`);
        if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family}${key}: bucket counts decrease`);
      }
      const labels = JSON.parse(key) as Record<string, string>;
      const count = samples.find((s) => s.name === `${family}_count` && same(s.labels, labels));
      if (!count || count.value !== buckets.at(-1)!.value) throw new Error(`${family}${key}: _count is not +Inf`);
      if (!samples.some((s) => s.name === `${family}_sum` && same(s.labels, labels)))
        throw new Error(`${family}${key}: no _sum`);
    }
  }
}
