import type { KnownBlock, ModalView } from '@slack/types';
import type {
  AskedVersion,
  CheckResult,
  DeploymentView,
  NotDoneStep,
  OfferedVersion,
  PastRollback,
  RetryAnswer,
  RollbackVerdict,
  RunView,
  VerificationSubject,
} from '../incidents/ports.js';
import { type FoundLines, foundSummary, type LookFor, lookForWords } from '../runbook/look-for.js';
import type { CommandStep, Playbook, PlaybookStep, RunnableStep } from '../runbook/playbooks.js';
import { maxLengthOf, PARAM_KINDS } from '../runbook/playbooks.js';
import { RUNBOOK_TEXT_MAX } from '../runbook/text-limits.js';
import { modal } from './blocks.js';
import { ACTION, BLOCK, INPUT, VIEW } from './ids.js';
import type { Message } from './incident-card.js';
import { rollbackAgainRef, rollbackRef, stepRef } from './payloads.js';
import { killedBy, killedLabel } from './run-killed.js';
import {
  boldName,
  clipEscaped,
  codeBlock,
  codeText,
  escapeMrkdwn,
  LIMITS,
  mention,
  mrkdwnClip,
  mrkdwnName,
  truncate,
} from './text.js';

/** The command as it reads in the runbook: `atom-cli nodes restart {node_id}`. */
export const commandTemplate = (step: CommandStep) => step.run.join(' ');

/** The runbook's expected result of a step, under its line. */
const expectedLine = (step: RunnableStep) =>
  step.expect ? `\nExpected: ${mrkdwnClip(step.expect, RUNBOOK_TEXT_MAX.stepExpect)}` : '';

interface KindView<S extends RunnableStep> {
  /** The label of the step's button in the playbook. */
  button: string;
  /** What the step does, under its text in the playbook (mrkdwn, escaped). */
  line: (step: S) => string;
  /** What a run runs (target redacted), in one line of plain text. */
  what: (target: string[]) => string;
}

/** Each kind of step the bot runs, as the channel shows it: its line in the playbook, its button, and what it runs. */
const STEP_KINDS: { [K in RunnableStep['type']]: KindView<Extract<RunnableStep, { type: K }>> } = {
  command: {
    button: 'Run',
    line: (step) => {
      const flags = [
        step.destructive ? ':warning: changes production' : null,
        step.approval ? 'needs approval' : null,
      ].filter(Boolean);
      return `\`${mrkdwnClip(commandTemplate(step), 400)}\`${step.cwd ? ` in \`${mrkdwnClip(step.cwd, 100)}/\`` : ''}${flags.length ? `  _${flags.join(' · ')}_` : ''}${
        step.warning ? `\n:rotating_light: ${mrkdwnClip(step.warning, RUNBOOK_TEXT_MAX.stepWarning)}` : ''
      }${expectedLine(step)}`;
    },
    what: (target) => target.join(' '),
  },
  http: {
    button: 'Check',
    line: (step) => `\`GET ${mrkdwnClip(step.path, 200)}\` (expects ${step.expectStatus})${expectedLine(step)}`,
    what: (target) => `GET ${target[0] ?? ''}`,
  },
};

const kindView = <S extends RunnableStep>(step: S) => STEP_KINDS[step.type] as unknown as KindView<S>;

/** What a step does, under its text: the command (and where it runs) or the check; nothing for a text step. */
export function stepDetail(step: PlaybookStep): string | null {
  return step.type === 'text' ? null : kindView(step).line(step);
}

/**
 * The steps of required sections not done yet, by section, in mrkdwn: "Not done yet in Prerequisites checklist: 1. All
 * tests passing locally …; 3. …; and 4 more". Each step's text cut at `each`, the whole at `max` (steps left out are
 * counted). Pure.
 */
export function notDoneText(steps: readonly NotDoneStep[], max: number, each = 80): string {
  const items = steps.map(
    (s, i) =>
      `${i === 0 || steps[i - 1]?.section !== s.section ? `in ${mrkdwnClip(s.section, 60)}: ` : ''}${s.number}. ${mrkdwnClip(s.text, each)}`,
  );
  const line = (n: number) =>
    `Not done yet ${items.slice(0, n).join('; ')}${n < items.length ? `; and ${items.length - n} more` : ''}`;
  let n = items.length;
  while (n > 1 && line(n).length > max) n--;
  return clipEscaped(line(n), max);
}

/** Slack's limit on a confirmation dialog's text. */
const CONFIRM_TEXT_MAX = 300;

