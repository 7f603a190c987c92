/**
 * What the package, the image and the README say about the repository holds: `files` names what exists, .dockerignore
 * lets through what the build stage needs, the Dockerfile runs unprivileged with a health check, and every file the
 * README names is in the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const read = (f: string) => readFileSync(f, 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('package.json', () => {
  it('packs dist/ and what the bot reads at run time, each of which exists (dist/ once built)', () => {
    expect(pkg.files).toEqual(
      expect.arrayContaining(['dist', 'runbooks', 'manifest.yml', 'README.md', 'scripts/build.mjs', 'scripts/run.sh']),
    );
    for (const f of pkg.files.filter((f) => f !== 'dist')) expect(existsSync(f), f).toBe(true);
  });

  it('npm start runs the built bot, building first only when stale, with no TypeScript loader', () => {
    expect(pkg.scripts.start).toBe('sh scripts/run.sh');
    expect(pkg.scripts.prestart).toBe('node scripts/build.mjs --if-stale');
    expect(pkg.scripts.build).toBe('node scripts/build.mjs');
    for (const dev of ['tsx', 'typescript', 'vitest', '@biomejs/biome']) {
      expect(Object.keys(pkg.dependencies)).not.toContain(dev);
      expect(Object.keys(pkg.devDependencies)).toContain(dev);
    }
  });
});

/** A .dockerignore line as a regular expression over a path from the repository's root (the patterns used here). */
function ignored(patterns: string[], path: string): boolean {
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    return re.test(path);
  });
}

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('the build context has what the build stage needs, and not the local build, dependencies, data or secrets', () => {
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src/main.ts',
      'src/store/migrations/001_incidents.sql',
      'scripts/build.mjs',
      ...pkg.files.filter((f) => f !== 'dist'),
    ];
    for (const f of needed) expect(ignored(patterns, f), f).toBe(false);
    for (const f of ['node_modules/x', 'dist/app.js', '.data/x', '.git/HEAD', '.env', '.env.production', 'a.tgz']) {
      expect(ignored(patterns, f), f).toBe(true);
    }
  });

  it('runs the packed install with production dependencies only, as node, with a health check on /alive', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    const runtime = stages[1]!;
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:20-bookworm-slim$/m);
    expect(runtime).toMatch(/^\$\{BASE_IMAGE\} AS runtime/);
    expect(stages[0]).toContain('npm pack');
    expect(runtime).toContain('npm ci --omit=dev');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\\\n\s+CMD \[.*\/alive/m);
    expect(runtime).toMatch(/^CMD \["sh", "scripts\/run\.sh"\]$/m);
  });
});

describe('scripts/run.sh', () => {
  /** Runs it with a stand-in `node` on PATH that prints its process id and its arguments, one a line. */
  function run(env: Record<string, string>, args: string[] = []): { pid: number; lines: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'run-sh-test-'));
    try {
      writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "$$"\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n', {
        mode: 0o755,
      });
      const r = spawnSync('sh', ['scripts/run.sh', ...args], {
        env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const [pid, ...lines] = r.stdout.trimEnd().split('\n');
      return { pid: Number(pid), lines: lines.filter((l) => l !== '') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('starts dist/app.js with small semi-spaces on the embedded database, V8 default ones on a Postgres server', () => {
    // Embedded: 4 MB semi-spaces, about 25 MB less resident (bench/startup's 200 MB for the bot and its database).
    expect(run({}).lines).toEqual(['--max-semi-space-size=4', 'dist/app.js']);
    expect(run({ DATABASE_URL: '' }).lines).toEqual(['--max-semi-space-size=4', 'dist/app.js']);
    // A Postgres server: V8's default young generation, less CPU under load (bench/mixed).
    expect(run({ DATABASE_URL: 'postgres://bot@db/incidents' }).lines).toEqual(['dist/app.js']);
  });

  it("passes its arguments to the bot, and node takes the shell's process (exec): signals reach the bot", () => {
    expect(run({}, ['--console', 'a b']).lines).toEqual(['--max-semi-space-size=4', 'dist/app.js', '--console', 'a b']);
    // The process the caller started (here a shell that prints its id, then runs the script in its place) is node's.
    const dir = mkdtempSync(join(tmpdir(), 'run-sh-pid-'));
    try {
      writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "$$"\n', { mode: 0o755 });
      const r = spawnSync('sh', ['-c', 'echo "$$"; exec sh scripts/run.sh'], {
        env: { PATH: `${dir}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      const [started, node] = r.stdout.trimEnd().split('\n');
      expect(node).toBe(started);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README.md', () => {
  const readme = read('README.md');

  it('every file or folder of the repository it names exists', () => {
    const named = new Set<string>();
    for (const m of readme.matchAll(/`([^`\s]+)`/g)) named.add(m[1]!);
    // The layout block lists paths without backticks.
    for (const m of readme.matchAll(/^((?:src|test|bench|scripts|runbooks)\/[\w./-]*)/gm)) named.add(m[1]!);
    const paths = [...named].filter(
      (t) =>
        /^(src|test|bench|scripts|runbooks|\.ci)\/[\w./-]*$/.test(t) ||
        /^[\w.-]+\.(yml|yaml|json|md|ts|mjs)$/.test(t) ||
        t === 'Dockerfile',
    );
    expect(paths).toEqual(
      expect.arrayContaining(['runbooks/atom.yml', 'manifest.yml', 'Dockerfile', 'scripts/build.mjs']),
    );
    const generated = ['dist/.build-stamp.json', 'test/artifacts/'];
    for (const p of paths.filter((p) => !generated.includes(p))) expect(existsSync(p), p).toBe(true);
  });

  it('describes deploying, backups and upgrades', () => {
    for (const h of ['## Deploying', '## Backups', '## Upgrades']) expect(readme).toContain(`\n${h}\n`);
  });
});
