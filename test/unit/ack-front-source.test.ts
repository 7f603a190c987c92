import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { frontFromSource } from '../../src/http/ack-front.source.js';

describe('the front worker from the sources (tests, npm run dev)', () => {
  const source = new URL('../../src/http/ack-front.worker.ts', import.meta.url);

  it('is compiled once a process, to plain JavaScript under node_modules/.cache', () => {
    const url = frontFromSource(source);
    expect(frontFromSource(source)).toBe(url);
    const file = fileURLToPath(url);
    expect(file).toMatch(/node_modules\/\.cache\/incident-bot\/front-[0-9a-f]{16}\/ack-front\.worker\.js$/);
    const code = readFileSync(file, 'utf8');
    expect(code).not.toMatch(/\bimport type\b|: FrontInit\b/);
    // Packages are the install's, as in dist/; the worker's own modules are in the output.
    expect(code).toMatch(/from "node:http"/);
    expect(code).not.toMatch(/from "\.\.?\/[^"]*\.ts"/);
  });

  it("keeps the worker's lazy imports lazy: the forms' checks and the database reader are chunks of their own", () => {
    const dir = dirname(fileURLToPath(frontFromSource(source)));
    const entry = readFileSync(`${dir}/ack-front.worker.js`, 'utf8');
    expect(entry).not.toMatch(/from "zod"|from "pg"/);
    const chunks = readdirSync(dir).filter((f) => f !== 'ack-front.worker.js');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    const all = chunks.map((f) => readFileSync(`${dir}/${f}`, 'utf8')).join('\n');
    expect(all).toMatch(/from "zod"/);
    expect(all).toMatch(/from "pg"/);
  });
});
