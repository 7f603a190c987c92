import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/** Where an entry of the runbook file is: its line, or the line of the nearest entry around it that is there. */
export interface Place {
  line: number;
  /** False when the entry itself is not in the file (a missing key): `line` is that of the entry holding it. */
  exact: boolean;
}

/** A problem's path as the runbook's problems write it (`playbooks.deploy.mitigation.0.run`), as segments. */
export function pathSegments(path: string): string[] {
  return path.split('.');
}

/**
 * The line of the entry at `path` in a parsed YAML document (1-based), following aliases; when the path goes further
 * than the file does, the deepest entry that is there. Null when not even the first segment is.
 */
export function placeOf(doc: Document, lines: LineCounter, path: readonly string[]): Place | null {
  let node: unknown = doc.contents;
  let found: number | null = null;
  for (const [i, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    let at: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment);
      if (!pair) return found === null ? null : { line: found, exact: false };
      at = (pair.key as Node | null)?.range?.[0];
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return found === null ? null : { line: found, exact: false };
      at = (item as Node | null)?.range?.[0];
      node = item;
    } else {
      return found === null ? null : { line: found, exact: false };
    }
    if (at !== undefined) found = lines.linePos(at).line;
    if (i === path.length - 1 && found !== null) return { line: found, exact: true };
  }
  return found === null ? null : { line: found, exact: true };
}

/**
 * A problem as `path: message` with its line put after the path (`path (line 12): message`, or `near line 12` when
 * the entry is missing and the line is that of the one that should hold it). A problem without a path is returned
 * as it is.
 */
export function withLine(problem: string, locate: (path: string[]) => Place | null): string {
  const m = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*): /.exec(problem);
  if (!m?.[1]) return problem;
  const place = locate(pathSegments(m[1]));
  if (!place) return problem;
  return `${m[1]} (${place.exact ? '' : 'near '}line ${place.line})${problem.slice(m[1].length)}`;
}
