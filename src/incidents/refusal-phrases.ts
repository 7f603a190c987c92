import { AlreadyDoneError, DomainError, type Phrase, resolvedError } from './errors.js';
import { type SeenFields, WRITTEN_FIELDS } from './status-merge.js';
import { isBlank } from './text.js';
import type { Incident, StatusUpdateInput } from './types.js';

/*
 * What a change refused on a resolved incident says (a second resolution, a status update after one, a form that does
 * not fit), and what the person wrote given back to them with it (givenBack).
 */

/** A status update form that does not fit the incident it names (another incident's, or forged). */
export function formOutOfDate(): DomainError {
  return new DomainError(
    'form_out_of_date',
    'This form does not fit the incident as it is now (what it showed is not there), so nothing was posted. Close it and open a new one with `/incident update` in the incident channel.',
  );
}

/**
 * A resolution of an incident resolved already (two people resolving at once): who resolved it and with what summary,
 * and the summary this person wrote, given back when it was another's resolution, so that it is not lost.
 */
export function alreadyResolved(cur: Incident, actorId: string, summary: string): AlreadyDoneError {
  const by: Phrase = cur.resolvedBy ? [' by ', { people: [cur.resolvedBy] }] : [];
  const kept: Phrase = cur.resolutionSummary ? [': ', { typed: cur.resolutionSummary, max: 300 }] : [];
  const mine =
    cur.resolvedBy !== actorId && summary.trim() && summary.trim() !== cur.resolutionSummary?.trim()
      ? ([
          ' Your summary was not recorded; post it in the channel or put it in the post-mortem (`/incident postmortem`): ',
          { typed: summary.trim(), max: 300 },
        ] as Phrase)
      : [];
  if (cur.resolvedBy === actorId) return new AlreadyDoneError(['You resolved this incident already', ...kept, '.']);
  return new AlreadyDoneError(['This incident is already resolved', ...by, ...kept, '.', ...mine]);
}

/**
 * How an incident resolved already is said to a person who would resolve it or update it: `Incident #7 is already
 * resolved by <who> at <when>: <its summary>.`, `at` saying the time (on that person's clock, where it is known).
 */
export function alreadyResolvedPhrase(cur: Incident, at: (t: Date) => string): Phrase {
  return [
    `Incident #${cur.number} is already resolved`,
    ...(cur.resolvedBy ? ([' by ', { people: [cur.resolvedBy] }] as Phrase) : []),
    ...(cur.resolvedAt ? [` at ${at(cur.resolvedAt)}`] : []),
    ...(cur.resolutionSummary ? ([': ', { typed: cur.resolutionSummary, max: 300 }] as Phrase) : []),
    '.',
  ];
}

/** `2026-12-06 07:40 UTC`: a time said by the domain, where nobody's clock is known. */
const utcMinute = (t: Date) => `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * A status update saying Resolved of an incident resolved already: who resolved it, when and how, that nothing was
 * posted (a resolved incident takes no status update), how to post it all the same, and what was written given back.
 */
export function resolvedBeforeUpdate(cur: Incident, update: StatusUpdateInput): DomainError {
  return new DomainError('already_resolved', [
    ...alreadyResolvedPhrase(cur, utcMinute),
    ...givenBack(
      ` Your update was not posted: a resolved incident takes no more status updates. To post it, reopen the incident first (\`/incident reopen [why]\`) and post it again.`,
      'post it in the channel, or put it in the post-mortem, `/incident postmortem`',
      update,
    ),
  ]);
}

/**
 * Refuses to open the status update form of a resolved incident (its card's Post status update, `/incident update`),
 * saying how to reopen it: its submission would be refused (resolvedMeanwhile).
 */
export function mustTakeUpdates(i: Incident): void {
  if (i.status === 'resolved') throw resolvedError('This incident is resolved; it takes no more status updates.');
}

/**
 * A status update for an incident resolved meanwhile (another person resolved it while this one wrote): refused, saying
 * how to post it all the same (reopen first), and what the person wrote is given back to them, so that it is not lost.
 */
export function resolvedMeanwhile(update: StatusUpdateInput, seen: SeenFields | undefined): DomainError {
  const lead = `This incident ${seen ? 'was resolved while you wrote your update' : 'is resolved'}, so it takes no more status updates and yours was not posted. To post it, reopen the incident first (\`/incident reopen [why]\`) and post it again.`;
  return new DomainError(
    'incident_resolved',
    givenBack(lead, 'put it in the post-mortem, `/incident postmortem`, or in the channel', update),
  );
}

/**
 * `lead`, then what the person wrote in a status update that was not posted, so that it is not lost (`where`: where
 * to put it); `lead` alone when they wrote nothing.
 */
export function givenBack(lead: string, where: string, update: StatusUpdateInput): Phrase {
  const written = WRITTEN_FIELDS.filter(({ field }) => !isBlank(update[field]));
  if (written.length === 0) return [lead];
  return [
    `${lead} What you wrote, so that it is not lost (${where}):`,
    ...written.flatMap(({ label, field }) => [`\n*${label}:* `, { typed: update[field].trim(), max: 700 }]),
  ];
}
