import { afterAll, describe, expect, it } from 'vitest';
import { KvCache } from '../../src/store/kv-cache.js';
import { openKv } from '../../src/store/kv-redis.js';
import { testKeyPrefix } from '../support/upstash-rest.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { warn: () => {}, info: () => {} };

/**
 * A kept copy that missed (the people directory, before someone joined) is read anew, once in a while across replicas
 * sharing the real Redis: the read anew replaces the kept copy, and a second one within the while reads nothing.
 */
describe('KvCache.reload, on the real Redis shared by two replicas', () => {
  const prefix = testKeyPrefix('cache-reload');
  const kvA = openKv({ redisUrl: 'redis://127.0.0.1:6379', prefix, timeoutMs: 2_000 }, quiet);
  const kvB = openKv({ redisUrl: 'redis://127.0.0.1:6379', prefix, timeoutMs: 2_000 }, quiet);
  afterAll(async () => {
    await kvA.close();
    await kvB.close();
  });

  it('reads anew at most once per while for the key, and what it read is what both then keep', async () => {
    const [a, b] = [new KvCache(kvA, 60_000), new KvCache(kvB, 60_000)];
    let reads = 0;
    const load = async () => [`v${++reads}`];
    expect(await a.get('dir', load)).toEqual(['v1']);
    // B missed in the kept copy: it reads anew, and A now keeps what B read.
    expect(await b.reload('dir', load, 1_500)).toEqual(['v2']);
    expect(await a.get('dir', load)).toEqual(['v2']);
    // Within the while, neither reads anew (nothing newer to be had): null, and Slack is not asked.
    expect(await a.reload('dir', load, 1_500)).toBeNull();
    expect(await b.reload('dir', load, 1_500)).toBeNull();
    expect(reads).toBe(2);
    // Once it has passed, a miss reads anew again.
    await sleep(1_700);
    expect(await a.reload('dir', load, 1_500)).toEqual(['v3']);
    expect(await b.get('dir', load)).toEqual(['v3']);
    // Another key has a while of its own.
    expect(await a.reload('other', load, 1_500)).toEqual(['v4']);
  });
});
