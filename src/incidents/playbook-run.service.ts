import type { Playbook } from '../runbook/playbooks.js';
import { releaseChecklistPost } from '../store/checklist-post.repo.js';
import type { Database } from '../store/db.js';
import {
  deletePlaybookRun,
  getPlaybookRunByRequest,
  insertPlaybookRun,
  insertRunEvent,
} from '../store/playbook-run.repo.js';
import type { Checklists } from './checklist.service.js';
import { CHECKLIST_POST_LEASE_MS, holdingPost, keepPost } from './checklist-messages.js';
import { ChatPlatformError, DomainError, mayHaveBeenDone } from './errors.js';
import type { PlaybookRun } from './playbook-host.js';
import type { Logger, PlaybookChat } from './ports.js';

export interface StartRun {
  teamId: string;
  playbook: Playbook;
  /** Where `/incident run` was typed: the run goes there unless the runbook file names its channel. */
  typedIn: string;
  userId: string;
  /** The slash command's trigger id: a Slack retry starts nothing twice. */
  requestKey: string;
}

export type StartResult =
  | { kind: 'started'; run: PlaybookRun; link: string | null }
  /** This request started it already (a Slack retry). */
  | { kind: 'already'; run: PlaybookRun };

/**
 * Playbooks run outside any incident, where the runbook uses them so (a deployment, a maintenance window, the weekly
 * backup check): `/incident run <playbook>` opens a thread in a channel, rooted at the playbook's checklist, and
 * records the run (`playbook_runs`), its ticks and step runs, and its own timeline (`playbook_run_events`). Steps run,
 * are confirmed and approved exactly as inside an incident.
 */
export class PlaybookRuns {
  constructor(
    private readonly db: Database,
    private readonly chat: PlaybookChat,
    private readonly checklists: Checklists,
    private readonly playbooks: readonly Playbook[],
    private readonly log: Logger = console,
    /** How long the run is held while its checklist is posted, renewed meanwhile (see ChecklistMessages). */
    private readonly postLeaseMs = CHECKLIST_POST_LEASE_MS,
  ) {}

  /** The playbooks the runbook file marks as used outside incidents (`outside_incident`). */
  runnable(): Playbook[] {
    return this.playbooks.filter((p) => p.outsideIncident && !p.unlisted);
  }

  /**
   * Starts a run: recorded, then its checklist posted in the channel (the runbook file's, or where it was typed) and
   * its thread opened. A channel that refuses the message leaves no run behind. The run is held while Slack takes the
   * post: should this process die before it records where it went, or Slack's answer be lost, the sweep
   * (ChecklistMessages) finds the post by its marker and records it, or posts it if Slack never took it.
   */
  async start(s: StartRun): Promise<StartResult> {
    const outside = s.playbook.outsideIncident;
    if (!outside) {
      throw new DomainError('inside_incidents_only', [
        { name: s.playbook.title },
        ` is run inside incidents: declare one (\`/incident sev2 <title>\`) and attach it there with \`/incident playbook ${s.playbook.id}\`.`,
      ]);
    }
    const channelId = outside.channel ?? s.typedIn;
    const run = await this.db.transaction(async (tx) => {
      const created = await insertPlaybookRun(
        tx,
        {
          teamId: s.teamId,
          playbookId: s.playbook.id,
          channelId,
          startedBy: s.userId,
          requestKey: s.requestKey,
        },
        this.postLeaseMs,
      );
      if (created) {
        await insertRunEvent(tx, created.id, 'run_started', s.userId, {
          playbook: s.playbook.id,
          title: s.playbook.title,
          channel: channelId,
        });
      }
      return created;
    });
    if (!run) {
      const existing = await getPlaybookRunByRequest(this.db, s.requestKey);
      if (!existing) throw new DomainError('run_not_found', 'That run could not be found; start it again.');
      return { kind: 'already', run: existing };
    }
    const place = { channelId };
    const key = { kind: 'run', runId: run.id } as const;
    let posted: string;
    try {
      const { view } = await this.checklists.view({ kind: 'run', run }, s.playbook);
      posted = await holdingPost(this.db, key, this.postLeaseMs, () => this.chat.postPlaybook(place, view));
    } catch (err) {
      if (err instanceof ChatPlatformError && mayHaveBeenDone(err)) {
        // Slack may have taken it, its answer lost: the run is kept, left to the sweep now, which finds the post by
        // its marker or posts it (once).
        await releaseChecklistPost(this.db, key).catch((e) => this.log.warn('could not release the run', e));
        throw new DomainError(
          err.code,
          `${err.message} Slack may have posted it all the same: run #${run.id} is kept, and its checklist will be found in <#${channelId}>, or posted there, within a minute or two.`,
        );
      }
      await deletePlaybookRun(this.db, run.id).catch((e) => this.log.warn('could not remove the unposted run', e));
      if (err instanceof ChatPlatformError) {
        throw new DomainError(err.code, `${err.message} Nothing was started: no run was recorded.`);
      }
      throw err;
    }
    let ts: string | null;
    try {
      ts = await keepPost(this.db, this.chat, this.log, key, place, posted);
    } catch (err) {
      // Its hold runs out, and the sweep records the post it finds by its marker.
      this.log.warn(`could not record where playbook run ${run.id}'s checklist went; the sweep will`, err);
      throw new DomainError(
        'run_not_recorded',
        `The checklist of run #${run.id} is posted in <#${channelId}>, but where it went could not be recorded (the database did not answer): it will be within a minute or two.`,
      );
    }
    if (ts === null) throw new DomainError('run_not_found', 'That run could not be found; start it again.');
    const started: PlaybookRun = { ...run, messageTs: ts };
    // Another process recorded its own post first (this one, deleted, took so long that it was thought dead): it
    // opened the thread.
    if (ts === posted)
      await this.chat
        .postNote({ channelId, threadTs: ts }, ts, {
          kind: 'run_started',
          runId: run.id,
          playbookTitle: s.playbook.title,
          startedBy: s.userId,
        })
        .catch((e) => this.log.warn('could not open the run thread', e));
    const link = await this.chat.permalink(place, ts).catch(() => null);
    return { kind: 'started', run: started, link };
  }
}
