import type { Runbook } from '../runbook/runbook.js';
import { itemsOfIncident, upsertRunbookItem } from '../store/action-item.repo.js';
import { alertSourcesOf } from '../store/alert-incident.repo.js';
import type { Database } from '../store/db.js';
import { insertEvent, listEvents } from '../store/event.repo.js';
import { peopleOfIncident } from '../store/home.repo.js';
import {
  getPostmortem,
  getPostmortemDocument,
  insertPostmortemVersion,
  nextPostmortemVersion,
  type PostmortemDocument,
  savePostmortem,
  setPostmortemFile,
} from '../store/postmortem.repo.js';
import { claimRequestKey } from '../store/request-key.repo.js';
import type { ActionItem, NewActionItem } from './action-items.js';
import type { ActionItemService } from './action-items.service.js';
import { DomainError } from './errors.js';
import { incidentOrThrow } from './find-incident.js';
import type { FollowUpChat } from './follow-up-ports.js';
import { mustFitForm } from './form-fit.js';
import type { Logger } from './ports.js';
import {
  evaluateChecklist,
  type PostmortemAnswers,
  type PostmortemRecord,
  runbookItemText,
  type StoredPostmortem,
} from './postmortem.js';
import { keptText, mergeAnswers, type SeenAnswers, seenAnswers } from './postmortem-merge.js';
import { maskedIncident } from './shown-incident.js';
import type { Incident } from './types.js';

export interface WrittenPostmortem {
  incident: Incident;
  version: number;
  /** Action items the form added (the runbook's included). */
  added: ActionItem[];
  /** Recorded, but not shown in Slack (the file not posted, an owner not told). */
  warnings: string[];
}

/** What the post-mortem form is opened with. */
export interface PostmortemForm {
  incident: Incident;
  stored: StoredPostmortem | null;
  items: ActionItem[];
  /** The runbook's sections a person may say need an update. */
  sections: string[];
  /**
   * The section the form suggests, one of `sections`: for an incident opened from (or joined by) monitoring's alerts,
   * the one that holds the alert thresholds. Null: none.
   */
  suggested: string | null;
  /** Checklist items ticked by hand (those without a check). */
  manualChecks: string[];
  /** What the form shows of the answers so far, as fingerprints the form carries back (see mergeAnswers). */
  seen: SeenAnswers;
}

/** How long to wait for people's names before writing the document with their ids instead. */
const NAMES_TIMEOUT_MS = 2000;

/**
 * The runbook's Monitoring section where its Alert Thresholds table is (the runbook file's `alerts:` rows: each alert's
 * threshold, duration, level and action): what an incident monitoring opened most often shows needs a change.
 */
export const ALERT_THRESHOLDS_SECTION = 'Monitoring: Alert Thresholds';

/**
 * The runbook's sections outside its playbooks, as the post-mortem form offers them. Monitoring is offered by its two
 * parts as the runbook names them (it was one "Monitoring and alerts", a name the runbook does not have).
 */
const RUNBOOK_SECTIONS = [
  'Incident severity levels',
  'Incident response process',
  'Escalation procedures',
  'Communication template',
  'Deployment and rollback procedures',
  ALERT_THRESHOLDS_SECTION,
  'Monitoring: Key Metrics to Monitor',
];

/**
 * Sections the form once offered, by the one of `RUNBOOK_SECTIONS` that holds their part now: a post-mortem stored
 * with the old name opens with its answer carried over instead of blank. "Monitoring and alerts" was about the alerts
 * (the runbook's alerts: rows live under Alert Thresholds; Key Metrics to Monitor holds no alert).
 */
const RENAMED_SECTIONS: Readonly<Record<string, string>> = {
  'Monitoring and alerts': ALERT_THRESHOLDS_SECTION,
};

/** A stored section under its current name (unchanged when it was not renamed). */
function currentSectionName(section: string | null): string | null {
  return section === null ? null : (RENAMED_SECTIONS[section] ?? section);
}

/**
 * The runbook's post-mortem phase: the answers people give (root cause, factors, what went well and badly, whether the
 * runbook needs an update), the action items, and a Markdown document written from the record, kept as a new version
 * each time it is written and posted in the incident channel as a file.
 */
