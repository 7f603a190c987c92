#!/usr/bin/env node
// Writes test/durations.json (each test file's duration in ms, read by test/support/duration-sequencer.ts) from the
// output of a whole run with vitest's default reporter: `npm test > run.log; npm run test:durations -- run.log`.
import { readFileSync, writeFileSync } from 'node:fs';

const log = process.argv[2];
if (!log) {
  console.error('Usage: npm run test:durations -- <the output of a whole npm test run>');
  process.exit(1);
}
const durations = {};
// biome-ignore lint/suspicious/noControlCharactersInRegex: the colours of the reporter's output
const plain = readFileSync(log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
for (const m of plain.matchAll(/^ [✓❯×] (test\/\S+\.test\.ts) \(\d+ tests?[^)]*\) (\d+)ms/gm))
  durations[m[1]] = Number(m[2]);
const files = Object.keys(durations).sort();
if (files.length === 0) {
  console.error(`No test file's duration found in ${log}: is it the default reporter's output of a whole run?`);
  process.exit(1);
}
writeFileSync(
  'test/durations.json',
  `${JSON.stringify(Object.fromEntries(files.map((f) => [f, durations[f]])), null, 2)}\n`,
);
console.log(`test/durations.json: ${files.length} files`);
