/**
 * The people of the console's workspace: a name is what is typed (`/as bob`), and the Slack user ID follows from it
 * (`bob` is `U0BOB`), so the same name is the same person after a restart, and a runbook contact such as `U0ONCALL`
 * is the person `/as oncall` acts as.
 */
import type { LocalUser, Workspace } from '../local-slack/workspace.js';
import { BOT_USER_ID } from '../local-slack/workspace.js';

const NAME_MAX = 21;

/** A name as Slack allows one (lower case letters, digits, dots, dashes, underscores), or null when nothing is left. */
export function cleanName(raw: string): string | null {
  const name = raw
    .trim()
    .replace(/^@/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '')
    .slice(0, NAME_MAX);
  return /[a-z0-9]/.test(name) ? name : null;
}

/** The user ID a name stands for: `on-call` and `oncall` are both `U0ONCALL`. */
export function userIdFor(name: string): string {
  return `U0${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
}

/** The name the console uses for whoever runs it: the login name from the environment, or `you`. */
export function defaultName(env: Record<string, string | undefined>): string {
  for (const v of [env.USER, env.LOGNAME, env.USERNAME]) {
    const name = v ? cleanName(v) : null;
    if (name) return name;
  }
  return 'you';
}

export class People {
  constructor(
    private readonly ws: Workspace,
    /** Channels everyone is in (#general, #incidents). */
    private readonly commonChannels: () => string[],
  ) {}

  /** The person with this name (or whose ID it stands for), made a member of the workspace when new. */
  ensure(name: string, realName?: string): { user: LocalUser; created: boolean } {
    const existing = this.find(name);
    if (existing) return { user: existing, created: false };
    const id = userIdFor(name);
    const user = this.ws.addUser(id, {
      name,
      real_name: realName ?? name.charAt(0).toUpperCase() + name.slice(1),
      email: `${name}@example.com`,
    });
    this.join(id);
    return { user, created: true };
  }

  /** Registers someone by ID (a runbook contact), keeping their name when already known. */
  ensureId(id: string, name: string, realName: string): LocalUser {
    const known = this.ws.users.get(id);
    if (known) return known;
    const user = this.ws.addUser(id, { name, real_name: realName, email: `${name}@example.com` });
    this.join(id);
    return user;
  }

  private join(id: string): void {
    for (const c of this.commonChannels()) this.ws.channels.get(c)?.members.add(id);
  }

  find(name: string): LocalUser | undefined {
    const clean = cleanName(name);
    if (!clean) return undefined;
    for (const u of this.ws.users.values()) if (u.name === clean) return u;
    return this.ws.users.get(userIdFor(clean));
  }

  list(): LocalUser[] {
    return [...this.ws.users.values()].filter((u) => !u.is_bot && u.id !== BOT_USER_ID);
  }

  nameOf(id: string): string {
    if (id === BOT_USER_ID) return 'incident-bot';
    return this.ws.user(id).name;
  }
}
