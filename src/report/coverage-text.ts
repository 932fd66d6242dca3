import { fileURLToPath } from "node:url";
import type { CoverageEntry, RunResult } from "../types.js";
import { NO_COLOURS, type Paint } from "./colour.js";
import { describeFile } from "./describe.js";

/** Skipped items listed per reason unless --verbose (the README and --help say the same). */
export const MAX_LISTED_PER_REASON = 10;

function entryWhere(e: CoverageEntry): string {
  // What could not be read is named by its full path: the person who must look needs to find it.
  const file = e.status === "failed" && !e.member && e.uri.startsWith("file:") ? fileURLToPath(e.uri) : describeFile(e);
  return `${e.source === "fs" ? "" : `${e.source}: `}${file}`;
}

/** What could not be searched, listed so a person can go and look. */
export function coverageReport(result: RunResult, verbose: boolean, p: Paint = NO_COLOURS): string {
  const { summary, items } = result.coverage;
  const out: string[] = [];
  out.push(
    `Searched ${summary.total} item${summary.total === 1 ? "" : "s"}: ${summary.scanned} scanned, ${summary.skipped} skipped, ${summary.failed} failed.`,
  );
  const failed = items.filter((e) => e.status === "failed");
  if (failed.length) {
    out.push("", p.bad(`Could not search (${failed.length}):`));
    for (const e of failed) out.push(`  ${p.bad("✗")} ${entryWhere(e)}: ${e.error}`);
  }
  const skipped = items.filter((e) => e.status === "skipped");
  if (skipped.length) {
    out.push("", `Skipped (${skipped.length}):`);
    const byReason = new Map<string, CoverageEntry[]>();
    for (const e of skipped) {
      const reason = e.reason ?? "";
      const list = byReason.get(reason);
      if (list) list.push(e);
      else byReason.set(reason, [e]);
    }
    for (const [reason, entries] of byReason) {
      const shown = verbose ? entries : entries.slice(0, MAX_LISTED_PER_REASON);
      for (const e of shown) out.push(`  - ${entryWhere(e)}: ${reason}`);
      if (shown.length < entries.length) out.push(p.dim(`    … and ${entries.length - shown.length} more: ${reason} (--verbose lists all)`));
    }
  }
  if (summary.failed) out.push("", p.bad(p.bold("The search is INCOMPLETE: the places above could not be read.")));
  return out.join("\n");
}
