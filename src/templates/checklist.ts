import type { ActionsBlock, Button, KnownBlock, ModalView } from '@slack/types';
import { notDoneBefore, type Progress, progressOf } from '../incidents/checklist.js';
import type { ChecklistView, PlaybookNote, StepStatus } from '../incidents/ports.js';
import { foundSummary } from '../runbook/look-for.js';
import { type PlacedStep, sectionName, stepsOf } from '../runbook/playbook-steps.js';
import type { Playbook, PlaybookStep } from '../runbook/playbooks.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { modal } from './blocks.js';
import { ACTION, BLOCK, INPUT, VIEW } from './ids.js';
import type { Message } from './incident-card.js';
import { pageRef, stepRef } from './payloads.js';
import { runButton, stepDetail } from './playbook.js';
import { signalName } from './run-killed.js';
import { boldName, codeText, LIMITS, mention, mrkdwnClip, slackDate, truncate } from './text.js';

/** A section's heading: the playbook's own (a deployment's Prerequisites checklist, a maintenance window's Before). */
const phaseLabel = sectionName;

/**
 * Steps shown per message. A step takes two blocks (its text, and its Done/Skip/Undo buttons), and the rest of the
 * message at most nine (header, origin, symptoms, progress, three phase labels, prevention, the page select): 9 + 2 ×
 * 20 = 49, within Slack's 50. A playbook with more steps is shown a page at a time.
 */
export const CHECKLIST_PAGE_SIZE = 20;

/** A playbook's steps in pages of CHECKLIST_PAGE_SIZE (one page when it has none). */
export function checklistPages(steps: readonly PlacedStep[]): PlacedStep[][] {
  const pages: PlacedStep[][] = [];
  for (let i = 0; i < steps.length; i += CHECKLIST_PAGE_SIZE) pages.push(steps.slice(i, i + CHECKLIST_PAGE_SIZE));
  return pages.length ? pages : [[]];
}

/** The page shown: the one asked for, else the one with the focused step, else the one with the next step. */
function pageShown(pages: PlacedStep[][], view: ChecklistView, progress: Progress): number {
  const last = pages.length - 1;
  if (view.page !== null) return Math.min(Math.max(0, view.page), last);
  const holding = (key: string | null | undefined) => (key ? pages.findIndex((p) => p.some((s) => s.key === key)) : -1);
  const at = [holding(view.focus), holding(progress.next?.key)].find((i) => i >= 0);
  return at ?? 0;
}

const STATE_ICON: Record<StepStatus['state'], string> = {
  open: ':white_large_square:',
  running: ':hourglass_flowing_sand:',
  failed: ':x:',
  done: ':white_check_mark:',
  skipped: ':fast_forward:',
};

/** Who brought a step where it is and when; nothing for an open step. Lower case, under the step. */
function statusLine(status: StepStatus | undefined): string | null {
  if (!status || status.state === 'open') return null;
  const when = status.at ? ` ${slackDate(status.at)}` : '';
  switch (status.state) {
    case 'done': {
      if (!status.byRun) return `_done by ${mention(status.by)}${when}_`;
      const approved = status.approvedBy ? `, approved by ${mention(status.approvedBy)}` : '';
      return `_done: run by ${mention(status.by)}${approved}${when}_`;
    }
    case 'skipped':
      return `_skipped by ${mention(status.by)}${when}: ${mrkdwnClip(status.reason ?? '', 300)}_`;
    case 'running':
      return `_running, asked by ${mention(status.by)}${when}_`;
    case 'failed': {
      if (status.cutShort)
        return `_its last run did not end: the bot stopped while it ran (${mention(status.by)}${when}); check what it did before running it again, or skip it_`;
      const signal = signalName(status.signal);
      return signal
        ? `_its last run was killed by ${signal}, not by the bot (${mention(status.by)}${when}): run it again, or skip it_`
        : `_its last run did not succeed (${mention(status.by)}${when}): run it again, or skip it_`;
    }
  }
}

