import type { CoverageEntry, CoverageSummary } from "../types.js";

/**
 * A skip reason as the summary groups it: an item's own figure is left out, the
 * limit it passed is kept ("larger than limits.maxFileSize (9.0 GiB > 8.0 GiB)"
 * and the same for 12 GiB group as "… (8.0 GiB)"; "(200:1)" stays).
 */
export function reasonGroup(reason: string): string {
  return reason
    .replace(/\(\d[^)>]*> ([^)]*)\)/g, "($1)")
    .replace(/ \d+:1 (?=over )/g, " ")
    .trim();
}

export function summarize(entries: CoverageEntry[]): CoverageSummary {
  const s: CoverageSummary = { total: entries.length, scanned: 0, skipped: 0, failed: 0, gaps: 0, skippedReasons: {} };
  let unlisted = 0;
  for (const e of entries) {
    s[e.status]++;
    if (e.gap && e.status === "skipped") s.gaps++;
    if (e.status === "skipped") {
      const reason = reasonGroup(e.reason ?? "unknown");
      s.skippedReasons[reason] = (s.skippedReasons[reason] ?? 0) + 1;
    }
    for (const u of e.unlisted ?? []) unlisted += u.findings;
  }
  if (unlisted) s.unlisted = unlisted;
  return s;
}

/** Items not fully searched: failures and gaps. Either makes the answer incomplete (exit bit 4, --accept-gaps). */
export function incomplete(summary: Pick<CoverageSummary, "failed" | "gaps">): number {
  return summary.failed + (summary.gaps ?? 0);
}

/** How a sweep marks a table too short for its values to decide anything (below the rules' minSamples). */
export const TOO_FEW_ROWS = "too few rows to judge";