/** The confirmation of a step that changes production, run on click: what runs, and the required steps not done. */
function confirmText(step: CommandStep, notDone: readonly NotDoneStep[]): string {
  const runs = `This runs \`${escapeMrkdwn(commandTemplate(step))}\`${notDone.length ? ' anyway' : ''}.`;
  const warning = step.warning ? `\n${escapeMrkdwn(step.warning)}` : '';
  if (!notDone.length) return clipEscaped(`${runs}${warning}`, CONFIRM_TEXT_MAX);
  // The steps not done come first; the warning (shown on the step's line too) only when it fits whole.
  const list = notDoneText(notDone, CONFIRM_TEXT_MAX - runs.length - 1, 40);
  const whole = `${list}\n${runs}${warning}`;
  return whole.length <= CONFIRM_TEXT_MAX ? whole : clipEscaped(`${list}\n${runs}`, CONFIRM_TEXT_MAX);
}

/**
 * A step's Run or Check button (none for a text step). `runId` is the playbook run outside an incident it belongs to,
 * carried in the button; without it the click's channel names the incident. `notDone`: the steps of required sections
 * before it not done yet, named in its confirmation.
 */
export function runButton(
  playbook: Playbook,
  step: CommandStep | Exclude<PlaybookStep, CommandStep>,
  key: string,
  runId: number | null = null,
  notDone: readonly NotDoneStep[] = [],
) {
  if (step.type === 'text') return undefined;
  const destructive = step.type === 'command' && step.destructive;
  return {
    type: 'button' as const,
    action_id: ACTION.runStep,
    text: { type: 'plain_text' as const, text: kindView(step).button },
    value: stepRef.encode({ p: playbook.id, s: key, ...(runId === null ? {} : { r: runId }) }),
    ...(destructive ? { style: 'danger' as const } : {}),
    // A destructive step without parameters runs on click: Slack asks first, naming exactly what will run.
    ...(destructive && Object.keys(step.params).length === 0
      ? {
          confirm: {
            title: { type: 'plain_text' as const, text: notDone.length ? 'Run it anyway?' : 'Run in production?' },
            text: { type: 'mrkdwn' as const, text: confirmText(step, notDone) },
            confirm: { type: 'plain_text' as const, text: notDone.length ? 'Run anyway' : 'Run it' },
            deny: { type: 'plain_text' as const, text: 'Cancel' },
            style: 'danger' as const,
          },
        }
      : {}),
  };
}

/** `/incident playbook`: the playbooks in the runbook file, with their ids to attach them. Pure. */
export function renderPlaybookList(playbooks: Playbook[], problem?: string): Message {
  const lines = playbooks.map((p) => `• \`${p.id}\` — ${mrkdwnClip(p.title, 120)}`);
  const intro = problem ? `:warning: ${problem}\n` : '';
  const text = `${intro}*Playbooks* (attach one with \`/incident playbook <id>\` in an incident channel):\n${lines.join('\n')}`;
  return {
    text: truncate(text, LIMITS.sectionText),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }],
  };
}

/**
 * The playbooks attached to an incident, to detach one: `problem` first (why none was detached), then the list, or
 * that none is attached.
 */
export function renderAttachedList(attached: Playbook[], problem?: string): Message {
  const intro = problem ? `:warning: ${problem}\n` : '';
  const text = attached.length
    ? `${intro}*Attached to this incident* (detach one with \`/incident detach <id>\`):\n${attached
        .map((p) => `• \`${p.id}\` — ${mrkdwnClip(p.title, 120)}`)
        .join('\n')}`
    : `${intro}No playbook is attached to this incident, so there is nothing to detach. \`/incident playbook\` lists those you can attach.`;
  return {
    text: truncate(text, LIMITS.sectionText),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }],
  };
}

const STATE_LINE: Record<RunView['state'], string> = {
  running: ':hourglass_flowing_sand: Running',
  succeeded: ':white_check_mark: Succeeded',
  failed: ':x: Failed',
  timed_out: ':alarm_clock: Timed out',
  not_found: ':x: Could not run',
  stopped: ':octagonal_sign: Stopped: the bot stopped while it ran',
  lost: ':grey_question: Not known how it ended: the bot stopped while it ran',
};

/** A run's state as its message's first line says it: "Failed", or "Killed (SIGSEGV)" by a signal the bot did not send. */
function stateLine(run: RunView): string {
  const signal = killedBy(run.state, run.signal);
  return signal ? `:x: ${killedLabel(signal)}` : STATE_LINE[run.state];
}

