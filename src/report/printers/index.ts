import { csvPrinter } from "./csv.js";
import { jsonPrinter } from "./json.js";
import { ndjsonPrinter } from "./ndjson.js";
import type { PrinterFactory } from "./printer.js";
import { sarifPrinter } from "./sarif.js";
import { tablePrinter } from "./table.js";

export type { PrintContext, Printer, PrinterFactory } from "./printer.js";

/** Output formats of scan, sweep and restore-check, by the name `--format` takes (the list lives in formats.ts). */
export const PRINTERS: Readonly<Record<string, PrinterFactory>> = {
  table: tablePrinter,
  json: jsonPrinter,
  ndjson: ndjsonPrinter,
  csv: csvPrinter,
  sarif: sarifPrinter,
};
