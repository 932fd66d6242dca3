/** One line of a diff: kept (" "), removed ("-") or added ("+"). */
export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
  /** Line number in the old file (kept, removed) or the new file (added). */
  line: number;
}

/**
 * The lines that changed between two texts, with `context` kept lines around
 * each change (as `diff -u` shows them). A longest-common-subsequence table:
 * data maps are small files, and this needs no dependency.
 */
export function lineDiff(before: string, after: string, context = 3): DiffLine[][] {
  const a = before.split("\n");
  const b = after.split("\n");
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const all: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) all.push({ op: " ", text: a[i++], line: i }), j++;
    else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) all.push({ op: "+", text: b[j++], line: j });
    else all.push({ op: "-", text: a[i++], line: i });
  }
  // Keep the lines within `context` of a change; each run of kept lines is one hunk.
  const changed = all.flatMap((d, k) => (d.op === " " ? [] : [k]));
  const near = (k: number) => changed.some((c) => Math.abs(c - k) <= context);
  const hunks: DiffLine[][] = [];
  all.forEach((d, k) => {
    if (!near(k)) return;
    if (k === 0 || !near(k - 1)) hunks.push([]);
    hunks[hunks.length - 1].push(d);
  });
  return hunks;
}
