/**
 * Reads the deployment history that `atom-cli deployments` prints (runbook, "Rollback Procedures").
 *
 * The runbook shows the command but no sample of its output, so the default pattern fits this table: newest first,
 * a `*` in the CURRENT column for the release serving traffic, ISO 8601 UTC dates (test/fixtures/atom-cli prints it):
 *
 *   CURRENT  VERSION  STATUS       CREATED               DESCRIPTION
 *   *        v58      complete     2025-11-27T21:04:11Z  Deploy web-platform image deployment-01JDXK4V9Q
 *            v57      complete     2025-11-26T16:40:02Z  Deploy web-platform image deployment-01JDV0MZ3A
 *            v56      failed       2025-11-26T15:58:47Z  Health checks failed, rolled back automatically
 *
 * If the real CLI prints something else, pass another pattern. It is matched against each line on its own, and
 * uses named groups: `version` (required), `current` (optional: the row is current when it matched something
 * non-empty), `date` (optional: anything Date.parse reads), `status` (optional), `description` (optional: what was
 * deployed, shown beside the version so a person sees which service a rollback takes back). Lines that do not match (headers,
 * blank lines, notices) are skipped. Example for a table that says `(current)` after the version instead:
 *
 *   /^(?<version>v\d+)\s+(?<current>\(current\))?\s*(?<status>\w+)\s+(?<date>\S+)/
 */

export const DEFAULT_DEPLOYMENT_PATTERN =
  /^\s*(?<current>\*)?\s*(?<version>v\d+)\s+(?<status>[A-Za-z_-]+)\s+(?<date>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)(?=\s|$)(?:\s+(?<description>.*\S))?/;

/**
 * A version we will hand to `atom-cli rollback <version>`: no leading dash (it would read as an option), no blank,
 * no control character.
 */
const SAFE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;

/** Statuses that make a deployment a bad rollback target. Compared in lower case. */
const UNHEALTHY_STATUSES = new Set(['failed', 'error', 'rolled_back', 'rolledback', 'cancelled', 'canceled']);

export interface Deployment {
  version: string;
  current: boolean;
  createdAt?: Date;
  status?: string;
  /** What was deployed, as the listing says it (`Deploy api-service image …`). */
  description?: string;
  /** The line as printed. */
  raw: string;
}

export interface ParseDeploymentsOptions {
  /** A RegExp, or its source (as a config variable would hold it). */
  pattern?: RegExp | string;
}

export function parseDeployments(output: string, options: ParseDeploymentsOptions = {}): Deployment[] {
  const pattern = compileDeploymentPattern(options.pattern ?? DEFAULT_DEPLOYMENT_PATTERN);
  const deployments: Deployment[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const groups = pattern.exec(raw)?.groups;
    const version = groups?.version?.trim();
    if (!groups || !version || !SAFE_VERSION.test(version)) continue;
    const deployment: Deployment = { version, current: Boolean(groups.current?.trim()), raw };
    const status = groups.status?.trim();
    if (status) deployment.status = status;
    const description = groups.description?.trim();
    if (description) deployment.description = description;
    const createdAt = groups.date ? new Date(groups.date.trim()) : undefined;
    if (createdAt && !Number.isNaN(createdAt.getTime())) deployment.createdAt = createdAt;
    deployments.push(deployment);
  }
  return deployments;
}

/**
 * What a "roll back" button should offer: the first deployment listed after the current one (the listing is newest
 * first) whose status is not a failure. Undefined when no deployment is marked current or nothing older is healthy.
 */
export function findRollbackTarget(deployments: readonly Deployment[]): Deployment | undefined {
  const current = deployments.findIndex((deployment) => deployment.current);
  if (current === -1) return undefined;
  return deployments.slice(current + 1).find((deployment) => !isUnhealthy(deployment));
}

/** Whether a deployment's status says it failed (or was cancelled or rolled back): no version to roll back to. */
export const isUnhealthy = (deployment: Pick<Deployment, 'status'>): boolean =>
  UNHEALTHY_STATUSES.has((deployment.status ?? '').toLowerCase());

/**
 * Checks a deployments pattern (for loadConfig to fail fast) and returns it without the stateful `g`/`y` flags.
 * Throws a TypeError if it does not compile or has no named group `version`.
 */
export function compileDeploymentPattern(pattern: RegExp | string): RegExp {
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const flags = typeof pattern === 'string' ? '' : pattern.flags.replace(/[gy]/g, '');
  let matcher: RegExp;
  try {
    matcher = new RegExp(source, flags);
  } catch (error) {
    throw new TypeError(`The deployments pattern is not a valid regular expression: ${(error as Error).message}`);
  }
  // An empty alternative makes every group appear in the match, so we can read their names.
  const names = Object.keys(new RegExp(`${source}|`, flags).exec('')?.groups ?? {});
  if (!names.includes('version')) {
    throw new TypeError(`The deployments pattern needs a named group "version": /${source}/`);
  }
  return matcher;
}

/** Words for "the version before the current one that worked" (`/incident rollback previous`). */
const LAST_GOOD = /^(?:previous|prev|last[ -]?good|last|latest[ -]?good|before)$/i;

/**
 * The deployment a person means by what they typed after `/incident rollback`: its version as listed, with or without
 * a leading `v` (`57` is `v57`), case aside, after an optional `to`; or a word for the last good one before the
 * current (`previous`, `last good`). Undefined when none of them is meant.
 */
export function deploymentTyped(deployments: readonly Deployment[], typed: string): Deployment | undefined {
  const want = typed
    .trim()
    .replace(/^to\s+/i, '')
    .trim();
  if (LAST_GOOD.test(want)) return findRollbackTarget(deployments);
  return (
    deployments.find((d) => d.version === want) ??
    deployments.find((d) => d.version.toLowerCase() === want.toLowerCase()) ??
    deployments.find((d) => sameRelease(d.version, want))
  );
}

/** A release named as a person or a CLI may write it: `v57`, `V57` and `57` are the same release. */
const bareRelease = (v: string) => v.toLowerCase().replace(/^v(?=\d)/, '');

/** Whether two names are the same release (`v57`, `V57`, `57`). */
export const sameRelease = (a: string, b: string): boolean => bareRelease(a) === bareRelease(b);
