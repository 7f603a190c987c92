/**
 * `/join` and `/leave`: a person joins or leaves a channel of the local Slack, with the rules Slack's "Join channel"
 * and "Leave channel" have (a private channel is joined by invitation only, an archived one not at all, #general is
 * never left), and the line Slack posts in the channel ("<@U0CTO> has joined the channel", a message with subtype
 * channel_join, channel_leave). The bot subscribes to no membership event and no message event (src/events,
 * manifest.yml): it sees the change when it asks who is in the channel.
 */
import type { LocalChannel, Workspace } from '../local-slack/workspace.js';

export type MembershipChange = { ok: true; text: string } | { ok: false; problem: string };

/** The channel Slack never lets anyone leave; the console's is named so. */
const GENERAL = 'general';

function channelOf(ws: Workspace, channelId: string): LocalChannel | { ok: false; problem: string } {
  if (ws.dmUser(channelId))
    return {
      ok: false,
      problem: 'That is a direct message with the bot, not a channel; /channels lists the channels.',
    };
  return ws.channels.get(channelId) ?? { ok: false, problem: 'There is no such channel; /channels lists them.' };
}

/**
 * Why `userId` may not post in the channel, as Slack refuses it: only a member posts, and nobody in an archived
 * channel. Undefined when they may (a direct message with the bot included).
 */
export function cannotPost(ws: Workspace, channelId: string, userId: string): string | undefined {
  const c = ws.channels.get(channelId);
  if (!c) return undefined;
  if (c.isArchived) return `#${c.name} is archived: nobody can post in it.`;
  if (c.members.has(userId)) return undefined;
  return c.isPrivate
    ? `You are not in #${c.name}, and it is private: only someone in it can add you (in Slack, /invite). /as one of them to do it.`
    : `You are not in #${c.name}: /join it first to post there, as in Slack.`;
}

/** `userId` joins the channel, as with Slack's "Join channel". */
export function joinChannel(ws: Workspace, channelId: string, userId: string): MembershipChange {
  const c = channelOf(ws, channelId);
  if ('problem' in c) return c;
  if (c.members.has(userId)) return { ok: true, text: `You are already in #${c.name}.` };
  if (c.isArchived) return { ok: false, problem: `#${c.name} is archived: nobody can join it.` };
  if (c.isPrivate)
    return {
      ok: false,
      problem: `#${c.name} is private: only someone in it can add you (in Slack, /invite). /as one of them to do it.`,
    };
  c.members.add(userId);
  ws.addMessage(c.id, userId, `<@${userId}> has joined the channel`, 'channel_join');
  return { ok: true, text: `You joined #${c.name}.` };
}

/** `userId` leaves the channel, as with Slack's "Leave channel". */
export function leaveChannel(ws: Workspace, channelId: string, userId: string): MembershipChange {
  const c = channelOf(ws, channelId);
  if ('problem' in c) return c;
  if (!c.members.has(userId)) return { ok: true, text: `You are not in #${c.name}.` };
  if (c.name === GENERAL)
    return { ok: false, problem: `Nobody can leave #${GENERAL}: everyone in the workspace is in it.` };
  if (c.isArchived) return { ok: false, problem: `#${c.name} is archived: there is nothing to leave.` };
  c.members.delete(userId);
  ws.addMessage(c.id, userId, `<@${userId}> has left the channel`, 'channel_leave');
  return {
    ok: true,
    text: `You left #${c.name}.${c.isPrivate ? ' It is private: only an invitation lets you back in.' : ''}`,
  };
}
