import type TableType from "cli-table3";
import { lazy } from "../lazy.js";

const Table = lazy<typeof TableType>("cli-table3");
import type { RunResult } from "../index.js";
import type { CoverageEntry, Finding } from "../types.js";
import { describeFile, describePlace, describeWhat } from "./describe.js";

/** Exit codes: bit 1 = something was found, bit 4 = some items could not be searched, bit 8 = new discoveries (sweep). */
export const EXIT = { CLEAN: 0, FOUND: 1, USAGE: 2, INCOMPLETE: 4, NEW_DISCOVERIES: 8 } as const;

export function exitCode(result: Pick<RunResult, "findings" | "coverage">): number {
  return (result.findings.length ? EXIT.FOUND : 0) | (result.coverage.summary.failed ? EXIT.INCOMPLETE : 0);
}

export function toJson(result: RunResult, note?: string): string {
  return JSON.stringify({ findings: result.findings, coverage: result.coverage, ...(note ? { note } : {}) }, null, 2);
}

const MAX_LISTED_PER_REASON = 10;

function entryWhere(e: CoverageEntry): string {
  return `${e.source === "fs" ? "" : `${e.source}: `}${describeFile(e)}`;
}

/** What could not be searched, listed so a person can go and look. */
export function coverageReport(result: RunResult, verbose: boolean): string {
  const { summary, items } = result.coverage;
  const out: string[] = [];
  out.push(
    `Searched ${summary.total} item${summary.total === 1 ? "" : "s"}: ${summary.scanned} scanned, ${summary.skipped} skipped, ${summary.failed} failed.`,
  );
  const failed = items.filter((e) => e.status === "failed");
  if (failed.length) {
    out.push("", `Could not search (${failed.length}):`);
    for (const e of failed) out.push(`  ✗ ${entryWhere(e)}: ${e.error}`);
  }
  const skipped = items.filter((e) => e.status === "skipped");
  if (skipped.length) {
    out.push("", `Skipped (${skipped.length}):`);
    const byReason = new Map<string, CoverageEntry[]>();
    for (const e of skipped) byReason.set(e.reason ?? "", [...(byReason.get(e.reason ?? "") ?? []), e]);
    for (const [reason, entries] of byReason) {
      const shown = verbose ? entries : entries.slice(0, MAX_LISTED_PER_REASON);
      for (const e of shown) out.push(`  - ${entryWhere(e)}: ${reason}`);
      if (shown.length < entries.length) out.push(`    … and ${entries.length - shown.length} more: ${reason} (--verbose lists all)`);
    }
  }
  if (summary.failed) out.push("", "The search is INCOMPLETE: the places above could not be read.");
  return out.join("\n");
}

export function findingsTable(findings: Finding[], mode: "scan" | "sweep"): string {
  if (findings.length === 0) return mode === "scan" ? "No match found." : "No column with personal data found.";
  const table = new (Table())({
    head: mode === "scan" ? ["File", "Where", "Matched", "Count", "Conf.", "Evidence", "System"] : ["File", "Column", "PII type", "Conf.", "Why", "System"],
    wordWrap: true,
    colWidths: mode === "scan" ? [34, 30, 16, 7, 7, 44, 16] : [34, 24, 22, 7, 56, 16],
    style: { head: [], border: [] },
  });
  for (const f of findings) {
    const file = `${f.source === "fs" ? "" : `${f.source}: `}${describeFile(f.location)}`;
    if (mode === "scan") {
      table.push([file, describePlace(f.location), describeWhat(f), String(f.count), f.confidence.toFixed(2), f.evidence, f.system ?? "unmapped"]);
    } else {
      const column = f.location.sheet ? `${f.location.sheet} / ${f.location.column}` : (f.location.column ?? "");
      table.push([file, column, describeWhat(f), f.confidence.toFixed(2), f.evidence, f.system ?? "unmapped"]);
    }
  }
  const files = new Set(findings.map((f) => `${f.source}\u0000${describeFile(f.location)}`)).size;
  const noun = mode === "scan" ? "match" : "column";
  return `${table.toString()}\n${findings.length} ${noun}${findings.length === 1 ? "" : mode === "scan" ? "es" : "s"} in ${files} file${files === 1 ? "" : "s"}.`;
}
