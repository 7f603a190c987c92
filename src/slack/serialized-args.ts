import { WebClient } from '@slack/web-api';

/**
 * Arguments of a Web API call with every object or array value (blocks, a view, attachments, metadata) as its JSON
 * text: what @slack/web-api sends anyway (it form-encodes a call, each such value JSON-encoded), done before the client
 * sees them. The request on the wire is the same. What it saves: the client copies every call's arguments with a
 * recursive redaction and serialises them for its debug log before it looks at the log level, twice per call (body
 * and headers); over a card's blocks that walk cost more than the request itself (about 150 µs of 500 per
 * chat.update here), and JSON text is copied without a walk. Files (Buffers) are left alone.
 */
export function serializedArgs(args: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key in args) {
    const v = args[key];
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    out ??= { ...args };
    out[key] = JSON.stringify(v);
  }
  return out ?? args;
}

/** Methods whose arguments the client reads as objects itself (uploads), not only serialises. */
const AS_GIVEN = new Set(['files.uploadV2', 'files.upload']);

let installed = false;

/**
 * Makes every WebClient of this process (the app's, and those Bolt makes per token) serialise its call's arguments
 * first (serializedArgs), once per process. Bolt makes its clients itself, so the one funnel they share, `apiCall`,
 * is wrapped: every typed method (`chat.update`, `views.open`, …) goes through it.
 */
export function installSerializedArgs(): void {
  if (installed) return;
  installed = true;
  const apiCall = WebClient.prototype.apiCall;
  WebClient.prototype.apiCall = function (this: WebClient, method, options) {
    const plain = options && typeof options === 'object' && !AS_GIVEN.has(method);
    return apiCall.call(this, method, plain ? serializedArgs(options as Record<string, unknown>) : options);
  };
}
