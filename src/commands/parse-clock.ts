/**
 * A time of day as typed, on the 24-hour clock (`18:00`, `9:05`, `18:00Z`) or the 12-hour one (`6pm`, `6:30pm`,
 * `9AM`, `6 pm` once joined by joinMeridiem, `12am` midnight, `12pm` noon), for typedMoment: an override's start and
 * end, the on-call board's moment, a maintenance window's end.
 */
export type ClockTime = { h: number; m: number; utc: boolean };

const TWENTY_FOUR = /^([01]?\d|2[0-3]):([0-5]\d)(z?)$/i;
/** An hour and maybe its minutes, then am or pm (`a.m.`, `P.M.` too): read, or refused, by clockOf. */
const TWELVE = /^(\d{1,2})(?::(\d{2}))?([ap])\.?m\.?$/i;
const MERIDIEM = /^[ap]\.?m\.?$/i;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The time one word holds: its hour and minute (`utc`: a `Z` after it); a sentence saying what is wrong with a
 * 12-hour time that is none (`13pm`, `0am`, `6:75pm`), after "`6:75pm` is not a time: "; null when the word is no
 * time at all (`tea`, `25:00`), for the caller to say in its words.
 */
export function clockOf(word: string): ClockTime | { problem: string } | null {
  const t = TWENTY_FOUR.exec(word);
  if (t) return { h: Number(t[1]), m: Number(t[2]), utc: t[3] !== '' };
  const twelve = TWELVE.exec(word);
  if (!twelve) return null;
  const [h, m, pm] = [Number(twelve[1]), twelve[2] === undefined ? 0 : Number(twelve[2]), /p/i.test(twelve[3]!)];
  const mm = twelve[2] === undefined ? '' : `:${twelve[2]}`;
  if (h === 0)
    return { problem: `with am or pm the hour runs from 1 to 12; midnight is \`12am\` (or \`00:00\`), noon \`12pm\`` };
  if (h > 12)
    return {
      problem:
        h < 24
          ? `with am or pm the hour runs from 1 to 12; write \`${h - 12}${mm}pm\`, or \`${pad(h)}${mm || ':00'}\` on the 24-hour clock`
          : 'with am or pm the hour runs from 1 to 12, e.g. `6pm` or `9:30am`',
    };
  if (m > 59) return { problem: `the minutes run from 00 to 59, e.g. \`${h}:45${pm ? 'pm' : 'am'}\`` };
  return { h: (h % 12) + (pm ? 12 : 0), m, utc: false };
}

/** Whether a word is a time of day (a 12-hour one that is none counts: it is meant as one). */
export const isClock = (word: string) => clockOf(word) !== null;

/** `6 pm`, `6:30 PM`, `18:00 pm`: an hour (and minutes) and am or pm typed apart, joined into one word (`6pm`). */
export function joinMeridiem(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const prev = out.at(-1);
    if (prev !== undefined && MERIDIEM.test(w) && /^\d{1,2}(:\d{2})?$/.test(prev)) out[out.length - 1] = `${prev}${w}`;
    else out.push(w);
  }
  return out;
}
