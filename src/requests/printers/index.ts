import { UsageError } from "../../errors.js";
import { htmlPrinter } from "./html.js";
import { jsonPrinter } from "./json.js";
import { markdownPrinter } from "./markdown.js";
import type { ReportPrinter } from "./printer.js";

export type { ReportPrinter } from "./printer.js";

/** Request-report printers by name. */
export const REPORT_PRINTERS: Record<string, ReportPrinter> = Object.fromEntries([markdownPrinter, htmlPrinter, jsonPrinter].map((p) => [p.id, p]));

export function reportPrinter(name: string): ReportPrinter {
  const p = REPORT_PRINTERS[name];
  if (!p) throw new UsageError(`--format ${name}: one of ${Object.keys(REPORT_PRINTERS).join(", ")}`);
  return p;
}
