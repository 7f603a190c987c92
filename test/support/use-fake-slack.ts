/**
 * The fake Slack of a test file or a describe block: `const fake = useFakeSlack()` where `let fake: FakeSlack` was,
 * in place of the beforeAll that started it and the afterAll that closed it.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { FakeSlack } from './fake-slack.js';

export interface UseFakeSlackOptions {
  /** Forget the recorded calls, pending failures and ephemeral messages before each test (the workspace stays). */
  reset?: boolean;
}

/**
 * Starts a fake Slack before the block's tests and closes it after them. Call it before the block's own hooks: the
 * fake is then started before the block's beforeAll (which may add channels or start bots on it) and closed after
 * the block's afterAll (which may stop bots still calling it); with `reset`, it is reset before the block's
 * beforeEach. The value returned stands for the fake once started: use it in hooks and tests, not while the block is
 * being defined.
 */
export function useFakeSlack(opts: UseFakeSlackOptions = {}): FakeSlack {
  let started: FakeSlack | undefined;
  const current = (): FakeSlack => {
    if (!started) throw new Error('useFakeSlack: the fake Slack starts in beforeAll; use it in hooks and tests');
    return started;
  };
  beforeAll(async () => {
    started = await FakeSlack.start();
  });
  afterAll(async () => {
    await started?.close();
  });
  if (opts.reset) beforeEach(() => current().reset());
  return new Proxy({} as FakeSlack, {
    get: (_, key) => {
      const fake = current();
      const value: unknown = Reflect.get(fake, key, fake);
      return typeof value === 'function' ? value.bind(fake) : value;
    },
    set: (_, key, value) => Reflect.set(current(), key, value),
  });
}
