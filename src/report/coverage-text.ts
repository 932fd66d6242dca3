import { fileURLToPath } from "node:url";
import type { CoverageEntry, RunResult } from "../types.js";
import { NO_COLOURS, type Paint } from "./colour.js";
import { counted, describeFile, describeUnlisted } from "./describe.js";
import { TOO_FEW_ROWS } from "../engine/coverage.js";

/** Skipped items listed per reason unless --verbose (the README and --help say the same). */
export const MAX_LISTED_PER_REASON = 10;

function entryWhere(e: CoverageEntry): string {
  // What could not be read is named by its full path: the person who must look needs to find it.
  const file = e.status === "failed" && !e.member && e.uri.startsWith("file:") ? fileURLToPath(e.uri) : describeFile(e);
  return `${e.source === "fs" ? "" : `${e.source}: `}${file}`;
}

/** Entries listed per reason: the first MAX_LISTED_PER_REASON of each unless verbose. */
function byReason(entries: CoverageEntry[], verbose: boolean, p: Paint): string[] {
  const out: string[] = [];
  const groups = new Map<string, CoverageEntry[]>();
  for (const e of entries) {
    const reason = e.reason ?? "";
    const list = groups.get(reason);
    if (list) list.push(e);
    else groups.set(reason, [e]);
  }
  for (const [reason, list] of groups) {
    const shown = verbose ? list : list.slice(0, MAX_LISTED_PER_REASON);
    for (const e of shown) out.push(`  - ${entryWhere(e)}: ${reason}`);
    if (shown.length < list.length) out.push(p.dim(`    … and ${list.length - shown.length} more: ${reason} (--verbose lists all)`));
  }
  return out;
}

/** What could not be searched, listed so a person can go and look. */
export function coverageReport(result: RunResult, verbose: boolean, p: Paint = NO_COLOURS): string {
  const { summary, items } = result.coverage;
  const out: string[] = [];
  const gaps = summary.gaps ?? 0;
  out.push(
    `Searched ${summary.total} item${summary.total === 1 ? "" : "s"}: ${summary.scanned} scanned, ${summary.skipped} skipped${gaps ? ` (${gaps} not fully searched)` : ""}, ${summary.failed} failed.`,
  );
  const unlisted = items.filter((e) => e.unlisted?.length);
  if (unlisted.length) {
    out.push("", `Counted, not listed one by one (${counted(summary.unlisted ?? 0)} past limits.maxFindingsPerColumn):`);
    for (const e of unlisted) for (const u of e.unlisted!) out.push(`  - ${entryWhere(e)}: ${describeUnlisted(u)}`);
  }
  const failed = items.filter((e) => e.status === "failed");
  if (failed.length) {
    out.push("", p.bad(`Could not search (${failed.length}):`));
    for (const e of failed) out.push(`  ${p.bad("✗")} ${entryWhere(e)}: ${e.error}`);
  }
  // Gaps: not fully searched although nobody left them out (a limit, an unsupported type, binary content).
  const gapItems = items.filter((e) => e.status === "skipped" && e.gap);
  if (gapItems.length) out.push("", p.bad(`Not fully searched (${gapItems.length}):`), ...byReason(gapItems, verbose, p));
  // A sweep's tables too short to judge by values: read, but say so (their columns were judged by headers only).
  const thin = items.filter((e) => e.status === "scanned" && e.method?.startsWith(TOO_FEW_ROWS));
  if (thin.length) out.push("", `Too few rows to judge by values (${thin.length}):`, ...byReason(thin.map((e) => ({ ...e, reason: e.method })), verbose, p));
  const skipped = items.filter((e) => e.status === "skipped" && !e.gap);
  if (skipped.length) out.push("", `Skipped (${skipped.length}):`, ...byReason(skipped, verbose, p));
  if (summary.failed || gaps) out.push("", p.bad(p.bold("The search is INCOMPLETE: the places above could not be read or fully searched.")));
  return out.join("\n");
}
