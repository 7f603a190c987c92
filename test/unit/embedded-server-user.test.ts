/** Who the embedded PostgreSQL runs as, with the machine's users stubbed: the root cases cannot be met for real here. */
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  EmbeddedDatabaseError,
  ROOT_WITHOUT_USER,
  serverUser,
  type UserLookup,
} from '../../src/store/embedded-cluster.js';

/** A machine that runs the bot as `uid` and has these users. */
function machine(uid: number, users: Record<string, { uid: number; gid: number }> = {}) {
  const asked: string[] = [];
  const system: UserLookup = {
    uid,
    lookup: async (name) => {
      asked.push(name);
      return users[name];
    },
  };
  return { system, asked };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(EmbeddedDatabaseError);
      return (err as Error).message;
    },
  );

describe('serverUser', () => {
  it('as root with no postgres user and no EMBEDDED_PG_USER: says what to do, and creates no user', async () => {
    const { system, asked } = machine(0);
    expect(await refusal(serverUser(undefined, system))).toBe(ROOT_WITHOUT_USER);
    expect(asked).toEqual(['postgres']);
    expect(ROOT_WITHOUT_USER).toMatch(/run the bot as a normal user/);
    expect(ROOT_WITHOUT_USER).toMatch(/set EMBEDDED_PG_USER to an existing unprivileged user/);
    expect(ROOT_WITHOUT_USER).toMatch(/set DATABASE_URL/);
  });

  it('as root with a postgres user: runs the server as it, found rather than chosen', async () => {
    const { system } = machine(0, { postgres: { uid: 105, gid: 110 } });
    expect(await serverUser(undefined, system)).toEqual({ name: 'postgres', uid: 105, gid: 110, detected: true });
  });

  it('as root, EMBEDDED_PG_USER names the user, whether or not a postgres user exists', async () => {
    const { system, asked } = machine(0, { postgres: { uid: 105, gid: 110 }, bot: { uid: 998, gid: 998 } });
    expect(await serverUser('bot', system)).toEqual({ name: 'bot', uid: 998, gid: 998, detected: false });
    expect(asked).toEqual(['bot']);
  });

  it('as root, EMBEDDED_PG_USER naming nobody, or a root account, is refused with what to name instead', async () => {
    expect(await refusal(serverUser('ghost', machine(0).system))).toMatch(
      /^EMBEDDED_PG_USER=ghost: there is no such user on this machine\. Name an existing unprivileged user/,
    );
    expect(await refusal(serverUser('toor', machine(0, { toor: { uid: 0, gid: 0 } }).system))).toMatch(
      /^EMBEDDED_PG_USER=toor is a root account, and PostgreSQL does not run as root/,
    );
  });

  it('not root: the bot’s own user, looked up nowhere; EMBEDDED_PG_USER naming someone else is refused', async () => {
    const me = userInfo().username;
    const { system, asked } = machine(1000);
    expect(await serverUser(undefined, system)).toEqual({ name: me });
    expect(await serverUser(me, system)).toEqual({ name: me });
    expect(asked).toEqual([]);
    expect(await refusal(serverUser(`${me}-other`, system))).toMatch(/only applies when the bot runs as root/);
  });
});
