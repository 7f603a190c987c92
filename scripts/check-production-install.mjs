#!/usr/bin/env node
/**
 * Checks the production install as the Docker image makes it, without building an image: the package npm pack
 * makes, unpacked in a temporary folder with the lockfile, installed with `npm ci --omit=dev` (no TypeScript, tsx,
 * vitest …), then started with `npm start` until GET /alive answers 200, and stopped.
 *
 * Also checked: the package holds what the bot reads at run time (dist/, the migrations, the runbook, the manifest),
 * every module of dist/ loads and imports only dependencies, Node's own modules or its own files.
 *
 * The bot runs in set-up mode (no Slack variables) on a schema of its own in the test Postgres
 * (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test), dropped at the end.
 * Packages come from npm's cache when it has them (--prefer-offline), else from the registry.
 *
 *   node scripts/check-production-install.mjs [--keep]   (--keep leaves the folder for a look)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const START_TIMEOUT_MS = 120_000;
const keep = process.argv.includes('--keep');

const step = (text) => console.log(`== ${text}`);

/** Runs a command to its end; rejects with its output when it fails. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The package a bare import names (`@slack/bolt/x` -> `@slack/bolt`), or undefined for a relative one. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every module specifier a compiled file imports, statically or with import(). */
/** What a bundle leaves to node_modules: the packages it imports by name (static imports at a line's start). */
function bundleImportsOf(code) {
  const found = new Set();
  for (const m of code.matchAll(/^\s*import\b[^;'"]*?\bfrom\s*['"]([^'".][^'"]*)['"]/gm)) found.add(m[1]);
  return [...found];
}

function importsOf(code) {
  const found = new Set();
  for (const re of [
    // import … from '…' and export … from '…', over several lines
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    // import '…'
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    // import('…')
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of code.matchAll(re)) found.add(m[1]);
  }
  return [...found];
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'incident-bot-install-'));
  const app = join(work, 'app');
  const schema = `install_${randomBytes(5).toString('hex')}`;
  let child;
  let connected = false;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    step('npm pack');
    await run('npm', ['pack', '--pack-destination', work], { cwd: root });
    const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const tarball = join(work, `${name}-${version}.tgz`);
    await run('mkdir', ['-p', app]);
    await run('tar', ['-xzf', tarball, '-C', app, '--strip-components=1']);
    cpSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));

    step('what the package holds');
    const migrations = readdirSync(join(root, 'src', 'store', 'migrations')).filter((f) => f.endsWith('.sql'));
    const needed = [
      'dist/app.js',
      'runbooks/atom.yml',
      'manifest.yml',
      'README.md',
      'scripts/build.mjs',
      ...migrations.map((f) => `dist/store/migrations/${f}`),
    ];
    const missing = needed.filter((f) => !existsSync(join(app, f)));
    if (missing.length) throw new Error(`the package lacks ${missing.join(', ')} (see "files" in package.json)`);
    for (const dir of ['src', 'test', 'node_modules']) {
      if (existsSync(join(app, dir))) throw new Error(`the package holds ${dir}/, which it should not`);
    }

    step('npm ci --omit=dev');
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
    // A development dependency that no dependency needs (the lockfile marks it dev) must not be installed.
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
    const present = Object.keys(manifest.devDependencies ?? {}).filter(
      (d) => lock.packages?.[`node_modules/${d}`]?.dev && existsSync(join(app, 'node_modules', d, 'package.json')),
    );
    if (present.length) throw new Error(`--omit=dev still installed ${present.join(', ')}`);
    if (existsSync(join(app, 'node_modules', 'typescript'))) throw new Error('--omit=dev still installed typescript');

    step('dist/ imports only dependencies');
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const modules = filesUnder(join(app, 'dist')).filter((f) => f.endsWith('.js'));
    const wrong = [];
    for (const file of modules) {
      // The bundle (dist/app.js) holds its packages' code, whose strings may read as imports: only what it imports by
      // name, at the start of a line (what it left to node_modules), is looked at.
      const bundle = relative(app, file) === join('dist', 'app.js');
      const code = readFileSync(file, 'utf8');
      for (const spec of bundle ? bundleImportsOf(code) : importsOf(code)) {
        if (builtins.has(spec)) continue;
        const name = packageOf(spec);
        if (name === undefined) {
          if (!existsSync(join(file, '..', spec))) wrong.push(`${relative(app, file)} imports ${spec}, not in dist/`);
        } else if (!dependencies.has(name)) {
          wrong.push(`${relative(app, file)} imports ${spec}, which is not a dependency`);
        }
      }
    }
    if (wrong.length) throw new Error(wrong.join('\n'));
    // Loading each module (but the entry point and its bundle, which start the bot) shows a missing package at import
    // time.
    const entries = [join('dist', 'app.js'), join('dist', 'main.js')];
    const others = modules.filter((f) => !entries.includes(relative(app, f)));
    await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `for (const f of ${JSON.stringify(others)}) await import(${'new URL(f, "file://").href'});`,
      ],
      { cwd: app },
    );
    console.log(`   ${modules.length} modules, ${dependencies.size} dependencies`);

    step('npm start, to GET /alive');
    await admin.connect();
    connected = true;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(
      `-c search_path=${schema}`,
    )}`;
    child = spawn('npm', ['start', '--silent'], {
      cwd: app,
      // Only what a server would have: no Slack variables (set-up mode), Postgres, a free port.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', DATABASE_URL: url, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that npm and the node it starts are stopped together.
      detached: true,
    });
    const started = Date.now();
    const port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`no set-up line in ${START_TIMEOUT_MS / 1000} s:\n${out}`)),
        START_TIMEOUT_MS,
      );
      const read = (chunk) => {
        out += chunk;
        const m = /http:\/\/localhost:(\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited ${code}:\n${out}`));
      });
    });
    const alive = await fetch(`http://127.0.0.1:${port}/alive`);
    if (alive.status !== 200) throw new Error(`GET /alive answered ${alive.status}`);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    const body = await health.json();
    if (health.status !== 200 || body.database?.kind !== 'postgres') {
      throw new Error(`GET /health answered ${health.status} ${JSON.stringify(body)}`);
    }
    const manifestRoute = await fetch(`http://127.0.0.1:${port}/manifest.yml`);
    if (!(await manifestRoute.text()).includes('/incident')) throw new Error('GET /manifest.yml did not serve it');
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`);
    if (rows[0].n !== migrations.length)
      throw new Error(`${rows[0].n} migrations recorded, ${migrations.length} shipped`);
    console.log(`   /alive 200 after ${((Date.now() - started) / 1000).toFixed(1)} s; /health ok on Postgres`);
    console.log('production install: ok');
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    if (connected) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await admin.end().catch(() => {});
    }
    if (keep) console.log(`   kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`production install: FAILED\n${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
