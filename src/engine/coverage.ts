import type { CoverageEntry, CoverageSummary } from "../types.js";

export function summarize(entries: CoverageEntry[]): CoverageSummary {
  const s: CoverageSummary = { total: entries.length, scanned: 0, skipped: 0, failed: 0, gaps: 0, skippedReasons: {} };
  for (const e of entries) {
    s[e.status]++;
    if (e.gap && e.status === "skipped") s.gaps++;
    if (e.status === "skipped") {
      // Group "excluded by **/tmp" and "excluded by *.bak" apart, but not per file size.
      const reason = (e.reason ?? "unknown").replace(/\(\d[^)]*\)/g, "").trim();
      s.skippedReasons[reason] = (s.skippedReasons[reason] ?? 0) + 1;
    }
  }
  return s;
}

/** Items not fully searched: failures and gaps. Either makes the answer incomplete (exit bit 4, --accept-gaps). */
export function incomplete(summary: Pick<CoverageSummary, "failed" | "gaps">): number {
  return summary.failed + (summary.gaps ?? 0);
}

/** How a sweep marks a table too short for its values to decide anything (below the rules' minSamples). */
export const TOO_FEW_ROWS = "too few rows to judge";
