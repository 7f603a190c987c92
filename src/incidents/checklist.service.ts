import { titleClaims } from '../runbook/alert-rules.js';
import { findStep } from '../runbook/playbook-steps.js';
import type { Playbook, PlaybookStep } from '../runbook/playbooks.js';
import { ROLLBACK } from '../runbook/rollback-playbook.js';
import type { Runbook } from '../runbook/runbook.js';
import { equalFits } from '../runbook/suggest-playbook.js';
import type { Database, Queryable } from '../store/db.js';
import { hasEvent } from '../store/event.repo.js';
import { getAttachedPlaybook, setPlaybookPage } from '../store/incident-playbook.repo.js';
import { insertRunEvent, setPlaybookRunCompleted } from '../store/playbook-run.repo.js';
import { lockStepApprovals, type StepApproval } from '../store/step-approval.repo.js';
import {
  checksOf,
  currentCheckForUpdate,
  currentChecks,
  currentChecksPart,
  insertCheck,
  type StepCheck,
  undoCheck,
} from '../store/step-check.repo.js';
import { checklistRecords, lastStepRuns } from '../store/step-run.repo.js';
import { closeApprovals } from './approval-closing.js';
import { progressOf, stepStatuses } from './checklist.js';
import { AlreadyDoneError, DomainError, type Phrase } from './errors.js';
import { channelOf, hostRef, type PlaybookHost, placeOf, recordStepEvent } from './playbook-host.js';
import type { ChecklistView, Logger, PlaybookChat } from './ports.js';

/** Longest skip reason kept (the form allows no more). */
export const SKIP_REASON_MAX = 300;

/** What the person is about to do to a step: tick it done, skip it, or undo their tick. */
export type Tick = 'done' | 'skip' | 'undo';

/**
 * Playbooks as checklists: each text step is ticked Done (or skipped, with a reason) by someone in the channel, and
 * may be undone by that person; command and HTTP steps count as done once they succeed. Each tick is recorded (with
 * who and when) and put on the host's timeline (`step_done`, `step_skipped`, `step_undone`), and the playbook's
 * message is shown again with its progress ("4 of 9 done", what is next).
 */
export class Checklists {
  /** Message refreshes one after another per message, so an older view never lands after a newer one. */
  private readonly refreshing = new Map<string, Promise<void>>();

  /** Shows approval requests a tick closed as closed, everywhere they were sent (set by the playbook service). */
  onApprovalsClosed: ((host: PlaybookHost, closed: readonly StepApproval[]) => Promise<void>) | null = null;