/**
 * What the step's last run found of the lines it looks for, as its run's message says it: ":mag: 34 of 200 lines…",
 * "… so far" while it runs (a run just begun has found nothing yet, so the line of the run before is not shown), and
 * for a run recorded lost (foundSoFar): the count written while it ran, the command maybe printing more after.
 */
function foundLine(status: StepStatus | undefined): string | null {
  if (!status?.byRun || !status.found) return null;
  const sofar = status.state === 'running' || status.foundSoFar === true;
  return `:mag: ${mrkdwnClip(`${foundSummary(status.found)}${sofar ? ' so far' : ''}`, 400)}`;
}

/**
 * Why its last run's output is shown nowhere: its message (the run recorded lost, its process dead as Slack took it)
 * was looked for in the thread and given up, with Slack's last answer (its code, shown as code: never mrkdwn).
 */
function givenUpLine(status: StepStatus | undefined): string | null {
  if (!status?.byRun || !status.messageGivenUpWhy) return null;
  return `:warning: _its run's message could not be found in the thread, so its output is not shown (Slack's last answer: \`${mrkdwnClip(codeText(status.messageGivenUpWhy), 200)}\`)_`;
}

function stepText(placed: PlacedStep, status: StepStatus | undefined): string {
  const lines = [
    `${STATE_ICON[status?.state ?? 'open']} *${placed.number}.* ${mrkdwnClip(placed.step.text, RUNBOOK_TEXT_MAX.stepText)}`,
    stepDetail(placed.step),
    statusLine(status),
    foundLine(status),
    givenUpLine(status),
  ].filter((l): l is string => l !== null);
  return truncate(lines.join('\n'), LIMITS.sectionText);
}

const button = (actionId: string, label: string, value: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text: label },
  value,
  ...(style ? { style } : {}),
});

/** A step's checklist buttons: Done and Skip while open (Skip alone for a step that runs), Undo once ticked. */
function tickButtons(step: PlaybookStep, status: StepStatus | undefined, value: string): Button[] {
  const state = status?.state ?? 'open';
  if ((state === 'done' || state === 'skipped') && !status?.byRun) return [button(ACTION.stepUndo, 'Undo', value)];
  if (state === 'done' || state === 'running') return [];
  return step.type === 'text'
    ? [button(ACTION.stepDone, 'Done', value, 'primary'), button(ACTION.stepSkip, 'Skip…', value)]
    : [button(ACTION.stepSkip, 'Skip…', value)];
}

/**
 * Said under the progress of a playbook none of whose steps the bot runs or checks (the runbook gives no command for
 * them: Stripe Webhook Failures), so nobody waits for a Run button that is not there.
 */
export const BY_HAND_LINE =
  ':raised_hand: *Every step here is done by hand:* the runbook gives no command the bot can run for them. Do each, then tick it Done (or Skip it, saying why).';

function progressLine(p: Progress, playbook: Playbook): string {
  if (p.total === 0) return 'This playbook has no steps.';
  if (p.complete)
    return `:white_check_mark: *All ${p.total} steps are done or skipped* (${p.done} done, ${p.skipped} skipped).`;
  const skipped = p.skipped ? ` · ${p.skipped} skipped` : '';
  const next = p.next
    ? ` · next: *${phaseLabel(playbook, p.next.phase)} ${p.next.number}.* ${mrkdwnClip(p.next.text, 200)}`
    : '';
  return `*Progress:* ${p.done} of ${p.total} done${skipped}${next}`;
}

function originLine(view: ChecklistView): string {
  if (view.detached) {
    return `:no_entry_sign: Detached from the incident by ${mention(view.detached.by)} ${slackDate(view.detached.at)}: its steps can no longer be ticked or run here. \`/incident playbook ${view.playbook.id}\` attaches it again, where it was left.`;
  }
  switch (view.origin.kind) {
    case 'suggested':
      return view.origin.alertRule
        ? `From the runbook's alert row ${boldName(view.origin.alertRule, 100)}, for this incident's alerts. \`/incident playbook\` lists the others.`
        : view.origin.alsoFits?.length
          ? `Suggested from the incident title, which fits ${view.origin.alsoFits
              .map((p) => `${boldName(p.title, 100)} (\`/incident playbook ${p.id}\`)`)
              .join(', ')} as well: attach the one that is the trouble. \`/incident playbook\` lists the others.`
          : 'Suggested from the incident title. `/incident playbook` lists the others.';
    case 'attached':
      return `Attached by ${mention(view.origin.by)}.`;
    case 'run':
      return `Run #${view.runId} outside any incident, started by ${mention(view.origin.by)}. Output, approvals and checks go in this thread.`;
  }
}

