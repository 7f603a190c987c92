import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const INCIDENTS = fileURLToPath(new URL('../../src/incidents/', import.meta.url));

/** Each module of src/incidents and the modules of it that it imports at run time (`import type` left out). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(INCIDENTS).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(`${INCIDENTS}${file}`, 'utf8');
    const deps = [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'\.\/([\w.-]+)\.js';/gms)].map(
      (m) => `${m[1]}.ts`,
    );
    graph.set(file, deps);
  }
  return graph;
}

/** Every cycle found walking from each module (each as the path that closes it). */
function cycles(graph: Map<string, string[]>): string[] {
  const found = new Set<string>();
  const walk = (at: string, path: string[]) => {
    for (const next of graph.get(at) ?? []) {
      const i = path.indexOf(next);
      if (i >= 0) {
        const loop = path.slice(i);
        // One name a cycle, whichever module it was entered from.
        const start = loop.indexOf([...loop].sort()[0]!);
        found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' -> '));
      } else if (path.length < 12) walk(next, [...path, next]);
    }
  };
  for (const file of graph.keys()) walk(file, [file]);
  return [...found];
}

describe('src/incidents imports', () => {
  it('the alert steps, the storm steps and the delivery failures import one another without a cycle', () => {
    const alertCycles = cycles(importGraph()).filter((c) => c.includes('alert-'));
    expect(alertCycles).toEqual([]);
  });
});
