/**
 * The front thread's entry point when the bot runs from its TypeScript sources (the tests' bots, `npm run dev`): the
 * worker's modules compiled once per process by esbuild (a development dependency, as tsx is: named here only) into
 * plain JavaScript under node_modules/.cache, which a worker loads as fast as dist/'s.
 *
 * Before, each worker registered tsx's loader, which started a loader thread of its own and compiled the same modules
 * again for every bot: two threads and one to four seconds of CPU per bot started, some hundreds of times in the test
 * suite. A build (in dist/) never comes here: its worker is the compiled file beside ack-front.js.
 *
 * The output keeps the worker's lazy imports lazy (code splitting: each is a chunk loaded when first used) and leaves
 * packages to node_modules, as dist/ does. It is written to a directory named by a digest of what was built, moved
 * into place whole, so that processes building at once (the test workers) each find a complete one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BuildResult {
  outputFiles: { path: string; contents: Uint8Array }[];
}
interface Esbuild {
  buildSync(options: Record<string, unknown>): BuildResult;
}

let built: URL | null = null;

/** The URL of the front worker compiled from `sourceEntry` (a file: URL of ack-front.worker.ts); built once a process. */
export function frontFromSource(sourceEntry: URL): URL {
  if (built) return built;
  const entry = fileURLToPath(sourceEntry);
  const require = createRequire(sourceEntry);
  // node_modules/.cache/incident-bot, in the node_modules the packages the output imports are found in.
  const cache = join(dirname(require.resolve('esbuild/package.json')), '..', '.cache', 'incident-bot');
  const esbuild = require('esbuild') as Esbuild;
  const staging = join(cache, `front-building-${process.pid}-${Date.now()}`);
  const result = esbuild.buildSync({
    entryPoints: { 'ack-front.worker': entry },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: staging,
    write: false,
    logLevel: 'silent',
  });
  const digest = createHash('sha256');
  for (const f of result.outputFiles) digest.update(f.path.slice(staging.length)).update(f.contents);
  const dir = join(cache, `front-${digest.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, 'ack-front.worker.js'))) {
    for (const f of result.outputFiles) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.contents);
    }
    try {
      renameSync(staging, dir);
    } catch {
      // Another process put the same build there first.
    }
    rmSync(staging, { recursive: true, force: true });
  }
  built = pathToFileURL(join(dir, 'ack-front.worker.js'));
  return built;
}