/** A run's message: what runs, who asked, then the output's last lines within Slack's limits. Pure. */
export function renderRun(run: RunView): Message {
  const what = STEP_KINDS[run.kind].what(run.target);
  const facts = [
    `${stateLine(run)} \`${mrkdwnClip(what, 500)}\`${run.cwd ? ` in \`${mrkdwnClip(run.cwd, 100)}/\`` : ''}`,
    `requested by ${mention(run.requestedBy)}`,
    run.approvedBy ? `approved by ${mention(run.approvedBy)}` : null,
    run.state === 'running' ? null : run.exitCode !== null ? `exit ${run.exitCode}` : null,
    run.state === 'running' && run.durationMs === 0 ? null : `${(run.durationMs / 1000).toFixed(1)} s`,
  ].filter(Boolean);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(facts.join(' · '), LIMITS.sectionText) } },
  ];
  if (run.notDone?.length) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          // "Run with 6 required steps not done — Prerequisites checklist: 3. …; 4. …".
          text: `:warning: Run with ${run.notDone.length} required ${run.notDone.length === 1 ? 'step' : 'steps'} not done — ${notDoneText(run.notDone, 2500, 150).replace(/^Not done yet in /, '')}`,
        },
      ],
    });
  }
  if (run.expected || run.detail) {
    const seen = [
      run.expected ? `Expected: ${mrkdwnClip(run.expected, 300)}` : null,
      run.detail ? mrkdwnClip(run.detail, 2000) : null,
    ].filter(Boolean);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: seen.join(' — ') }] });
  }
  // Said while it runs too, of the lines read so far (nothing until a line was), and of a run recorded lost: those its
  // message showed at its lease's last renewal (foundSoFar), the command maybe printing more after.
  const sofar = run.state === 'running' || run.foundSoFar === true;
  const found =
    run.lookFor && run.found && !(run.state === 'running' && run.found.total === 0)
      ? foundLines(run.lookFor, run.found, sofar)
      : null;
  if (found) blocks.push(found.block);
  // Every line has what it looks for: the lines found are the output's last lines already, not shown twice.
  const allFound = run.found !== undefined && run.found.total > 0 && run.found.matched === run.found.total;
  if (run.tail && !(found && allFound)) {
    if (found) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'The last lines of the output:' }] });
    // Fenced safely: escaped, its backticks shown as ˋ, cut to fit a section with its fences.
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: codeBlock(run.tail, LIMITS.sectionText - 4) } });
  }
  if (run.truncated) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          // The file holds the masked text, at most its first 5 MiB (run-command's maxFullBytes) and then its last lines,
          // with a line saying so: its size is said, and what the command printed when that differs, and why.
          text: attachedLine(run),
        },
      ],
    });
  }
  // The notification's text is mrkdwn too: escaped, not stripped (`> 10%`, a shell redirect), and cut whole.
  const head = mrkdwnClip(`${stateLine(run)}: ${what}`, 500);
  return { text: found ? `${head} — ${found.summary}` : head, blocks };
}

/**
 * The lines a step looks for, first in its run's message: "7 of 200 lines have "ERROR"" and the last of them that fit
 * a section, or that none has it. `summary` (mrkdwn, escaped) is the count alone, for the notification's text.
 */
function foundLines(lookFor: LookFor, found: FoundLines, sofar = false): { block: KnownBlock; summary: string } {
  const words = escapeMrkdwn(lookForWords(lookFor));
  if (found.matched === 0) {
    const summary =
      found.total === 0
        ? sofar
          ? `no line printed so far has ${words}`
          : `it printed nothing, so no line has ${words}`
        : `no line has ${words} in the ${found.total} printed${sofar ? ' so far' : ''}`;
    const said = `${summary[0]!.toUpperCase()}${summary.slice(1)}`;
    return { summary, block: { type: 'section', text: { type: 'mrkdwn', text: `:mag: ${said}.` } } };
  }
  const summary = `${foundSummary({ words, matched: found.matched, total: found.total })}${sofar ? ' so far' : ''}`;
  // The last lines found that fit the section with its heading and fences, newest kept; none is ever cut in half.
  const room = LIMITS.sectionText - 200;
  const shown: string[] = [];
  let used = 0;
  for (let i = found.last.length - 1; i >= 0; i--) {
    const line = escapeMrkdwn(codeText(found.last[i]!));
    if (used + line.length + 1 > room) break;
    shown.unshift(line);
    used += line.length + 1;
  }
  const which = shown.length < found.matched ? ` (the last ${shown.length === 1 ? 'one' : shown.length} below)` : '';
  const text = `:mag: *${summary}*${which}:\n\`\`\`${shown.join('\n')}\`\`\``;
  return { summary, block: { type: 'section', text: { type: 'mrkdwn', text: clipEscaped(text, LIMITS.sectionText) } } };
}

