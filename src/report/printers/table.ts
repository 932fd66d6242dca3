import type TableType from "cli-table3";
import { lazy } from "../../lazy.js";
import type { Finding } from "../../types.js";
import { coverageReport } from "../coverage-text.js";
import { describeFile, describePlace, describeWhat } from "../describe.js";
import type { PrinterFactory } from "./printer.js";

const Table = lazy<typeof TableType>("cli-table3");

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

/** `--format table` (the default): findings as a table, then what was searched and what could not be. */
export const tablePrinter: PrinterFactory = (ctx) => ({
  end(result, note) {
    ctx.out.write(`${findingsTable(result.findings, ctx.mode)}\n\n${coverageReport(result, ctx.verbose)}\n${note ? `\n${note}\n` : ""}`);
    for (const w of result.warnings) ctx.err.write(`warning: ${w}\n`);
  },
});
