import { describe, expect, it } from 'vitest';
import { AnnounceOrder } from '../../src/incidents/announce-order.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('AnnounceOrder', () => {
  it('announces in the order of numbers, whichever turn comes first; a place with no number yet holds the rest', async () => {
    const order = new AnnounceOrder(5_000);
    const said: number[] = [];
    const [a, b, c] = [order.take(), order.take(), order.take()];
    const say = (n: number) => async () => {
      said.push(n);
    };
    const three = c.inTurn({ teamId: 'T1', number: 3 }, say(3));
    await tick();
    // b has no number yet: 3 waits for it.
    expect(said).toEqual([]);
    const two = b.inTurn({ teamId: 'T1', number: 2 }, say(2));
    await tick();
    expect(said).toEqual([]);
    // a ends without announcing (its declaration failed): the others go, in order.
    a.leave();
    await Promise.all([two, three]);
    expect(said).toEqual([2, 3]);
  });

  it("does not wait for another team's lower numbers, nor longer than its most", async () => {
    const order = new AnnounceOrder(50);
    const said: string[] = [];
    const [other, mine, stuck] = [order.take(), order.take(), order.take()];
    void other.inTurn({ teamId: 'T2', number: 1 }, async () => {
      await new Promise((r) => setTimeout(r, 1_000));
    });
    const started = Date.now();
    // `stuck` never says its number: `mine` goes once its most is spent, not after `other`'s slow announcement.
    await mine.inTurn({ teamId: 'T1', number: 9 }, async () => {
      said.push('T1 #9');
    });
    expect(said).toEqual(['T1 #9']);
    expect(Date.now() - started).toBeLessThan(500);
    stuck.leave();
  });
});
