import { structuredPatch } from "diff";

/** One line of a diff: kept (" "), removed ("-") or added ("+"). */
export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
  /** Line number in the old file (kept, removed) or the new file (added). */
  line: number;
}

/** The lines that changed between two texts, in hunks with `context` kept lines around each change (as `diff -u` shows them). */
export function lineDiff(before: string, after: string, context = 3): DiffLine[][] {
  return structuredPatch("before", "after", before, after, "", "", { context }).hunks.map((h) => {
    let oldLine = h.oldStart;
    let newLine = h.newStart;
    // "\ No newline at end of file" markers are not lines of either file.
    return h.lines
      .filter((l) => !l.startsWith("\\"))
      .map((l): DiffLine => {
        const op = l[0] as DiffLine["op"];
        const line = op === "+" ? newLine++ : op === "-" ? oldLine++ : (newLine++, oldLine++);
        return { op, text: l.slice(1), line };
      });
  });
}
