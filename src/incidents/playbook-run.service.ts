import type { Playbook } from '../runbook/playbooks.js';
import type { Database } from '../store/db.js';
import {
  deletePlaybookRun,
  getPlaybookRunByRequest,
  insertPlaybookRun,
  insertRunEvent,
  setPlaybookRunMessage,
} from '../store/playbook-run.repo.js';
import type { Checklists } from './checklist.service.js';
import { ChatPlatformError, DomainError } from './errors.js';
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
  ) {}

  /** The playbooks the runbook file marks as used outside incidents (`outside_incident`). */
  runnable(): Playbook[] {
    return this.playbooks.filter((p) => p.outsideIncident && !p.unlisted);
  }

  /**
   * Starts a run: recorded, then its checklist posted in the channel (the runbook file's, or where it was typed) and
   * its thread opened. A channel that refuses the message leaves no run behind.
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
      const created = await insertPlaybookRun(tx, {
        teamId: s.teamId,
        playbookId: s.playbook.id,
        channelId,
        startedBy: s.userId,
        requestKey: s.requestKey,
      });
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
    let ts: string;
    try {
      const { view } = await this.checklists.view({ kind: 'run', run }, s.playbook);
      ts = await this.chat.postPlaybook(place, view);
    } catch (err) {
      await deletePlaybookRun(this.db, run.id).catch((e) => this.log.warn('could not remove the unposted run', e));
      if (err instanceof ChatPlatformError) {
        throw new DomainError(err.code, `${err.message} Nothing was started: no run was recorded.`);
      }
      throw err;
    }
    await setPlaybookRunMessage(this.db, run.id, ts);
    const started: PlaybookRun = { ...run, messageTs: ts };
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