/** The form that asks a step's parameters; errors show inline per parameter. Pure. */
export function runParamsModal(step: CommandStep, playbook: Playbook, privateMetadata: string): ModalView {
  return modal({
    callbackId: VIEW.runParams,
    privateMetadata,
    title: step.destructive ? 'Confirm the run' : 'Run a step',
    submit: 'Run',
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `${boldName(playbook.title, 150)}\n${mrkdwnClip(step.text, RUNBOOK_TEXT_MAX.stepText)}\nRuns \`${mrkdwnClip(commandTemplate(step), 400)}\`${step.cwd ? ` in \`${mrkdwnClip(step.cwd, 100)}/\`` : ''}${
              step.destructive ? '\n:warning: This changes production.' : ''
            }${step.warning ? `\n:rotating_light: ${mrkdwnClip(step.warning, RUNBOOK_TEXT_MAX.stepWarning)}` : ''}`,
            LIMITS.sectionText,
          ),
        },
      },
      ...Object.entries(step.params).map(([name, spec]) => ({
        type: 'input' as const,
        block_id: `${BLOCK.paramPrefix}${name}`,
        label: { type: 'plain_text' as const, text: truncate(name, 2000) },
        hint: { type: 'plain_text' as const, text: truncate(PARAM_KINDS[spec.kind].hint, 2000) },
        element: {
          type: 'plain_text_input' as const,
          action_id: INPUT.param,
          max_length: maxLengthOf(spec.kind),
          ...(spec.default ? { initial_value: spec.default } : {}),
        },
      })),
    ],
  });
}

/** The longest deny reason, in characters: the form's max_length, and what a submission is held to. */
export const DENY_REASON_MAX = 300;

/** Deny asks why. Pure. */
export function denyModal(approvalId: number, privateMetadata: string): ModalView {
  return modal({
    callbackId: VIEW.denyReason,
    privateMetadata,
    title: 'Deny the run',
    submit: 'Deny',
    blocks: [
      {
        type: 'input',
        block_id: BLOCK.denyReason,
        label: { type: 'plain_text', text: `Why? (request #${approvalId})` },
        element: { type: 'plain_text_input', action_id: INPUT.summary, max_length: DENY_REASON_MAX },
      },
    ],
  });
}

/**
 * What a version typed means when no rollback is offered to it: the one sentence the rollback list
 * (`/incident rollback v56`) and a playbook step's version refused in its form both say. `where` ends the "not one of
 * the recent deployments" sentence (" below" on the list).
 */
function notOfferedWords(a: AskedVersion, where = ''): string {
  const v = `\`${mrkdwnClip(a.version ?? '', 40)}\``;
  switch (a.answer) {
    case 'current':
      return `${v} is the current version: there is nothing to roll back to there.`;
    case 'unhealthy':
      return `${v}'s deployment did not succeed, so it is not offered.`;
    default:
      return `\`${mrkdwnClip(a.typed, 40)}\` is not one of the recent deployments${where}.`;
  }
}

/** What the list says of a version typed with the command (`/incident rollback v57`). */
function askedLine(a: AskedVersion): string {
  const typed = `\`${mrkdwnClip(a.typed, 40)}\``;
  const v = `\`${mrkdwnClip(a.version ?? '', 40)}\``;
  switch (a.answer) {
    case 'offered':
      return `:point_right: ${a.version === a.typed ? 'You asked for' : `You asked for ${typed}, which is`} ${v}: press *Roll back to ${mrkdwnName(a.version ?? '', 40)}* below, then confirm.`;
    case 'current':
      return `:information_source: ${notOfferedWords(a)} Pick an earlier one below.`;
    case 'unhealthy':
      return `:warning: ${notOfferedWords(a)} Pick another version below.`;
    case 'unknown':
      return `:warning: ${notOfferedWords(a, ' below')} Pick one of them, or run \`atom-cli rollback <version>\` by hand for an older one.`;
  }
}

/** What the attached file of a long output holds: its size, and the command's own when they differ (and why). */
function attachedLine(run: RunView): string {
  const printed = run.bytes.toLocaleString('en-US');
  if (run.fileBytes === undefined || run.fileBytes === run.bytes) {
    return `Last lines shown; the full output (${printed} bytes, secrets masked; past 5 MiB, its first 5 MiB and its last lines) is attached as a file.`;
  }
  return `Last lines shown; the full output is attached as a file of ${run.fileBytes.toLocaleString('en-US')} bytes. The command printed ${printed} bytes: the file has secrets masked (and terminal codes around them removed) and, past 5 MiB, only its first 5 MiB and its last lines.`;
}

