import type { PastCapView } from './alert-types.js';

/** Storm control's window: at most `maxIncidents` incidents opened from one source's alerts in it. */
export const STORM_WINDOW_MS = 10 * 60_000;

/** The timeline's note of a storm joining an incident (its channel and the incidents channel are told apart). */
export const stormNote = (source: string) =>
  `Alert storm: ${source} reached its cap of incidents from alerts in ${STORM_WINDOW_MS / 60_000} minutes (ALERTS_MAX_INCIDENTS); its further critical alerts join this incident`;
/** The timeline's note of an incident storm control opened past the cap, its alerts more severe than any open. */
export const pastCapNote = (v: PastCapView) =>
  `Opened past the storm cap: ${v.source} had opened its ${v.maxIncidents} incidents from alerts in ${STORM_WINDOW_MS / 60_000} minutes (ALERTS_MAX_INCIDENTS), but these alerts declare SEV-${v.severity}, more severe than every incident of it open (the most severe SEV-${v.than}), so none took them`;
/** The timeline's note of a storm back at an incident it had left (told again, as when it first joined it). */
export const stormBackNote = (source: string) =>
  `Alert storm: ${source}'s further critical alerts join this incident again, the storm's incident once more`;
/**
 * A storm back at an incident it moved to or from less than this long ago is a flap, not told again, by default
 * (ALERTS_STORM_RETURN_GAP).
 */
export const DEFAULT_STORM_RETURN_GAP_MS = 10 * 60_000;
