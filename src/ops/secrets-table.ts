/**
 * Reads a secrets table, as `atom-cli secrets list` (or `kubectl`, or a CLI of the kind) may print one:
 *
 *     NAME                   DIGEST            VALUE
 *     DATABASE_URL           3f2a9c1d3f2a9c1d  postgresql://app:hunter2@db/atom
 *     NEXTAUTH_SECRET        403bad2e403bad2e  7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f11
 *
 * A value stands alone in its column, with no name or prefix on its side of the line for a pattern to find, so the
 * redactor masks the whole value column of the rows that follow such a header, up to the next blank line.
 */

/** A line shaped like a table header: two to eight capitalized words (bounded, so finding it stays linear). */
const HEADER_SHAPE = /^[ \t]*[A-Z][A-Za-z_]*(?:[ \t]+[A-Z][A-Za-z_]*){1,7}[ \t]*\r?$/gm;
const HEADER_WORD = /^[A-Z][A-Za-z_]*$/;
/** A ruler under a header (`----  ------`), which has no value to mask. */
const TABLE_RULER = /^[\s\-=+|:]*$/;
const WIDE_GAP = /\t| {2,}/;

/** Where the values are in a secrets table, read from its header. */
export interface TableColumns {
  /** Columns two blanks or a tab apart, at fixed offsets; else one blank apart, and only the field count tells. */
  aligned: boolean;
  /** The value is the index-th field of a row... */
  index: number;
  /** ...and starts at this column of the line in a row laid out like the header. */
  offset: number;
}

interface Field {
  at: number;
  end: number;
}

/** The fields of a line and where each starts and ends; in an aligned table a field may hold single blanks. */
function fields(line: string, aligned: boolean): Field[] {
  const field = aligned ? /\S(?:\S| (?=\S))*/g : /\S+/g;
  return [...line.matchAll(field)].map((m) => ({ at: m.index, end: m.index + m[0].length }));
}

/** True when `block` holds the header of a secrets table; only then are its lines looked at one by one. */
export function holdsTableHeader(block: string): boolean {
  for (const match of block.matchAll(HEADER_SHAPE)) if (tableHeader(match[0])) return true;
  return false;
}

/**
 * The columns of a secrets table if `line` is its header (`NAME  DIGEST  VALUE`, `Name  Created At  Value`): two to
 * eight capitalized words, a NAME or KEY column, then a VALUE column. Otherwise null.
 */
export function tableHeader(line: string): TableColumns | null {
  const words = line.trim().split(/\s+/);
  if (words.length < 2 || words.length > 8 || !words.every((w) => HEADER_WORD.test(w))) return null;
  const aligned = line.trim().split(WIDE_GAP).length >= 2;
  const columns = fields(line, aligned);
  const names = columns.map((f) => line.slice(f.at, f.end));
  const name = names.findIndex((n) => /^(?:name|key)$/i.test(n));
  const value = names.findIndex((n) => /^value$/i.test(n));
  if (name === -1 || value <= name) return null;
  return { aligned, index: value, offset: columns[value]?.at ?? 0 };
}

/**
 * Where the value starts in a row of the table; everything from there to the end of the line is masked, since a
 * value may hold blanks (a column after it, rare, is lost rather than risk a value spilling into it). A row not
 * laid out like the header (a long name pushing the columns right, an empty column) is masked from the earliest
 * field that could be the value, so a digest may go with it. In a table whose columns are one blank apart, the
 * value is the field at the header's count, or the last field of a shorter row. Null: nothing to mask (a ruler, a
 * row with one field).
 */
export function valueStart(line: string, columns: TableColumns): number | null {
  if (TABLE_RULER.test(line)) return null;
  const row = fields(line, columns.aligned);
  const exact = columns.aligned ? row.find((f) => f.at === columns.offset)?.at : undefined;
  const candidates =
    exact !== undefined
      ? [exact]
      : columns.aligned
        ? [row[columns.index]?.at, row.find((f) => f.end > columns.offset)?.at]
        : [row[columns.index]?.at ?? row.at(-1)?.at];
  const starts = candidates.filter((at): at is number => at !== undefined && at > 0);
  return starts.length === 0 ? null : Math.min(...starts);
}