/** The versions to choose from instead, as a refusal lists them: `v57 (last good before current), v55`. */
function offeredList(offered: readonly OfferedVersion[]): string {
  return offered.map((o) => `${o.version}${o.lastGood ? ' (last good before current)' : ''}`).join(', ');
}

/**
 * A step's version refused in its form (plain text, under the field), in the rollback list's words, with the versions
 * to choose from: the deployment history's, read as the list reads it.
 */
export function versionRefusal(r: { asked: AskedVersion; offered: readonly OfferedVersion[] }): string {
  const older = r.asked.answer === 'unknown' ? ' (or run `atom-cli rollback <version>` by hand for an older one)' : '';
  const choose =
    r.offered.length > 0
      ? ` Pick another version: ${offeredList(r.offered)}${older}.`
      : ' No recent deployment is one to roll back to: see `atom-cli deployments`.';
  return truncate(`${notOfferedWords(r.asked)}${choose}`, 300);
}

/** `atom-cli deployments`, read: recent versions, the current one marked, "Roll back to vN" on the others. Pure. */
export function renderDeployments(
  deployments: DeploymentView[],
  suggested: string | null,
  runId: number | null = null,
  asked?: AskedVersion,
): Message {
  const blocks: KnownBlock[] = [
    ...(asked ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: askedLine(asked) } }] : []),
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Recent deployments* (newest first). Rolling back takes 3-5 minutes; the bot then checks status, health, nodes and logs.',
      },
    },
  ];
  // The button to press stands out: the version asked for, else the last good one.
  const primary = asked?.answer === 'offered' ? asked.version : suggested;
  for (const d of deployments.slice(0, LIMITS.blocksPerMessage - 3)) {
    const when = d.createdAt ? ` · ${d.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` : '';
    const line = `${d.current ? ':large_green_circle: *current* ' : ''}\`${mrkdwnClip(d.version, 40)}\`${d.status ? ` · ${mrkdwnClip(d.status, 40)}` : ''}${when}${d.description ? ` · ${mrkdwnClip(d.description, 80)}` : ''}${d.version === suggested ? ' · _last good before current_' : ''}${!d.current && d.unhealthy ? ' · _not offered: this deployment did not succeed_' : ''}`;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: line },
      // No one-click rollback to the current version, nor to one whose deployment failed (its own checks failed then).
      ...(d.current || d.unhealthy
        ? {}
        : {
            accessory: rollbackButton(d.version, runId, `Roll back to ${d.version}`, '', d.version === primary),
          }),
    });
  }
  return {
    text: `${asked ? `${askedLine(asked)}\n` : ''}Recent deployments: ${deployments.map((d) => `${d.version}${d.current ? ' (current)' : ''}`).join(', ')}`.slice(
      0,
      3000,
    ),
    blocks,
  };
}

/** A "Roll back to vN" button: its value (naming the run outside an incident), its confirmation (`why`, what to know). */
function rollbackButton(version: string, runId: number | null, label: string, why: string, primary: boolean) {
  return {
    type: 'button' as const,
    action_id: ACTION.rollbackTo,
    text: { type: 'plain_text' as const, text: truncate(label, LIMITS.buttonLabel) },
    // In a playbook run outside an incident, the button names the run too (its channel has no incident).
    value: runId === null ? version : rollbackRef.encode({ v: version, r: runId }),
    ...(primary ? { style: 'primary' as const } : {}),
    confirm: {
      title: { type: 'plain_text' as const, text: 'Roll back production?' },
      text: { type: 'mrkdwn' as const, text: truncate(`${why}This runs \`atom-cli rollback ${version}\`.`, 300) },
      confirm: { type: 'plain_text' as const, text: 'Roll back' },
      deny: { type: 'plain_text' as const, text: 'Cancel' },
      style: 'danger' as const,
    },
  };
}

/**
 * The deployment history could not be read (`why`): with a version typed that can be rolled back to, a button to roll
 * back to it anyway (its confirmation says the history was not read); else, or besides, the commands to run by hand.
 * Pure.
 */
