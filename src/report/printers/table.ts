import type { CoverageEntry, Finding } from "../../types.js";
import { paint, type Paint } from "../colour.js";
import { coverageReport } from "../coverage-text.js";
import { counted, describeFile, describePlace, describeUnlisted, describeWhat } from "../describe.js";
import { row, type Cell } from "../text-layout.js";
import type { PrintContext, PrinterFactory } from "./printer.js";
import { Sink } from "./sink.js";

/** Below this width the columns would be too thin to read: one plain line per finding instead. */
export const MIN_TABLE_WIDTH = 100;
const INDENT = "  ";

const fileOf = (f: Finding) => `${f.source === "fs" ? "" : `${f.source}: `}${describeFile(f.location)}`;
const placeOf = (f: Finding) =>
  f.kind === "pii-column" ? columnOf(f) : f.kind === "unlocated" ? `somewhere in it (${f.cause})` : describePlace(f.location);
const columnOf = (f: Finding) => (f.location.sheet ? `${f.location.sheet} / ${f.location.column}` : (f.location.column ?? ""));

/** The fixed columns of the wide layout, and how wide each is for a given terminal width. */
function columnsFor(mode: "scan" | "sweep", width: number) {
  const usable = width - INDENT.length;
  if (mode === "scan") {
    const heads = ["Where", "Matched", "Count", "Conf.", "System", "Evidence"];
    const fixed = [Math.max(18, Math.floor(usable * 0.22)), 16, 5, 5, 16];
    return { heads, widths: [...fixed, usable - fixed.reduce((a, b) => a + b + 2, 0)] };
  }
  const heads = ["Column", "PII type", "Conf.", "System", "Why"];
  const fixed = [Math.max(18, Math.floor(usable * 0.22)), 24, 5, 16];
  return { heads, widths: [...fixed, usable - fixed.reduce((a, b) => a + b + 2, 0)] };
}

function cellsOf(f: Finding, mode: "scan" | "sweep", p: Paint): Cell[] {
  const system: Cell = f.system ? { text: f.system } : { text: "unmapped", paint: p.warn };
  if (mode === "scan") {
    return [{ text: placeOf(f) }, { text: describeWhat(f), paint: p.match }, { text: String(f.count) }, { text: f.confidence.toFixed(2) }, system, { text: f.evidence }];
  }
  return [{ text: placeOf(f) }, { text: describeWhat(f), paint: p.match }, { text: f.confidence.toFixed(2) }, system, { text: f.evidence }];
}

/** One finding on one unwrapped line, for pipes, grep and narrow terminals: `file:place: what ×count conf [system] evidence`. */
export function plainLine(f: Finding, mode: "scan" | "sweep", p: Paint): string {
  const system = f.system ? `[${f.system}]` : p.warn("[unmapped]");
  const count = mode === "scan" ? ` ×${f.count}` : "";
  return `${p.file(fileOf(f))}:${placeOf(f)}: ${p.match(describeWhat(f))}${count} ${f.confidence.toFixed(2)} ${system} ${f.evidence}`;
}

function summaryLine(mode: "scan" | "sweep", listed: number, unlisted: number, files: number): string {
  const findings = listed + unlisted;
  if (findings === 0) return mode === "scan" ? "No match found." : "No column with personal data found.";
  const noun = mode === "scan" ? (findings === 1 ? "match" : "matches") : findings === 1 ? "column" : "columns";
  const more = unlisted ? ` (${counted(listed)} listed, ${counted(unlisted)} more counted by column)` : "";
  return `${counted(findings)} ${noun} in ${files} file${files === 1 ? "" : "s"}${more}.`;
}

const entryFile = (e: CoverageEntry) => `${e.source === "fs" ? "" : `${e.source}: `}${describeFile(e)}`;

/**
 * `--format table` (the default): each finding printed as it is found, fitted to
 * the terminal (a heading per file, never cut, then a row per place), or a plain
 * line per finding when piped or narrow; then what was searched and what was not.
 */
export const tablePrinter: PrinterFactory = (ctx: PrintContext) => {
  const p = paint(ctx.color);
  const sink = new Sink(ctx.out, ctx.beforeWrite);
  const layout = ctx.width !== undefined && ctx.width >= MIN_TABLE_WIDTH ? columnsFor(ctx.mode, ctx.width) : undefined;
  const files = new Set<string>();
  let lastFile: string | undefined;
  let count = 0;
  let unlisted = 0;
  return {
    event(e) {
      if (e.type === "coverage" && e.entry.unlisted) {
        // The count past limits.maxFindingsPerColumn, under the rows of its file.
        const file = entryFile(e.entry);
        files.add(file);
        for (const u of e.entry.unlisted) {
          unlisted += u.findings;
          if (!layout) sink.write(`${p.file(file)}: … and ${describeUnlisted(u)}\n`);
          else {
            if (file !== lastFile) sink.write(`${p.file(file)}\n`);
            lastFile = file;
            sink.write(`${INDENT}${p.dim(`… and ${describeUnlisted(u)}`)}\n`);
          }
        }
      }
      if (e.type !== "finding") return;
      const f = e.finding;
      const file = fileOf(f);
      files.add(file);
      count++;
      if (!layout) {
        sink.write(`${plainLine(f, ctx.mode, p)}\n`);
        return;
      }
      if (count === 1) sink.write(`${p.dim(row(layout.heads.map((text) => ({ text })), layout.widths, INDENT))}\n`);
      if (file !== lastFile) sink.write(`${p.file(file)}\n`);
      lastFile = file;
      sink.write(`${row(cellsOf(f, ctx.mode, p), layout.widths, INDENT)}\n`);
    },
    end(result, note) {
      if (count) sink.write("\n");
      sink.write(`${summaryLine(ctx.mode, count, unlisted, files.size)}\n\n${coverageReport(result, ctx.verbose, p)}\n${note ? `\n${note}\n` : ""}`);
      sink.flush();
      for (const w of result.warnings) ctx.err.write(`${p.warn("warning:")} ${w}\n`);
    },
  };
};
