import type { Finding } from "../../types.js";
import { coverageReport } from "../coverage-text.js";
import { describeWhat } from "../describe.js";
import { fingerprint } from "../published.js";
import type { PrinterFactory } from "./printer.js";
import { Sink } from "./sink.js";

/** The columns, in order; each a header and how to read it from a finding. */
const COLUMNS: [string, (f: Finding) => unknown][] = [
  ["fingerprint", (f) => fingerprint(f)],
  ["kind", (f) => f.kind],
  ["source", (f) => f.source],
  ["path", (f) => f.location.path],
  ["member", (f) => f.location.member],
  ["sheet", (f) => f.location.sheet],
  ["row", (f) => f.location.row],
  ["column", (f) => f.location.column],
  ["cell", (f) => f.location.cell],
  ["line", (f) => f.location.line],
  ["col", (f) => (f.location.offset === undefined ? undefined : f.location.offset + 1)],
  ["record", (f) => f.location.record],
  ["json_path", (f) => f.location.jsonPath],
  ["message", (f) => f.location.message],
  ["message_id", (f) => f.location.messageId],
  ["part", (f) => f.location.part],
  ["key", (f) => (f.location.key ? JSON.stringify(f.location.key) : undefined)],
  ["what", (f) => describeWhat(f)],
  ["identifier", (f) => f.identifier],
  ["pii_type", (f) => f.piiType],
  ["reason", (f) => f.reason],
  ["cause", (f) => (f.kind === "unlocated" ? f.cause : undefined)],
  ["count", (f) => f.count],
  ["confidence", (f) => f.confidence],
  ["system", (f) => f.system ?? "unmapped"],
  ["evidence", (f) => f.evidence],
  ["uri", (f) => f.location.uri],
];

/**
 * One CSV field (RFC 4180). Text a spreadsheet would run as a formula (=, +, -, @
 * first) is prefixed with a quote mark, so opening the file runs nothing.
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `--format csv`: a header, then one row per finding as it is found; the coverage summary goes to stderr. */
export const csvPrinter: PrinterFactory = (ctx) => {
  const sink = new Sink(ctx.out);
  sink.write(`${COLUMNS.map(([name]) => name).join(",")}\r\n`);
  return {
    event(e) {
      if (e.type === "finding") sink.write(`${COLUMNS.map(([, get]) => csvField(get(e.finding))).join(",")}\r\n`);
    },
    end(result, note) {
      sink.flush();
      ctx.err.write(`${coverageReport(result, ctx.verbose)}\n${note ? `${note}\n` : ""}`);
      for (const w of result.warnings) ctx.err.write(`warning: ${w}\n`);
    },
  };
};