export class PostmortemService {
  constructor(
    private readonly db: Database,
    private readonly chat: FollowUpChat,
    private readonly runbook: Runbook,
    private readonly items: ActionItemService,
    /** Writes the document from the record, every text masked (the composition root gives the Markdown template). */
    private readonly render: (record: PostmortemRecord) => string,
    private readonly log: Logger = console,
    /** What people type in the answers is masked by before it is stored (the values the bot knows are secret). */
    private readonly typed: (text: string) => string = (text) => text,
  ) {}

  /** What the form needs: the incident (resolved), the answers so far, its items, the runbook's sections. */
  async form(incidentId: number): Promise<PostmortemForm> {
    const incident = await incidentOrThrow(this.db, incidentId);
    mustBeResolved(incident);
    const [stored, items, alertSources] = await Promise.all([
      getPostmortem(this.db, incidentId),
      itemsOfIncident(this.db, incidentId),
      alertSourcesOf(this.db, incidentId),
    ]);
    // Opened by an alert (the bot on its own, or a person from its notice), or joined by one: its thresholds first.
    const fromAlerts = incident.source === 'alert' || alertSources.length > 0;
    // Shown in the form: what people typed masked as it is read (stored before a value was known secret, it holds it).
    const mask = this.typed;
    const shown = this.shown(stored);
    const manualChecks = this.manualChecks();
    return {
      incident: maskedIncident(incident, mask),
      stored: shown,
      items: items.map((item) => ({ ...item, text: mask(item.text) })),
      sections: this.sections(),
      suggested: fromAlerts ? ALERT_THRESHOLDS_SECTION : null,
      manualChecks,
      seen: seenAnswers(shown, manualChecks),
    };
  }

  /** The stored answers as the form shows them: masked as they are read. */
  private shown(stored: StoredPostmortem | null): StoredPostmortem | null {
    const mask = this.typed;
    return (
      stored && {
        ...stored,
        runbookSection: currentSectionName(stored.runbookSection),
        rootCause: mask(stored.rootCause),
        factors: mask(stored.factors),
        wentWell: mask(stored.wentWell),
        wentBadly: mask(stored.wentBadly),
        runbookNote: mask(stored.runbookNote),
      }
    );
  }

  /** The checklist items a person ticks by hand (those without a check). */
  private manualChecks(): string[] {
    return this.runbook.postmortem.checklist.filter((c) => c.check === null).map((c) => c.text);
  }

  /**
   * The sections a person may name: the runbook's own, then each playbook of the file by title (not those the bot
   * makes, such as two maintenance windows' combined checklist: no section of the file holds them).
   */
  sections(): string[] {
    const playbooks = this.runbook.playbooks.filter((p) => !p.unlisted);
    return [...RUNBOOK_SECTIONS, ...playbooks.map((p) => `Playbook: ${p.title}`)];
  }