export function renderHistoryUnread(typed: string | null, why: string, runId: number | null = null): Message {
  const version = typed && PARAM_KINDS.version.pattern.test(typed) ? typed : null;
  const head = `:warning: Couldn't read the deployment history (${mrkdwnClip(why, 300)}), so the bot cannot check ${
    typed ? `\`${mrkdwnClip(typed, 40)}\`` : 'which versions to offer'
  }.`;
  const byHand = version
    ? `Roll back to \`${version}\` anyway only if you know it is a good version, or run \`atom-cli deployments\` by hand to check first (then \`atom-cli rollback ${version}\`).`
    : typed
      ? `\`${mrkdwnClip(typed, 40)}\` needs the history to be read. Run \`atom-cli deployments\` by hand, then \`/incident rollback <version>\` with the version you pick (or \`atom-cli rollback <version>\` by hand).`
      : 'Run `atom-cli deployments` by hand, then `/incident rollback <version>` with the version you pick (the bot rolls back without the history, asking first), or `atom-cli rollback <version>` by hand.';
  const text = `${head}\n${byHand}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text },
        ...(version
          ? {
              accessory: rollbackButton(
                version,
                runId,
                `Roll back to ${version} anyway`,
                `The deployment history could not be read: the bot has not checked that ${version} exists or is a good version. `,
                false,
              ),
            }
          : {}),
      },
    ],
  };
}

/**
 * The rollback's (or deployment's) result and each post-deployment check: pass, fail, or not checked (it could not be
 * run, as not configured: to be checked by hand, neither a pass nor a failure). Pure.
 */
export function renderVerification(
  subject: VerificationSubject,
  checks: CheckResult[],
  verdict?: RollbackVerdict,
  /** What the deployment history said of the version after a failed rollback (rollbackNextSteps). */
  retry?: RetryAnswer,
): Message {
  const failed = checks.filter((c) => !c.ok && !c.unchecked).length;
  const unchecked = checks.filter((c) => c.unchecked).length;
  const passed = checks.length - failed - unchecked;
  const allOk = checks.length > 0 && passed === checks.length;
  const byHand = `${unchecked} could not be checked (below): check ${unchecked === 1 ? 'it' : 'them'} by hand`;
  const head =
    typeof subject === 'string'
      ? allOk
        ? `:white_check_mark: Rolled back to \`${mrkdwnClip(subject, 40)}\`; every post-deployment check passed.`
        : failed
          ? `:x: Rollback to \`${mrkdwnClip(subject, 40)}\`: ${failed} check(s) failed${unchecked ? `; ${unchecked} not checked` : ''}.`
          : `:warning: Rolled back to \`${mrkdwnClip(subject, 40)}\`: ${passed} post-deployment check(s) passed, ${byHand}.`
      : allOk
        ? `:white_check_mark: Deployed with \`${mrkdwnClip(subject.deployed, 200)}\`; every post-deployment check passed.`
        : failed
          ? `:x: Deployed with \`${mrkdwnClip(subject.deployed, 200)}\`: ${failed} post-deployment check(s) failed${unchecked ? `, ${unchecked} not checked` : ''}. Roll back from the list of deployments below.`
          : `:warning: Deployed with \`${mrkdwnClip(subject.deployed, 200)}\`: ${passed} post-deployment check(s) passed, ${byHand}.`;
  const mark = (c: CheckResult) =>
    c.ok ? ':white_check_mark: pass' : c.unchecked ? ':warning: not checked' : ':x: fail';
  const lines = checks.map(
    (c) =>
      `${mark(c)} · \`${mrkdwnClip(c.name, 200)}\` — expected ${mrkdwnClip(c.expected, 100)}; ${mrkdwnClip(c.detail, 500)}`,
  );
  const text = truncate(`${head}\n${lines.join('\n')}`, LIMITS.sectionText);
  const next = verdict ? rollbackNextSteps(verdict, retry) : null;
  return {
    text: next ? truncate(`${text}\n${next}`, 3000) : text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(next ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: next } }] : []),
    ],
  };
}

/**
 * After a rollback that failed (it did not run, or a check failed): what is running, and what to do next, with the
 * commands. The version is named to try again with only when the deployment history read after the failure offers a
 * rollback to it (`retry`); a version not in it (`/incident rollback v99` while the history could not be read) is
 * said to be missing, never offered again. Null when nothing failed. Pure.
 */
