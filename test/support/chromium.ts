import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * Headless Chromium (Debian's `chromium` package) driven by its command line: no browser library, no script in the
 * page. `.ci/run` installs it when it is missing.
 */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? 'chromium';

/** Where tests keep what they render (screenshots): git-ignored. */
export const ARTIFACTS_DIR = join(process.cwd(), 'test', 'artifacts');

/** The installed Chromium's version line, or null when there is none to run. */
export async function chromiumVersion(): Promise<string | null> {
  try {
    const r = await execa(CHROMIUM, ['--version'], { timeout: 30_000, reject: false });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

/** Runs Chromium once on `url` with `args`, in a profile of its own that is removed afterwards. */
async function run(url: string, args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  try {
    const r = await execa(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args, url], {
      timeout: 90_000,
      // Chromium complains on stderr about D-Bus and the like in a container: not the page's business.
      stderr: 'ignore',
    });
    return r.stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The DOM as Chromium parsed it (HTML, or its XML viewer for a feed; a `parsererror` for malformed XML). */
export function dumpDom(url: string, width = 1024, height = 900): Promise<string> {
  return run(url, [`--window-size=${width},${height}`, '--dump-dom']);
}

/** Saves a PNG of `url` as Chromium renders it at `width`×`height`. */
export async function screenshot(url: string, file: string, width: number, height: number): Promise<void> {
  await run(url, [`--window-size=${width},${height}`, `--screenshot=${file}`]);
}