  /**
   * Saves the answers and the new action items, writes the next version of the document from the record (all in one
   * transaction), then posts it in the incident channel and tells the new items' owners. Null for a retry. `seen`: what
   * the person's form showed of the answers; one they left as it was, which another version changed meanwhile, keeps
   * the other version's (and they are told).
   */
  async write(
    incidentId: number,
    userId: string,
    typedAnswers: PostmortemAnswers,
    newItems: readonly NewActionItem[],
    requestKey?: string,
    /** The channel the form was opened for: a form of another incident's channel does not fit this one. */
    formChannelId?: string,
    seen?: SeenAnswers,
  ): Promise<WrittenPostmortem | null> {
    // What was typed, masked before it is stored and the document written from it.
    const mask = this.typed;
    const masked = (a: PostmortemAnswers): PostmortemAnswers => ({
      ...a,
      rootCause: mask(a.rootCause),
      factors: mask(a.factors),
      wentWell: mask(a.wentWell),
      wentBadly: mask(a.wentBadly),
      runbookNote: mask(a.runbookNote),
    });
    // People's names are asked before the transaction, so that no lock is held while Slack answers.
    const names = await this.names(incidentId, [userId, ...newItems.flatMap((i) => (i.ownerId ? [i.ownerId] : []))]);
    const r = await this.db.transaction(async (tx) => {
      if (requestKey && !(await claimRequestKey(tx, requestKey))) return null;
      const incident = await incidentOrThrow(tx, incidentId, { forUpdate: true });
      mustFitForm(incident, formChannelId, '/incident postmortem');
      mustBeResolved(incident);
      // The answers stored now (read under the incident's lock, which every writer takes): the form's seen compares
      // with them as a form would show them.
      const before = await getPostmortem(tx, incidentId);
      const merged = mergeAnswers(typedAnswers, seen, this.shown(before), before, this.manualChecks());
      const answers = masked(merged.answers);
      await savePostmortem(tx, incidentId, answers, userId);
      const added = await this.items.addIn(tx, incident, newItems, userId);
      const runbookText = runbookItemText(answers);
      if (runbookText) {
        const rb = await upsertRunbookItem(tx, incident, runbookText, userId);
        if (rb?.added) {
          added.push(rb.item);
          await insertEvent(tx, incidentId, 'action_item_added', userId, {
            item: rb.item.id,
            text: rb.item.text,
            owner: rb.item.ownerId,
            dueAt: null,
          });
        }
      }
      // One after the other: a transaction's client runs one query at a time (pg 9 refuses two at once).
      const events = await listEvents(tx, incidentId);
      const items = await itemsOfIncident(tx, incidentId);
      const version = await nextPostmortemVersion(tx, incidentId);
      const record: PostmortemRecord = {
        incident,
        events,
        answers,
        items,
        checklist: evaluateChecklist(this.runbook.postmortem.checklist, { events, answers, items }),
        severities: this.runbook.severities,
        version,
        writtenBy: userId,
        writtenAt: new Date(),
        names,
      };
      const markdown = this.render(record);
      await insertPostmortemVersion(tx, incidentId, version, markdown, userId);
      // The document covers what happened before it was written; writing it is the next event.
      await insertEvent(tx, incidentId, 'postmortem_written', userId, { version });
      return { incident, version, markdown, added, kept: merged.kept };
    });
    if (!r) return null;
    const warnings: string[] = r.kept.length ? [keptText(r.kept, r.version)] : [];
    try {
      const fileId = await this.chat.postDocument(r.incident, {
        filename: `postmortem-incident-${r.incident.number}-v${r.version}.md`,
        title: `Post-mortem #${r.incident.number} ${r.incident.title} (v${r.version})`,
        content: r.markdown,
        comment: `:memo: <@${userId}> wrote the post-mortem of incident #${r.incident.number} (version ${r.version}).`,
      });
      if (fileId) await setPostmortemFile(this.db, incidentId, r.version, fileId);
    } catch (err) {
      this.log.warn('could not post the post-mortem document', err);
      warnings.push(
        `the document (version ${r.version}) is kept but could not be posted in the channel (${describe(err)})`,
      );
    }
    warnings.push(...(await this.items.announce(r.incident, r.added, userId)));
    // The card says which version was written, by whom, and the action items it added.
    await this.items.showOnCard(r.incident.id);
    return { incident: r.incident, version: r.version, added: r.added, warnings };
  }

  /**
   * A version of the document of a workspace's incident (the latest without `version`); null when none. The document
   * is masked as it is read too: one written before a value was known secret holds it.
   */
  async document(teamId: string, number: number, version?: number): Promise<PostmortemDocument | null> {
    const doc = await getPostmortemDocument(this.db, teamId, number, version);
    return doc && { ...doc, markdown: this.typed(doc.markdown) };
  }

  /** Names of everyone the record names; ids where Slack cannot say in time. */
  private async names(incidentId: number, more: string[]): Promise<Map<string, string>> {
    try {
      const ids = [...new Set([...(await peopleOfIncident(this.db, incidentId)), ...more])];
      return await Promise.race([
        this.chat.userNames(ids),
        new Promise<Map<string, string>>((resolve) => setTimeout(() => resolve(new Map()), NAMES_TIMEOUT_MS).unref()),
      ]);
    } catch (err) {
      this.log.warn('could not read people’s names for the post-mortem; it shows their ids', err);
      return new Map();
    }
  }
}

/** The refusal of a post-mortem for an incident not resolved (never resolved, or reopened since); null once it is. */
export function notResolvedYet(incident: Incident): DomainError | null {
  if (incident.status === 'resolved') return null;
  return new DomainError(
    'not_resolved',
    `Incident #${incident.number} is not resolved yet. The post-mortem comes after the resolution: resolve it first (\`/incident resolve\`). Action items can be added meanwhile with \`/incident action\`.`,
  );
}

function mustBeResolved(incident: Incident): void {
  const err = notResolvedYet(incident);
  if (err) throw err;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
