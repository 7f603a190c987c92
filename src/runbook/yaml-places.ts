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
