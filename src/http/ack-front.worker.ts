/**
 * The acknowledging front: a thread of its own that owns the bot's public HTTP port. A Slack request whose answer is
 * an empty 200 by Slack's contract (a slash command, a click, a closed form, an Events API event), correctly signed
 * and timed, is answered here at once and handed to the bot's thread in the order it came; everything else (a form
 * submission, whose answer may carry errors; an options load; a request whose signature or timestamp is wrong; every
 * other route) goes through to the bot's own HTTP server on loopback and comes back unchanged. So a bot busy with the
 * work behind earlier requests still acknowledges the next one within milliseconds, which Slack expects within 3 s.
 *
 * It also answers the forms whose answer is known from the form alone (FORM_CHECKS: errors inline, else an empty 200),
 * or from the form and whether its incident is resolved (a status update: read with a small pool of its own), and, when alerts are taken, serves the alert hooks with a database pool of its own (ack-front.alerts.ts). It loads
 * each of those only when needed, so the thread starts in a few milliseconds and holds a few megabytes.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPriority, setPriority } from 'node:os';
import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { FrontInit, FrontReport, FrontRequest, ToFront } from './ack-front.protocol.js';
import {
  type FormChecks,
  type FrontAnswer,
  frontAnswer,
  isSubmission,
  SLACK_BODY_LIMIT,
  signatureValid,
} from './ack-front.rules.js';
import { closeAfterAnswer, header, readBody } from './request-body.js';
import { answerAtTheEdge, setEdgeTimeouts } from './server-edges.js';

/** Runs the front in this thread, as the bot started it. */
async function runFront(init: FrontInit, port: MessagePort): Promise<void> {
  const say = (m: FrontReport) => port.postMessage(m);
  const log = (level: 'warn' | 'debug', msg: string) => say({ t: 'log', level, msg });
  takePriority(init.priority, say);
  /** The checks of the forms the front answers, loaded at the first form (they bring zod). */
  let formChecks: Promise<FormChecks> | null = null;
  const loadFormChecks = () => {
    formChecks ??= import('../views/form-checks.js').then((m) => m.FORM_CHECKS);
    return formChecks;
  };

  /** The incidents' status, read for the forms whose answer depends on it (opened at the first such form). */
  let incidents: Promise<import('./ack-front.incidents.js').FrontIncidentReader> | null = null;
  const incidentReader = () => {
    if (!init.incidents) return null;
    const db = init.incidents;
    incidents ??= import('./ack-front.incidents.js').then((m) => m.frontIncidentReader(db));
    return incidents;
  };

  /**
   * A form that reads, whose answer is an empty 200 unless its incident is resolved: answered here when the incident
   * is read as not resolved; passed to the bot (which refuses it inline) when it is, or when it cannot be read.
   */
  async function openOrPass(incidentId: number): Promise<FrontAnswer> {
    const reader = incidentReader();
    if (!reader) return { kind: 'pass' };
    const resolved = await (await reader).resolved(incidentId);
    return resolved === false && !closing ? { kind: 'ack' } : { kind: 'pass' };
  }

  /** The alert hooks, served here when the bot gave the front what they need (loaded only then). */
  const intake = init.alerts ? (await import('./ack-front.alerts.js')).frontAlertIntake(init.alerts, say) : null;

  // A failure nothing else caught is logged, and the front goes on answering: one bad connection must not stop it.
  process.on('uncaughtException', (err) => log('warn', `The acknowledging front caught: ${err.message}`));

  /** Connections to the bot's server are kept and reused, as a proxy does. */
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  /** Requests being passed through (answered when the bot's server has answered). */
  let passing = 0;
  let closing = false;
  let drained: (() => void) | null = null;

  function finishedOne(): void {
    passing -= 1;
    if (closing && passing === 0) drained?.();
  }

  /** Sends a request to the bot's own server and its answer back, with the sender's address in X-Forwarded-For. */
  function passThrough(req: IncomingMessage, res: ServerResponse, body: Buffer | null): void {
    passing += 1;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      finishedOne();
    };
    // Whichever comes first: the answer passed on, or the sender gone.
    res.once('close', done);
    const forwarded = req.headers['x-forwarded-for'];
    const peer = req.socket.remoteAddress ?? 'unknown';
    const headers = {
      ...req.headers,
      'x-forwarded-for': forwarded ? `${Array.isArray(forwarded) ? forwarded.join(', ') : forwarded}, ${peer}` : peer,
      ...(body ? { 'content-length': String(body.length) } : {}),
    };
    if (body) delete headers['transfer-encoding'];
    const out = request(
      { host: '127.0.0.1', port: init.innerPort, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', done);
        answer.on('error', done);
      },
    );
    out.on('error', (err) => {
      log('warn', `Could not pass a request for ${req.url} to the bot: ${err.message}`);
      if (!res.headersSent) {
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
        res.end('The bot is not answering; try again shortly.\n');
      } else res.destroy();
      done();
    });
    if (body) out.end(body);
    else {
      // A sender that goes away mid-body: the request to the bot goes too.
      req.once('error', () => out.destroy());
      req.pipe(out);
    }
  }

  async function onSlackRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, SLACK_BODY_LIMIT);
    if (!body) {
      closeAfterAnswer(req, res);
      res.writeHead(413, { 'content-type': 'text/plain' });
      res.end('Request body too large.\n');
      return;
    }
    const contentType = header(req, 'content-type');
    const signed = signatureValid(
      init.signingSecret,
      header(req, 'x-slack-request-timestamp'),
      header(req, 'x-slack-signature'),
      body,
      Date.now(),
    );
    const forms = signed && isSubmission(contentType, body) ? await loadFormChecks() : {};
    const first: FrontAnswer = signed && !closing ? frontAnswer(contentType, body, forms) : { kind: 'pass' };
    if (first.kind !== 'ackIfOpen') return answerWith(first, req, res, body, contentType);
    // Counted as passing through while its incident is read: a stop waits for the read and the answer.
    passing += 1;
    try {
      answerWith(await openOrPass(first.incidentId), req, res, body, contentType);
    } finally {
      finishedOne();
    }
  }

  function answerWith(
    answer: FrontAnswer,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    contentType: string | undefined,
  ): void {
    if (answer.kind === 'pass' || answer.kind === 'ackIfOpen') {
      passThrough(req, res, body);
      return;
    }
    if (answer.kind === 'errors') {
      const json = JSON.stringify({ response_action: 'errors', errors: answer.errors });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(json);
      return;
    }
    res.writeHead(200);
    res.end();
    const request: FrontRequest = {
      t: 'request',
      body: body.toString('utf8'),
      contentType: contentType ?? '',
      retryNum: header(req, 'x-slack-retry-num') ?? null,
      retryReason: header(req, 'x-slack-retry-reason') ?? null,
    };
    say(request);
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === init.slackPath) {
      onSlackRequest(req, res).catch((err: Error) => {
        log('warn', `Could not read a Slack request: ${err.message}`);
        if (!res.headersSent) res.writeHead(400);
        res.end();
      });
      return;
    }
    if (intake && !closing && intake.handle(req, res)) {
      passing += 1;
      res.once('close', finishedOne);
      return;
    }
    passThrough(req, res, null);
  });
  const requestTimeoutMs = init.requestTimeoutMs ?? undefined;
  setEdgeTimeouts(server, { keepAliveMs: init.keepAliveMs, requestTimeoutMs });
  // A hook's body too large is refused before it is asked for (the hooks' rules loaded only then), and a path under
  // /hooks that answers 404 whatever the body (no hook there, or one not configured) answers it at once.
  // A path the bot has no route for is answered its 404 before the body is asked for too (notFoundBeforeBody). Both
  // are loaded from the start, in the background: a first request waiting for 100 Continue does not wait for them.
  const hookLimits = import('./hooks-before-body.js');
  const unknownPaths = import('./not-found.js');
  hookLimits.catch(() => {});
  unknownPaths.catch(() => {});
  answerAtTheEdge(server, {
    requestTimeoutMs,
    refuseBeforeBody: async (req, res) => {
      const hooks = await hookLimits;
      if (hooks.hookNotFoundBeforeBody(req, res, init.unservedHooks)) return true;
      if (req.method === 'POST' && (req.url ?? '').startsWith('/hooks/'))
        return hooks.hookRefusedBeforeBody(req, res, init.unservedHooks);
      return (await unknownPaths).notFoundBeforeBody(req, res, init.notFound);
    },
  });

  server.once('error', (err: NodeJS.ErrnoException) => {
    say({ t: 'error', message: err.message, code: err.code ?? null });
  });
  server.listen(init.host ? { port: init.port, host: init.host } : { port: init.port }, () => {
    const a = server.address() as AddressInfo;
    say({ t: 'listening', address: a.address, family: a.family, port: a.port });
  });

  port.on('message', (m: ToFront) => {
    if (m.t !== 'close') return;
    closing = true;
    // New connections are refused; idle ones closed; what is passing through is answered first.
    server.close();
    server.closeIdleConnections();
    const finish = () => {
      server.closeAllConnections();
      agent.destroy();
      const reader = incidents?.then((r) => r.close());
      void Promise.allSettled([intake?.close(), reader]).then(() => say({ t: 'closed' }));
    };
    if (passing === 0) finish();
    else drained = finish;
  });
}

/**
 * Gives this thread the priority it was given: a front started again by the bot's thread inherited that thread's, lowered
 * by WORK_NICE. Raising a priority can need privileges (CAP_SYS_NICE, or RLIMIT_NICE): where it cannot, the front runs
 * at the priority it has, and says so.
 */
function takePriority(wanted: number | null, say: (m: FrontReport) => void): void {
  if (wanted === null) return;
  let nice = wanted;
  try {
    nice = getPriority(0);
    if (nice !== wanted) setPriority(0, wanted);
  } catch (err) {
    say({ t: 'priority', wanted, nice, message: (err as Error).message });
  }
}

// Imported anywhere else (a check that loads every module), it does nothing.
if (!isMainThread && parentPort && workerData) await runFront(workerData as FrontInit, parentPort);