  constructor(
    private readonly db: Database,
    private readonly chat: PlaybookChat,
    private readonly runbook: Runbook,
    private readonly log: Logger = console,
    /** Masks the bot's known secret values in what people typed (see IncidentService's `typed`). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {}

  private playbook(playbookId: string): Playbook {
    const playbook = this.runbook.playbooks.find((p) => p.id === playbookId);
    if (!playbook) throw new DomainError('playbook_not_found', `There is no playbook \`${playbookId}\` any more.`);
    return playbook;
  }

  private step(playbookId: string, key: string): { playbook: Playbook; step: PlaybookStep } {
    const playbook = this.playbook(playbookId);
    const step = findStep(playbook, key);
    if (!step) throw new DomainError('step_not_found', 'That playbook step no longer exists in the runbook file.');
    return { playbook, step };
  }

  /**
   * Refuses (with the reason) a step of a playbook that is not this host's to work: not attached to the incident, or
   * detached from it, or not the playbook of this run. The built-in rollback playbook is every host's.
   */
  async checkWorkable(host: PlaybookHost, playbookId: string, q: Queryable = this.db): Promise<void> {
    if (playbookId === ROLLBACK.id) return;
    if (host.kind === 'run') {
      if (host.run.playbookId !== playbookId)
        throw new DomainError('stale', 'That button is out of date: it is not a step of this run.');
      return;
    }
    const attached = await getAttachedPlaybook(q, host.incident.id, playbookId, q !== this.db);
    if (!attached) {
      throw new DomainError(
        'not_attached',
        `That playbook is not attached to this incident: attach it with \`/incident playbook ${playbookId}\`.`,
      );
    }
    if (attached.detachedAt) {
      throw new DomainError('playbook_detached', [
        'This playbook was detached from the incident by ',
        ...(attached.detachedBy ? [{ people: [attached.detachedBy] }] : ['someone']),
        `, so its steps can no longer be ticked or run. To carry on with it, attach it again: \`/incident playbook ${playbookId}\`.`,
      ]);
    }
  }

  /**
   * Only people in the host's channel (the incident channel, or the run's) work its steps: tick them, or run them
   * (read-only ones too: the runbook lets anyone *in the incident channel* run those). The channel is the host's own,
   * never one a button or form names. `doing` is what they may not do, as the refusal says it ("tick its steps", or
   * `playbookAct(…).inChannel` for a run).
   */
  async checkMember(host: PlaybookHost, userId: string, doing: string): Promise<void> {
    const channel = channelOf(host);
    if (channel && (await this.chat.isMember(channel, userId))) return;
    // Named, not "this channel": the click may come from elsewhere (an approver's direct message).
    throw new DomainError(
      'not_in_channel',
      channel
        ? [
            'Only people in ',
            { channel },
            ` may ${doing}, and you are not in it: ${await this.wayIn(host)}, then try again.`,
          ]
        : `Only people in its channel may ${doing}: ${await this.wayIn(host)}, then try again.`,
    );
  }

  /**
   * How someone outside the host's channel gets in. A private incident's channel is private (and stays so once the
   * incident is made public), as a run's may be: nobody joins it on their own, so "join the channel" would send them
   * nowhere.
   */
  async wayIn(host: PlaybookHost): Promise<string> {
    if (host.kind !== 'incident') {
      // A run's channel is any channel: a private one is looked up (Slack failing to say counts as private).
      const closed = await this.chat.isPrivateChannel(host.run.channelId).catch(() => true);
      return closed ? 'the channel is private, so ask someone in it to add you (`/invite`)' : 'join the channel';
    }
    if (host.incident.private) return 'the channel is private, so ask someone in it to add you (`/invite`)';
    if (await hasEvent(this.db, host.incident.id, 'made_public'))
      return "the channel is private, so use the Join button of the incident's announcement in the incidents channel, or ask someone in it to add you (`/invite`)";
    return 'join the channel';
  }

  /**
   * Whether the host's channel is one anyone may join: a public incident's (never private, so its channel is public).
   * A private incident's channel, or one made public (its channel stays private), is not; nor is a run's, whose
   * channel may be private for all the bot knows.
   */
  async openToJoin(host: PlaybookHost): Promise<boolean> {
    if (host.kind !== 'incident' || host.incident.private || !host.incident.channelId) return false;
    return !(await hasEvent(this.db, host.incident.id, 'made_public'));
  }

  /**
   * At the click, before any form: refuses (with the reason) a tick this person may not make now. Someone not in the
   * channel, a detached playbook, a step already ticked (twice, or by someone faster), an Undo by someone else.
   */
  async checkMayTick(host: PlaybookHost, playbookId: string, key: string, userId: string, tick: Tick): Promise<void> {
    const { playbook, step } = this.step(playbookId, key);
    await this.checkMember(host, userId, 'tick its steps');
    await this.checkWorkable(host, playbookId);
    const [check] = (await currentChecks(this.db, hostRef(host), playbookId)).filter((c) => c.stepKey === key);
    if (tick === 'undo') {
      if (!check) throw new AlreadyDoneError('This step is not ticked, so there is nothing to undo.');
      if (check.checkedBy !== userId) throw notYours(check);
      return;
    }
    if (check) throw alreadyTicked(check);
    if (tick === 'done' && step.type !== 'text') throw runToFinish(step);
    if (tick === 'skip' && step.type !== 'text') {
      const status = stepStatuses(playbook, [], await lastStepRuns(this.db, hostRef(host), playbookId))[key];
      if (status?.state === 'done') throw new AlreadyDoneError(['This step is already done: its run succeeded.']);
      if (status?.state === 'running') throw new DomainError('running', 'This step is running; skip it once it ends.');
    }
  }

  /** Ticks a text step Done. */
  done(host: PlaybookHost, playbookId: string, key: string, userId: string): Promise<void> {
    return this.tick(host, playbookId, key, userId, { state: 'done', reason: null });
  }

  /** Skips a step, saying why. */
  skip(host: PlaybookHost, playbookId: string, key: string, userId: string, reason: string): Promise<void> {
    // A known secret value typed in the reason masked before it is stored and shown.
    const masked = this.typed(reason).slice(0, SKIP_REASON_MAX);
    return this.tick(host, playbookId, key, userId, { state: 'skipped', reason: masked });
  }

  private async tick(
    host: PlaybookHost,
    playbookId: string,
    key: string,
    userId: string,
    t: { state: 'done' | 'skipped'; reason: string | null },
  ): Promise<void> {
    await this.checkMayTick(host, playbookId, key, userId, t.state === 'done' ? 'done' : 'skip');
    const { playbook, step } = this.step(playbookId, key);
    const ref = hostRef(host);
    const closed = await this.db.transaction(async (tx) => {
      // Under the attachment's lock, so a detach and a tick are one before the other.
      await this.checkWorkable(host, playbookId, tx);
      // Under the step's approval lock, so an approval and a tick are one before the other: a request waiting on a
      // step skipped or done no longer stands, and is closed; an Approve after it runs nothing.
      await lockStepApprovals(tx, ref, playbookId, key);
      const added = await insertCheck(tx, ref, { playbookId, stepKey: key, ...t, checkedBy: userId });
      if (!added) {
        const standing = await currentCheckForUpdate(tx, ref, playbookId, key);
        throw standing ? alreadyTicked(standing) : new AlreadyDoneError('This step was just ticked.');
      }
      await recordStepEvent(tx, ref, t.state === 'done' ? 'step_done' : 'step_skipped', userId, {
        ...eventStep(playbook, key, step),
        ...(t.reason === null ? {} : { reason: t.reason }),
      });
      const named = () => ({ title: playbook.title, text: step.text });
      return await closeApprovals(
        tx,
        {
          host: ref,
          playbookId,
          stepKey: key,
          why: t.state === 'done' ? 'step_done' : 'step_skipped',
          by: userId,
          reason: t.reason,
        },
        named,
      );
    });
    if (closed.length && this.onApprovalsClosed) {
      await this.onApprovalsClosed(host, closed).catch((e) => this.log.warn('could not show closed requests', e));
    }
    await this.afterChange(host, playbook, key);
  }

  /** Undoes a tick; only the person who ticked it may. The tick stays recorded, with who undid it and when. */
  async undo(host: PlaybookHost, playbookId: string, key: string, userId: string): Promise<void> {
    await this.checkMayTick(host, playbookId, key, userId, 'undo');
    const { playbook, step } = this.step(playbookId, key);
    const ref = hostRef(host);
    await this.db.transaction(async (tx) => {
      await this.checkWorkable(host, playbookId, tx);
      const check = await currentCheckForUpdate(tx, ref, playbookId, key);
      if (!check) throw new AlreadyDoneError('This step is not ticked any more: someone undid it already.');
      if (check.checkedBy !== userId) throw notYours(check);
      await undoCheck(tx, check.id, userId);
      await recordStepEvent(tx, ref, 'step_undone', userId, { ...eventStep(playbook, key, step), undid: check.state });
    });
    await this.afterChange(host, playbook, key);
  }

  /** After a tick: a run outside an incident is marked complete (or not any more), and the message shown again. */
  private async afterChange(host: PlaybookHost, playbook: Playbook, key: string): Promise<void> {
    if (host.kind === 'run') await this.settleRun(host, playbook);
    await this.refresh(host, playbook.id, { focus: key });
  }

  /** Records a run outside an incident as complete once every step is done or skipped, and says so in its thread. */
  async settleRun(host: PlaybookHost & { kind: 'run' }, playbook: Playbook): Promise<void> {
    const ref = hostRef(host);
    const statuses = stepStatuses(
      playbook,
      await currentChecks(this.db, ref, playbook.id),
      await lastStepRuns(this.db, ref, playbook.id),
    );
    const progress = progressOf(playbook, statuses);
    const changed = await this.db.transaction(async (tx) => {
      const flipped = await setPlaybookRunCompleted(tx, ref.id, progress.complete);
      if (flipped && progress.complete) {
        await insertRunEvent(tx, ref.id, 'run_completed', null, { done: progress.done, skipped: progress.skipped });
      }
      return flipped;
    });
    if (changed && progress.complete && host.run.messageTs) {
      await this.chat
        .postNote(placeOf(host), host.run.messageTs, {
          kind: 'run_completed',
          runId: ref.id,
          playbookTitle: playbook.title,
          done: progress.done,
          skipped: progress.skipped,
        })
        .catch((e) => this.log.warn('could not say the run is complete', e));
    }
  }

  /**
   * Where a playbook nobody attached came from: the first runbook row of the incident's alerts that names it (the bot
   * takes an alert incident's playbook from its row), else the incident's title.
   */
  private suggestedOrigin(playbookId: string, alertRules: readonly string[], title: string): ChecklistView['origin'] {
    const row = alertRules.find((name) => this.runbook.alerts.find((r) => r.name === name)?.playbook === playbookId);
    if (row) return { kind: 'suggested', alertRule: row };
    // A title that fits others as well as this one: they are named, so nobody takes the first of a tie for the answer.
    const others = equalFits(title, this.runbook.playbooks, titleClaims(this.runbook.alerts), playbookId);
    const alsoFits = others.map((id) => this.playbook(id)).map(({ id, title }) => ({ id, title }));
    return alsoFits.length ? { kind: 'suggested', alsoFits } : { kind: 'suggested' };
  }

  /** The checklist of a host's playbook as recorded: each step's status, where it came from, whether detached. */
  async view(
    host: PlaybookHost,
    playbook: Playbook,
    show: { page?: number; focus?: string } = {},
  ): Promise<{ view: ChecklistView; messageTs: string | null }> {
    const ref = hostRef(host);
    // Its runs, its ticks and (an incident's) its attachment: one statement.
    const records = await checklistRecords(this.db, ref, playbook.id, currentChecksPart(ref, playbook.id));
    const [checks, runs] = [checksOf(records.checks), records.runs];
    const base = {
      playbook,
      statuses: stepStatuses(playbook, checks, runs),
      // The page asked for, else the one the message was last turned to: a redraw never turns it back.
      page: show.page ?? records.page,
      focus: show.focus ?? null,
    };
    if (host.kind === 'run') {
      const mine = host.run.playbookId === playbook.id;
      return {
        view: { ...base, runId: host.run.id, origin: { kind: 'run', by: host.run.startedBy }, detached: null },
        messageTs: mine ? host.run.messageTs : null,
      };
    }
    const attached = records.attached;
    return {
      view: {
        ...base,
        runId: null,
        ...(attached ? { attachment: { incidentId: host.incident.id, attachment: attached.attachment } } : {}),
        origin: attached?.attachedBy
          ? { kind: 'attached', by: attached.attachedBy }
          : this.suggestedOrigin(playbook.id, attached?.alertRules ?? [], host.incident.title),
        detached: attached?.detachedAt ? { by: attached.detachedBy, at: attached.detachedAt } : null,
      },
      messageTs: attached?.messageTs ?? null,
    };
  }

  /**
   * Shows a host's playbook message again from the records (after a tick, a run, a detach, or a page turned): the
   * page asked for, else the one with `focus`, else the one with the next step. A playbook without a message (the
   * built-in rollback, one being posted) has nothing to show. Slack failures are logged: the record stands.
   */
  async refresh(host: PlaybookHost, playbookId: string, show: { page?: number; focus?: string } = {}): Promise<void> {
    await this.redraw(host, playbookId, show).catch((e) => this.log.warn('could not show the playbook again', e));
  }

  /** As refresh, but Slack refusing the update (or the records unread) rejects: for a caller that tries it again. */
  async redraw(host: PlaybookHost, playbookId: string, show: { page?: number; focus?: string } = {}): Promise<void> {
    if (playbookId === ROLLBACK.id) return;
    const playbook = this.runbook.playbooks.find((p) => p.id === playbookId);
    if (!playbook) return;
    const lane = `${hostRef(host).kind}:${hostRef(host).id}:${playbookId}`;
    const previous = this.refreshing.get(lane) ?? Promise.resolve();
    const next = previous.then(async () => {
      const { view, messageTs } = await this.view(host, playbook, show);
      if (messageTs) await this.chat.updatePlaybook(placeOf(host), messageTs, view);
    });
    const settled = next.catch(() => undefined);
    this.refreshing.set(lane, settled);
    try {
      await next;
    } finally {
      if (this.refreshing.get(lane) === settled) this.refreshing.delete(lane);
    }
  }

  /** Turns a long playbook's message to another page of its steps, and remembers it for the message's redraws. */
  async showPage(host: PlaybookHost, playbookId: string, page: number): Promise<void> {
    this.playbook(playbookId);
    await setPlaybookPage(this.db, hostRef(host), playbookId, Math.max(0, Math.trunc(page)));
    await this.refresh(host, playbookId, { page });
  }
}

/** What a tick's timeline event says about its step: the playbook, the step's key and text. */
function eventStep(playbook: Playbook, key: string, step: PlaybookStep): Record<string, unknown> {
  return { playbook: playbook.id, title: playbook.title, step: key, text: step.text.slice(0, 300) };
}

function alreadyTicked(check: StepCheck): AlreadyDoneError {
  const how = check.state === 'done' ? 'done' : 'skipped';
  const reason = check.state === 'skipped' && check.reason ? ` (${check.reason})` : '';
  return new AlreadyDoneError([
    `This step is already ${how}, by `,
    { people: [check.checkedBy] },
    `${reason}. To change it, that person can Undo it.`,
  ]);
}

function notYours(check: StepCheck): DomainError {
  const phrase: Phrase = [
    'Only ',
    { people: [check.checkedBy] },
    `, who marked this step ${check.state}, may undo it.`,
  ];
  return new DomainError('not_allowed', phrase);
}

function runToFinish(step: PlaybookStep): DomainError {
  const button = step.type === 'http' ? 'Check' : 'Run';
  return new DomainError(
    'not_tickable',
    `This step counts as done when it succeeds: press ${button}. To leave it out, use Skip and say why.`,
  );
}
