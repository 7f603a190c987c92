import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';

/** Debian's package installs `prometheus-alertmanager`; upstream's binary is `alertmanager`. */
const BINARIES = ['prometheus-alertmanager', 'alertmanager'];

/** The Alertmanager binary on PATH (or ALERTMANAGER_BIN); throws saying how to install it. */
export function alertmanagerBinary(): string {
  if (process.env.ALERTMANAGER_BIN) return process.env.ALERTMANAGER_BIN;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const b of BINARIES) if (existsSync(join(dir, b))) return join(dir, b);
  }
  throw new Error(
    'Prometheus Alertmanager is not installed: apt-get install -y prometheus-alertmanager (.ci/run does it), or set ALERTMANAGER_BIN',
  );
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Where a suite's alerts go: alerts labelled `suite: <name>` are sent to each of `urls`. */
export interface AlertmanagerRoute {
  suite: string;
  urls: string[];
  groupBy?: string[];
  /** The webhook's max_alerts: at most this many alerts of a group per delivery (the rest counted, not sent). */
  maxAlerts?: number;
}

export interface AlertmanagerOptions {
  routes: AlertmanagerRoute[];
  /** The bearer token Alertmanager sends (`http_config.authorization`). */
  token: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

export interface AlertToPost {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set in the past to resolve the alert. */
  endsAt?: string;
  generatorURL?: string;
}

export interface RunningAlertmanager {
  url: string;
  /** POST /api/v2/alerts, as Prometheus does. */
  post(alerts: AlertToPost[]): Promise<void>;
  /** Resolves alerts now (endsAt in the past), as Prometheus does when they clear. */
  resolve(alerts: AlertToPost[]): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus Alertmanager with a temporary configuration: a webhook receiver per suite (the bot's hook, with
 * its bearer token), group_wait, group_interval and repeat_interval in seconds, its own ports and storage, and no
 * clustering.
 */
export async function startAlertmanager(o: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const bin = alertmanagerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'alertmanager-'));
  const port = await freePort();
  const config = {
    route: {
      receiver: 'nobody',
      group_by: ['alertname', 'service'],
      group_wait: o.groupWait ?? '1s',
      group_interval: o.groupInterval ?? '1s',
      repeat_interval: o.repeatInterval ?? '1h',
      routes: o.routes.map((r) => ({
        receiver: r.suite,
        matchers: [`suite="${r.suite}"`],
        ...(r.groupBy ? { group_by: r.groupBy } : {}),
      })),
    },
    receivers: [
      { name: 'nobody' },
      ...o.routes.map((r) => ({
        name: r.suite,
        webhook_configs: r.urls.map((url) => ({
          url,
          send_resolved: true,
          ...(r.maxAlerts ? { max_alerts: r.maxAlerts } : {}),
          http_config: { authorization: { type: 'Bearer', credentials: o.token } },
        })),
      })),
    ],
  };
  await writeFile(join(dir, 'alertmanager.yml'), stringify(config));
  let out = '';
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Alertmanager exited with ${proc.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`Alertmanager did not get ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const post = async (alerts: AlertToPost[]) => {
    const res = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
  };
  return {
    url,
    post,
    resolve: (alerts) => post(alerts.map((a) => ({ ...a, endsAt: new Date(Date.now() - 1000).toISOString() }))),
    log: () => out,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