export function rollbackNextSteps(verdict: RollbackVerdict, retry: RetryAnswer = 'unread'): string | null {
  if (verdict.result !== 'failed' && verdict.result !== 'not_run') return null;
  const to = `\`${mrkdwnClip(verdict.version, 40)}\``;
  const running = verdict.running ? `\`${mrkdwnClip(verdict.running, 40)}\`` : null;
  const statusFailed = verdict.failed.some((f) => f.name === 'atom-cli status');
  const now =
    verdict.result === 'not_run'
      ? 'The rollback failed, so nothing was rolled back: the version running before it still is.'
      : running
        ? statusFailed
          ? `${running} is still running, not ${to}: the rollback did not take.`
          : `${running} is running, but the check(s) above failed.`
        : '`atom-cli status` showed no running version.';
  const byHand = 'check by hand: `atom-cli status`, `atom-cli deployments`, then `atom-cli rollback <version>`.';
  if (retry === 'unknown')
    return `*What now:* ${now} ${to} is not in the deployment history (\`atom-cli deployments\`): roll back with \`/incident rollback\` and pick a version it lists, or ${byHand}`;
  const again =
    retry === 'offered' && PARAM_KINDS.version.pattern.test(verdict.version)
      ? ` with \`/incident rollback ${mrkdwnClip(verdict.version, 40)}\``
      : '';
  const tryAgain = again ? `Try again${again}, roll back further` : 'Roll back';
  return `*What now:* ${now} ${tryAgain} with \`/incident rollback\` (pick ${again ? 'an older' : 'a'} version), or ${byHand}`;
}

/** The last look before a destructive step runs: the exact command, values filled in. Pure. */
export function confirmRunModal(
  step: CommandStep,
  playbook: Playbook,
  argv: string[],
  privateMetadata: string,
  /** Why the deployment history a version typed is checked against could not be read: said, the person decides. */
  historyUnread?: { why: string; versions: string[] },
  /** The steps of required sections before this one not done yet: named, the person decides. */
  notDone: readonly NotDoneStep[] = [],
): ModalView {
  const pending = notDone.length
    ? `\n:warning: ${notDoneText(notDone, 1200, 150)}. Running it now is recorded with them.`
    : '';
  const unread = historyUnread
    ? `\n:grey_question: Couldn't read the deployment history (${mrkdwnClip(historyUnread.why, 300)}), so ${historyUnread.versions
        .map((v) => `\`${mrkdwnClip(v, 40)}\``)
        .join(', ')} is not checked against it: make sure it is a version that deployed well before you run this.`
    : '';
  return modal({
    callbackId: VIEW.runConfirm,
    privateMetadata,
    title: notDone.length ? 'Run it anyway?' : 'Run in production?',
    submit: notDone.length ? 'Run anyway' : 'Run it',
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `${boldName(playbook.title, 150)} — ${mrkdwnClip(step.text, RUNBOOK_TEXT_MAX.stepText)}\nThis runs${step.cwd ? ` in \`${mrkdwnClip(step.cwd, 100)}/\`` : ''}:\n${codeBlock(argv.join(' '), 1506)}\n:warning: This changes production.${
              step.warning ? `\n:rotating_light: ${mrkdwnClip(step.warning, RUNBOOK_TEXT_MAX.stepWarning)}` : ''
            }${step.approval ? '\nA second person must approve it before it runs.' : ''}${unread}${pending}`,
            LIMITS.sectionText,
          ),
        },
      },
    ],
  });
}

/**
 * A confirmation answered with why nothing ran (a refusal, an out-of-date form): the question has no field to show it
 * under, and an ephemeral message in the channel would not reach someone who is not in it.
 */
export function notRunModal(text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Nothing was run' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }],
  };
}

const bareRelease = (v: string) => v.toLowerCase().replace(/^v(?=\d)/, '');

/**
 * What a rollback on record did, in words after "rolled back" or "Already rolled back": " to `v57` at 01:03 UTC by
 * @on-call; `v59`, made from it, is running". Pure.
 */
export function rolledBackWords(p: PastRollback): string {
  const { verdict } = p;
  const to = `to \`${mrkdwnClip(verdict.version, 40)}\` at ${p.at.toISOString().slice(11, 16)} UTC${p.by ? ` by ${mention(p.by)}` : ''}`;
  const running = verdict.running ? `\`${mrkdwnClip(verdict.running, 40)}\`` : null;
  if (verdict.result === 'not_run') return `${to}: tried, and it failed (nothing was rolled back)`;
  if (verdict.result === 'failed') {
    return verdict.failed.some((f) => f.name === 'atom-cli status') && running
      ? `${to}, but it did not take: ${running} is still running`
      : `${to}${running ? `; ${running} is running` : ''}, but post-deployment checks failed`;
  }
  if (!verdict.running) return `${to}; the version running now was not shown by \`atom-cli status\``;
  return bareRelease(verdict.running) === bareRelease(verdict.version)
    ? `${to}; ${running} is running`
    : `${to}; ${running}, made from it, is running`;
}