/**
 * A playbook as a checklist: symptoms, progress ("4 of 9 done", what is next), then each phase's steps in order with
 * who did what, Run/Check on the steps that run, Done and Skip on text steps, Undo on ticked ones. A detached one
 * keeps its record without buttons. Longer than one message allows, it shows a page of steps with a page select.
 * Pure.
 */
export function renderChecklist(view: ChecklistView): Message {
  const { playbook } = view;
  const interactive = !view.detached;
  const steps = stepsOf(playbook);
  const progress = progressOf(playbook, view.statuses);
  const pages = checklistPages(steps);
  const page = pageShown(pages, view, progress);
  const shown = pages[page] ?? [];
  const runId = view.runId;

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`Playbook: ${playbook.title}`, LIMITS.headerText) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(originLine(view), LIMITS.sectionText) }] },
  ];
  if (playbook.symptoms.length) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*Symptoms*\n${playbook.symptoms.map((s) => `• ${mrkdwnClip(s, RUNBOOK_TEXT_MAX.symptom)}`).join('\n')}`,
          LIMITS.sectionText,
        ),
      },
    });
  }
  const range =
    pages.length > 1
      ? ` _(steps ${page * CHECKLIST_PAGE_SIZE + 1}–${page * CHECKLIST_PAGE_SIZE + shown.length} of ${steps.length} shown)_`
      : '';
  // Nothing here runs: said while there is something left to do, so nobody looks for a Run button.
  const byHand =
    interactive && !progress.complete && steps.length > 0 && steps.every((s) => s.step.type === 'text')
      ? `\n${BY_HAND_LINE}`
      : '';
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(progressLine(progress, playbook) + range + byHand, LIMITS.sectionText) },
  });

  let phase: string | null = null;
  for (const placed of shown) {
    if (placed.phase !== phase) {
      phase = placed.phase;
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${phaseLabel(playbook, placed.phase)}*` } });
    }
    const status = view.statuses[placed.key];
    const run = interactive
      ? runButton(playbook, placed.step, placed.key, runId, notDoneBefore(playbook, view.statuses, placed.key))
      : undefined;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: stepText(placed, status) },
      ...(run ? { accessory: run } : {}),
    });
    const value = stepRef.encode({ p: playbook.id, s: placed.key, ...(runId === null ? {} : { r: runId }) });
    const buttons = interactive ? tickButtons(placed.step, status, value) : [];
    if (buttons.length) {
      const actions: ActionsBlock = {
        type: 'actions',
        block_id: `${BLOCK.stepPrefix}${placed.key}`,
        elements: buttons,
      };
      blocks.push(actions);
    }
  }
  if (playbook.prevention.length) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(
            `*Prevention:* ${playbook.prevention.map((p) => mrkdwnClip(p, RUNBOOK_TEXT_MAX.prevention)).join(' · ')}`,
            LIMITS.sectionText,
          ),
        },
      ],
    });
  }
  if (pages.length > 1) blocks.push(pageSelect(view, pages, page));
  const summary = progress.complete
    ? 'complete'
    : `${progress.done} of ${progress.total} done${progress.skipped ? `, ${progress.skipped} skipped` : ''}`;
  // The notification's text is mrkdwn: escaped, not stripped ("High Error Rates (> 10%)" kept its ">").
  const title = mrkdwnClip(playbook.title, 200);
  return { text: `Playbook: ${title} — ${summary}${view.detached ? ' (detached)' : ''}`, blocks };
}

