import { coverageReport } from "../coverage-text.js";
import type { PrinterFactory } from "./printer.js";

/** `--format ndjson`: one finding per line as it is found; the coverage summary goes to stderr. */
export const ndjsonPrinter: PrinterFactory = (ctx) => ({
  event(e) {
    if (e.type === "finding") ctx.out.write(`${JSON.stringify(e.finding)}\n`);
  },
  end(result, note) {
    ctx.err.write(`${coverageReport(result, ctx.verbose)}\n${note ? `${note}\n` : ""}`);
  },
});
