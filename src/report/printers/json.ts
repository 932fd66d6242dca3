import type { PrinterFactory } from "./printer.js";

/** `--format json`: one document, `{"findings": [...], "coverage": {...}}` (the published contract). */
export const jsonPrinter: PrinterFactory = (ctx) => ({
  end(result, note) {
    const document = { findings: result.findings, coverage: result.coverage, ...(note ? { note } : {}) };
    ctx.out.write(`${JSON.stringify(document, null, 2)}\n`);
  },
});
