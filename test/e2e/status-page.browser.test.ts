import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { ARTIFACTS_DIR, CHROMIUM, chromiumVersion, dumpDom, screenshot } from '../support/chromium.js';
import { declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const chromium = await chromiumVersion();
if (!chromium) {
  console.warn(
    `SKIPPED: the status page's browser test needs Chromium ("${CHROMIUM}" did not run). Install it with ` +
      '`apt-get install -y chromium` (.ci/run does), or point CHROMIUM_BIN at one.',
  );
}

/** The text of the section whose heading has this id, as Chromium parsed the page. */
function section(dom: string, headingId: string): string {
  const start = dom.indexOf(`id="${headingId}"`);
  if (start === -1) throw new Error(`no section ${headingId} in the page`);
  const end = dom.indexOf('</section>', start);
  return dom.slice(start, end);
}

/** Each Chromium run takes a few seconds (more on a busy machine), and a test runs it up to six times. */
const BROWSER_TEST_TIMEOUT_MS = 180_000;

describe.skipIf(!chromium)(
  `the status page in headless Chromium (${chromium ?? 'not installed'})`,
  { timeout: BROWSER_TEST_TIMEOUT_MS },
  () => {
    const bot = useBot({
      // A weekly window: always within the page's next 7 days, so the screenshots show the maintenance section.
      runbook: parseRunbook({
        ...testRunbookData(),
        maintenance: {
          notice_before: '24h',
          process: { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test'] },
          windows: {
            weekly: {
              title: 'Weekly database patching',
              schedule: { every: 'sunday', from: '02:00', to: '04:00' },
              tasks: ['Apply patches'],
            },
          },
        },
      }),
      env: { STATUS_PAGE_TITLE: 'ATOM status', STATUS_PAGE_URL: 'https://status.atomagentos.com' },
    });
    const page = () => `${bot.baseUrl}/status`;
    /** The page once the server says `ready` (the page is read from the database every few seconds at most). */
    const until = (ready: (html: string) => boolean, what: string) =>
      eventually(async () => {
        const html = await (await fetch(page())).text();
        return ready(html) ? html : undefined;
      }, what);

    it('renders an incident opened through the bot, its public update once published, and its move to history', async () => {
      const incident = await declareThroughBot(bot, 'sev1 Agent execution failing');
      await until((h) => h.includes('Agent execution failing'), 'the new incident');
      const opened = await dumpDom(page(), 390, 844);
      // Landmarks, headings, a language and a viewport: what a screen reader and a phone need; and no script at all.
      expect(opened).toMatch(/<html lang="en">/);
      expect(opened).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      for (const landmark of ['<header>', '<main id="main">', '<footer>']) expect(opened).toContain(landmark);
      expect(opened).toContain('<h1>ATOM status</h1>');
      expect(opened).not.toContain('<script');
      const active = section(opened, 'active');
      expect(active).toContain('Agent execution failing');
      expect(active).toContain('Partial outage');
      expect(active).toContain('Investigating');
      expect(active).toContain('No public update yet');
      expect(opened).toContain('Partial outage: 1 open incident');
      expect(section(opened, 'history')).toContain('No incidents resolved in the last 7 days.');
      const maintenance = section(opened, 'maintenance');
      expect(maintenance).toContain('Weekly database patching');
      expect(maintenance).toMatch(
        /Scheduled<\/span> <time datetime="[^"]+">\d{4}-\d\d-\d\d 02:00 UTC<\/time> until <time/,
      );
      expect(maintenance).not.toContain('Apply patches');

      await postStatusUpdate(bot, incident, {
        affected: 'Agents in every workspace',
        impact: 'Agent runs fail to start',
        currentStatus: 'We found the cause and are rolling out a fix',
        publish: true,
      });
      await until((h) => h.includes('Agents in every workspace'), 'the published update');
      const updated = section(await dumpDom(page()), 'active');
      expect(updated).toContain('Agents in every workspace');
      expect(updated).toContain('Agent runs fail to start');
      expect(updated).toContain('We found the cause and are rolling out a fix');
      expect(updated).toMatch(/<dt>Next update<\/dt><dd><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);

      await mkdir(ARTIFACTS_DIR, { recursive: true });
      const shot = join(ARTIFACTS_DIR, 'status-page-open.png');
      await screenshot(page(), shot, 390, 844);

      await bot.command('resolve Rolled out the fix', { channel_id: incident.channelId });
      await until((h) => section(h, 'history').includes('Agent execution failing'), 'the resolution');
      const resolved = await dumpDom(page());
      expect(section(resolved, 'active')).toContain('No open incidents.');
      const history = section(resolved, 'history');
      expect(history).toContain('Agent execution failing');
      expect(history).toMatch(/Resolved<\/span> <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>, after /);
      expect(resolved).toContain('All systems operational');

      const after = join(ARTIFACTS_DIR, 'status-page-resolved.png');
      await screenshot(page(), after, 1280, 900);
      for (const file of [shot, after]) {
        expect((await stat(file)).size).toBeGreaterThan(1000);
        expect((await readFile(file)).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // a PNG
      }
    });

    it('the Atom feed parses as XML in Chromium, with an entry per event', async () => {
      const incident = await declareThroughBot(bot, 'sev0 Database unavailable & <everything> down');
      await postStatusUpdate(bot, incident, {
        affected: 'Everyone',
        impact: 'Nothing loads',
        currentStatus: 'Failing over',
        publish: true,
      });
      const atom = await eventually(async () => {
        const text = await (await fetch(`${bot.baseUrl}/status.atom`)).text();
        return text.includes('Failing over') ? text : undefined;
      }, 'the update in the feed');
      // Served as application/atom+xml, Chromium shows the feed as text; read from a .xml file it parses it as XML,
      // showing well-formed XML in its tree viewer and a parsererror for anything else.
      await mkdir(ARTIFACTS_DIR, { recursive: true });
      const file = join(ARTIFACTS_DIR, 'status.atom.xml');
      await writeFile(file, atom);
      const viewed = await dumpDom(pathToFileURL(file).href);
      expect(viewed).not.toContain('parsererror');
      expect(viewed).toContain('xml-viewer-style');
      expect(viewed).toContain('Investigating: Database unavailable &amp; &lt;everything&gt; down');
      expect(viewed).toContain('Current status: Failing over');
    });
  },
);
