import type { ServerResponse } from 'node:http';
import { remoteAddress } from '../audit/bad-signatures.js';
import type { AuditTrail } from '../incidents/audit.service.js';
import type { PostmortemService } from '../incidents/postmortem.service.js';
import { authorized, problem } from './audit-route.js';
import type { HealthRoute } from './health.js';

/** Where Bolt's receivers mount the route (path-to-regexp syntax). */
export const POSTMORTEM_PATH = '/incidents/:team/:number/postmortem.md';

/** The largest Postgres integer. */
const INT_MAX = 2 ** 31 - 1;
const PATH = /^\/incidents\/([A-Z0-9]{1,32})\/([^/]+)\/postmortem\.md$/i;

/** Whether a path (no query) is a post-mortem document's, as the route reads it. */
export const isPostmortemPath = (path: string): boolean => PATH.test(path);

const markdown = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    'content-type': 'text/markdown; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
};

/**
 * `GET /incidents/<team>/<number>/postmortem.md[?version=<n>]`: the latest version of an incident's post-mortem
 * document (an earlier one with `version`), as Markdown. `Authorization: Bearer <ADMIN_TOKEN>`; 401 without it (and the
 * refusal is audited), 404 when no ADMIN_TOKEN is configured, when there is no such incident or it has no post-mortem.
 */
export function postmortemRoute(
  postmortems: Pick<PostmortemService, 'document'>,
  trail: Pick<AuditTrail, 'record'>,
  adminToken: string | undefined,
): HealthRoute {
  return {
    path: POSTMORTEM_PATH,
    method: 'GET',
    handler: async (req, res) => {
      if (!adminToken) return problem(res, 404, 'not_found', 'Set ADMIN_TOKEN to read post-mortems over HTTP.');
      if (!authorized(req, adminToken)) {
        await trail.record({
          actor: `ip:${remoteAddress(req)}`,
          action: 'postmortem_export',
          surface: 'http',
          outcome: 'refused',
          reason: req.headers.authorization ? 'wrong admin token' : 'no admin token',
        });
        return problem(res, 401, 'unauthorized', 'Send Authorization: Bearer <ADMIN_TOKEN>.');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = PATH.exec(url.pathname);
      // Digits only, and a number Postgres keeps (`0x1`, `1e3` and 2147483648 are no incident numbers).
      const number = /^\d{1,10}$/.test(m?.[2] ?? '') ? Number(m![2]) : Number.NaN;
      if (!m || !(number >= 1 && number <= INT_MAX)) {
        return problem(res, 400, 'bad_path', 'Ask for /incidents/<team id>/<incident number>/postmortem.md.');
      }
      const versionText = url.searchParams.get('version');
      const version =
        versionText === null ? undefined : /^\d{1,10}$/.test(versionText) ? Number(versionText) : Number.NaN;
      if (version !== undefined && !(version >= 1 && version <= INT_MAX)) {
        return problem(res, 400, 'bad_version', 'version must be a whole number from 1.');
      }
      const team = m[1]!.toUpperCase();
      let doc: Awaited<ReturnType<PostmortemService['document']>>;
      try {
        doc = await postmortems.document(team, number, version);
      } catch (err) {
        return problem(res, 503, 'unavailable', err instanceof Error ? err.message : String(err));
      }
      if (!doc) {
        return problem(
          res,
          404,
          'not_found',
          version === undefined
            ? `Incident #${number} of ${team} has no post-mortem yet (or there is no such incident).`
            : `Incident #${number} of ${team} has no post-mortem version ${version}.`,
        );
      }
      await trail.record({
        actor: `ip:${remoteAddress(req)}`,
        action: 'postmortem_export',
        surface: 'http',
        teamId: team,
        incidentId: doc.incidentId,
        outcome: 'ok',
        details: { version: doc.version },
      });
      markdown(res, 200, doc.markdown, {
        'x-postmortem-version': String(doc.version),
        'x-postmortem-latest-version': String(doc.latest),
        'content-disposition': `inline; filename="postmortem-${team}-${number}-v${doc.version}.md"`,
      });
    },
  };
}
