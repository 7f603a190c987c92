/**
 * What the package, the image and the README say about the repository holds: `files` names what exists, .dockerignore
 * lets through what the build stage needs, the Dockerfile runs unprivileged with a health check, and every file the
 * README names is in the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
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
      expect.arrayContaining(['dist', 'runbooks', 'manifest.yml', 'README.md', 'scripts/build.mjs']),
    );
    for (const f of pkg.files.filter((f) => f !== 'dist')) expect(existsSync(f), f).toBe(true);
  });

  it('npm start runs the built bot, building first only when stale, with no TypeScript loader', () => {
    // A young generation of 4 MB semi-spaces: about 25 MB less resident than V8's default (bench/startup).
    expect(pkg.scripts.start).toBe('node --max-semi-space-size=4 dist/app.js');
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
      'src/app.ts',
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
    expect(runtime).toMatch(/^CMD \["node", "--max-semi-space-size=4", "dist\/app\.js"\]$/m);
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
