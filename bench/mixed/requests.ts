/**
 * The requests of bench/mixed, as Slack sends them: signed slash commands, block_actions clicks on the cards' real
 * buttons and select, view_submission of the status update form with the private_metadata the bot gave it, and a few
 * declarations. The sequence of kinds, incidents and people is the same for both targets (a seeded generator), so
 * bare Bolt gets the very requests our bot gets.
 */
import { ACTION, VIEW } from '../../src/templates/ids.js';
import {
  encodeInteraction,
  encodeSlashCommand,
  makeBlockAction,
  makeSlashCommand,
  makeTriggerId,
  makeViewSubmission,
} from '../../test/support/slack-request.js';
import { statusFormValues } from '../../test/support/status-form.js';
import type { ThreadedFakeSlack } from '../fake-slack-thread.js';
import type { OpenIncident } from './cards.js';
import { GENERAL_CHANNEL_ID, type Kind, MIX } from './settings.js';

export interface Req {
  kind: Kind;
  body: string;
  /** The response_url key, for the requests that have one (commands and clicks). */
  key?: string;
}

/** mulberry32: a small seeded generator, so both targets get the same sequence. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` kinds: blocks of 400 with each kind as often as MIX says, shuffled. `noDeclare`: status instead. */
export function kindSequence(n: number, seed: number, noDeclare = false): Kind[] {
  const rand = seeded(seed);
  const block: Kind[] = MIX.flatMap(([kind, count]) =>
    Array.from({ length: count }, () => (noDeclare && kind === 'declare' ? 'status' : kind)),
  );
  const out: Kind[] = [];
  while (out.length < n) {
    const b = [...block];
    for (let i = b.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [b[i], b[j]] = [b[j]!, b[i]!];
    }
    out.push(...b);
  }
  return out.slice(0, n);
}

/**
 * Builds request `i` of a run. `tag` makes the response_url keys, trigger ids and view ids of one run its own
 * (`O1` for our round 1, `B1` for bare Bolt's).
 */
export class RequestFactory {
  constructor(
    private readonly fake: ThreadedFakeSlack,
    private readonly incidents: OpenIncident[],
    private readonly responders: string[],
    private readonly tag: string,
    private readonly seed: number,
  ) {}

  build(i: number, kind: Kind): Req {
    const rand = seeded(this.seed * 1_000_003 + i);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    const incident = pick(this.incidents);
    const user = pick(this.responders);
    const key = `${this.tag}-${i}`;
    const responseUrl = this.fake.responseUrl(key);
    const command = (text: string, channel: { id: string; name: string }, userId = user) => ({
      kind,
      key,
      body: encodeSlashCommand(
        makeSlashCommand({
          text,
          channel_id: channel.id,
          channel_name: channel.name,
          user_id: userId,
          response_url: responseUrl,
        }),
      ),
    });
    const inIncident = { id: incident.channelId, name: incident.channelName };
    const card = incident.card;
    const click = (a: {
      actionId: string;
      blockId: string;
      value?: string;
      label?: string;
      selected?: { value: string; text: string };
    }) => ({
      kind,
      key,
      body: encodeInteraction(
        makeBlockAction({
          userId: user,
          channelId: incident.channelId,
          channelName: incident.channelName,
          messageTs: incident.cardTs,
          actionId: a.actionId,
          blockId: a.blockId,
          ...(a.value !== undefined ? { value: a.value } : {}),
          ...(a.label !== undefined ? { buttonText: a.label } : {}),
          ...(a.selected ? { selectedOption: a.selected } : {}),
          responseUrl,
          triggerId: makeTriggerId(),
          message: { text: card.text, blocks: card.blocks },
        }),
      ),
    });
    switch (kind) {
      case 'status':
        return command('status', inIncident);
      case 'list':
        return command('list', { id: GENERAL_CHANNEL_ID, name: 'general' });
      case 'update_command':
        return command('update', inIncident);
      case 'declare':
        // A person of their own each time: the per-person limit is not what this measures; the channel budget is.
        return command(
          `sev3 mixed load declared ${key}`,
          { id: GENERAL_CHANNEL_ID, name: 'general' },
          `U0D${this.tag}X${i}`,
        );
      case 'acknowledge_click':
        return click({
          actionId: ACTION.acknowledge,
          blockId: card.blockId,
          value: card.acknowledge.value,
          label: card.acknowledge.label,
        });
      case 'severity_click': {
        // Another severity than the card shows, SEV-3 to SEV-1: SEV-0 would page the CTO on every other click.
        const others = card.severity.options.filter((o) => o.value !== card.severity.current && o.value !== '0');
        return click({
          actionId: ACTION.changeSeverity,
          blockId: card.blockId,
          selected: others.length ? pick(others) : card.severity.options[0]!,
        });
      }
      case 'update_click':
        return click({
          actionId: ACTION.postUpdate,
          blockId: card.blockId,
          value: card.postUpdate.value,
          label: 'Post status update',
        });
      case 'update_submit':
        return {
          kind,
          body: encodeInteraction(
            makeViewSubmission({
              userId: user,
              callbackId: VIEW.statusUpdate,
              privateMetadata: incident.form.privateMetadata,
              blocks: incident.form.blocks,
              title: 'Status update',
              viewId: `VM${this.tag}X${i}`,
              values: statusFormValues({
                status: 'investigating',
                affected: 'Checkout API',
                impact: 'Some payments slower than usual',
                currentStatus: `Still investigating (update ${key})`,
                next: Math.floor(Date.now() / 1000) + 30 * 60,
              }),
            }),
          ),
        };
    }
  }
}
