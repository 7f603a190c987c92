import * as crypto from 'node:crypto';
import { claimProof, insertDelivery, proofDelivered } from '../store/alert-delivery.repo.js';
import type { Database, Queryable } from '../store/db.js';
import type { AlertDelivery } from './alert-types.js';

/** What a hook answers for a delivery: its id in the inbox, whether it was a resend, how many alerts it held. */
export interface Accepted {
  delivery: number;
  duplicate: boolean;
  alerts: number;
}

/**
 * The body's SHA-256 in hex: crypto.hash (Node 20.12 and later) hashes in one call without a Hash object per delivery;
 * createHash on older Node 20.
 */
export const sha256: (body: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (body) =>
        (crypto as unknown as { hash(alg: string, data: string, enc: 'hex'): string }).hash('sha256', body, 'hex')
    : (body) => crypto.createHash('sha256').update(body).digest('hex');

/**
 * How long a sender's id of a delivery is remembered: QStash retries a message for up to a day (its backoff caps at
 * one), long after the duplicate window for bodies.
 */
export const SENDER_ID_WINDOW_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * Writes a delivery to the inbox (the durable step before the 202), unless it was written already: the same sender id
 * (a QStash message tried again, however late, whatever came between), or else the same body from the same source
 * within `duplicateWindowMs` (a resend). Then it is the earlier delivery's id, marked a duplicate. Light on imports:
 * the acknowledging front writes deliveries with it too.
 */
export async function writeDelivery(
  db: Database,
  delivery: AlertDelivery,
  body: string,
  duplicateWindowMs: number,
): Promise<Accepted> {
  if (!delivery.proof) return write(db, delivery, body, duplicateWindowMs);
  // A proof good once (a signature, a JWT): taken with the delivery, in one transaction, so that a delivery that could
  // not be written leaves its proof free for the sender's retry of the same request.
  const proof = sha256(`proof\u0000${delivery.proof}`);
  return db.transaction(async (tx) => {
    const replayed = await claimProof(tx, delivery.source, proof, PROOF_WINDOW_MS);
    if (replayed !== null) return { delivery: replayed, duplicate: true, alerts: delivery.alerts.length };
    const r = await write(tx, delivery, body, duplicateWindowMs);
    await proofDelivered(tx, delivery.source, proof, r.delivery);
    return r;
  });
}

/**
 * How long a proof good once is remembered: past the 5 minutes either way a signature's timestamp is taken for, and
 * the few minutes a QStash JWT is good for.
 */
export const PROOF_WINDOW_MS = 60 * 60 * 1000;

async function write(
  db: Queryable,
  delivery: AlertDelivery,
  body: string,
  duplicateWindowMs: number,
): Promise<Accepted> {
  const r = delivery.senderId
    ? await insertDelivery(db, delivery, sha256(`sender-id\u0000${delivery.senderId}`), SENDER_ID_WINDOW_MS, {
        retriesOnly: true,
      })
    : await insertDelivery(db, delivery, sha256(body), duplicateWindowMs);
  return { delivery: r.id, duplicate: r.duplicate, alerts: delivery.alerts.length };
}