/**
 * A "Roll back to vN" pressed on a list older than a rollback: what happened since, and a button to roll back to
 * `version` again after all (Slack asking first). Pure.
 */
export function renderRollbackAgain(past: PastRollback, version: string, runId: number | null): Message {
  const same = bareRelease(past.verdict.version) === bareRelease(version);
  const lead =
    past.verdict.result === 'not_run'
      ? 'Since this list was posted, a rollback'
      : same
        ? 'Already rolled back'
        : 'Since this list was posted, rolled back';
  const text = `:warning: ${lead} ${rolledBackWords(past)}. This list is out of date. Roll back to \`${mrkdwnClip(version, 40)}\`${same ? ' again' : ''}?`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text },
        accessory: {
          type: 'button',
          action_id: ACTION.rollbackAgain,
          style: 'danger',
          text: {
            type: 'plain_text',
            text: truncate(`Roll back to ${version}${same ? ' again' : ''}`, LIMITS.buttonLabel),
          },
          value: rollbackAgainRef.encode(runId === null ? { v: version } : { v: version, r: runId }),
          confirm: {
            title: { type: 'plain_text', text: 'Roll back production?' },
            text: { type: 'mrkdwn', text: truncate(`This runs \`atom-cli rollback ${version}\` again.`, 300) },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Cancel' },
            style: 'danger',
          },
        },
      },
    ],
  };
}

/**
 * A list of deployments (as the click echoes its blocks) once a rollback made it out of date: what happened first,
 * its "Roll back to vN" buttons removed and, when the rollback took, its "current" mark struck, since they are no
 * longer right. Pure.
 */
export function settledDeployments(blocks: readonly unknown[], past: PastRollback): Message {
  const head = `:rewind: ${past.verdict.result === 'not_run' ? 'A rollback' : 'Rolled back'} ${rolledBackWords(past)}. ${OUT_OF_DATE}`;
  const took = past.verdict.result === 'passed' || past.verdict.result === 'unchecked';
  return outOfDateList(blocks, head, took);
}

const OUT_OF_DATE =
  'This list is out of date, so its buttons are gone: `/incident rollback` lists the deployments again.';

/** What a deploy since a list was posted did, in words: "`atom-cli deploy` at 01:03 UTC by @on-call". */
export const deployedWords = (d: { at: Date; by: string | null; deployed: string }) =>
  `\`${mrkdwnClip(d.deployed, 200)}\` at ${d.at.toISOString().slice(11, 16)} UTC${d.by ? ` by ${mention(d.by)}` : ''}`;

/** A "Roll back to vN" pressed on a list older than a deploy: nothing ran, and why. Pure. */
export function renderDeployedOver(deploy: { at: Date; by: string | null; deployed: string }): Message {
  const text = `:warning: This list is out of date: since it was posted, ${deployedWords(deploy)} deployed another version. Nothing was rolled back: \`/incident rollback\` lists the deployments again.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * A list of deployments (its blocks as posted) once a deploy made it out of date: what happened first, its "Roll back
 * to vN" buttons removed and its "current" mark struck (another version runs now). Pure.
 */
export function deployedOverList(
  blocks: readonly unknown[],
  deploy: { at: Date; by: string | null; deployed: string },
): Message {
  return outOfDateList(
    blocks,
    `:rewind: Deployed with ${deployedWords(deploy)} since this list was posted. ${OUT_OF_DATE}`,
    true,
  );
}

/** A list of deployments headed by `head`, its Roll back buttons removed, its "current" mark struck when `struck`. */
function outOfDateList(blocks: readonly unknown[], head: string, took: boolean): Message {
  const rows = blocks.flatMap((b): KnownBlock[] => {
    const block = b as KnownBlock & { block_id?: string; accessory?: { action_id?: string }; text?: { text?: string } };
    if (block.block_id === BLOCK.rollbackDone) return [];
    const { accessory, ...rest } = block;
    const kept = (accessory?.action_id === ACTION.rollbackTo ? rest : block) as KnownBlock & {
      text?: { text?: string };
    };
    // The version marked current is no longer so once the rollback took; when it did not, it still is.
    if (took && kept.type === 'section' && kept.text?.text) {
      return [
        {
          ...kept,
          text: { ...kept.text, text: kept.text.text.replace(':large_green_circle: *current* ', '_was current_ ') },
        } as KnownBlock,
      ];
    }
    return [kept];
  });
  return {
    text: head,
    blocks: [
      { type: 'section' as const, block_id: BLOCK.rollbackDone, text: { type: 'mrkdwn' as const, text: head } },
      ...rows,
    ].slice(0, LIMITS.blocksPerMessage),
  };
}