/** The select that turns a long playbook's message to another page of its steps. */
function pageSelect(view: ChecklistView, pages: PlacedStep[][], page: number): ActionsBlock {
  const options = pages.map((steps, n) => {
    const first = n * CHECKLIST_PAGE_SIZE + 1;
    const phases = [...new Set(steps.map((s) => phaseLabel(view.playbook, s.phase)))].join(', ');
    return {
      text: { type: 'plain_text' as const, text: truncate(`Steps ${first}–${first + steps.length - 1}`, 75) },
      description: { type: 'plain_text' as const, text: truncate(phases, 75) },
      value: pageRef.encode({ p: view.playbook.id, n, ...(view.runId === null ? {} : { r: view.runId }) }),
    };
  });
  // Slack allows 100 options; MAX_STEPS_PER_PHASE keeps a playbook to 15 pages.
  return {
    type: 'actions',
    block_id: BLOCK.checklistPages,
    elements: [
      {
        type: 'static_select',
        action_id: ACTION.checklistPage,
        placeholder: { type: 'plain_text', text: 'Other steps' },
        options: options.slice(0, 100),
        ...(options[page] ? { initial_option: options[page] } : {}),
      },
    ],
  };
}

/** Skip asks why, in a small form. Pure. */
export function skipModal(stepText: string, privateMetadata: string): ModalView {
  return modal({
    callbackId: VIEW.skipReason,
    privateMetadata,
    title: 'Skip a step',
    submit: 'Skip it',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`*Skip:* ${mrkdwnClip(stepText, 600)}`, 3000) } },
      {
        type: 'input',
        block_id: BLOCK.skipReason,
        label: { type: 'plain_text', text: 'Why skip it?' },
        hint: {
          type: 'plain_text',
          text: 'Recorded with your name on the timeline, e.g. "not needed: no migration in this release".',
        },
        element: { type: 'plain_text_input', action_id: INPUT.reason, max_length: 300 },
      },
    ],
  });
}

/** A line in a playbook's thread. Pure. */
export function renderPlaybookNote(note: PlaybookNote): Message {
  const text =
    note.kind === 'run_started'
      ? `:arrow_forward: ${mention(note.startedBy)} started ${boldName(note.playbookTitle, 200)} outside any incident (run #${note.runId}). Tick each step on the checklist above as it is done; command output, approvals and checks come here, and who did what is recorded.`
      : `:white_check_mark: ${boldName(note.playbookTitle, 200)} is complete (run #${note.runId}): ${note.done} done, ${note.skipped} skipped.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** `/incident run` without a name (or a name that fits no one playbook): what can be run outside incidents. Pure. */
export function renderRunnableList(playbooks: readonly Playbook[], problem?: string): Message {
  const intro = problem ? `:warning: ${problem}\n` : '';
  const lines = playbooks.map(
    (p) =>
      `• \`${p.id}\` — ${mrkdwnClip(p.title, 120)}${p.outsideIncident?.channel ? ` (in <#${p.outsideIncident.channel}>)` : ''}`,
  );
  const text = lines.length
    ? `${intro}*Playbooks to run outside an incident* (\`/incident run <id>\` opens a thread with its checklist, here or in the channel named):\n${lines.join('\n')}`
    : `${intro}No playbook in the runbook file is run outside incidents: mark one with \`outside_incident: true\`. Inside an incident, attach one with \`/incident playbook <id>\`.`;
  const clipped = truncate(text, LIMITS.sectionText);
  return { text: clipped, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipped } }] };
}

/** The private answer to `/incident run <playbook>`: where its thread is. Pure. */
export function renderRunStarted(
  playbook: Playbook,
  run: { id: number; channelId: string },
  link: string | null,
  already: boolean,
): string {
  const where = link ? `<${link}|its thread> in <#${run.channelId}>` : `<#${run.channelId}>`;
  return already
    ? `:information_source: You started ${boldName(playbook.title, 200)} a moment ago (run #${run.id}); nothing was started twice.`
    : `:arrow_forward: Started ${boldName(playbook.title, 200)} outside any incident (run #${run.id}): ${where}. Tick its steps there as they are done.`;
}
