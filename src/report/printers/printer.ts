import type { RunResult } from "../../types.js";
import type { ScanEvent } from "../../types.js";

/** What a printer is told besides the events. */
export interface PrintContext {
  /** scan (customer matches) or sweep (PII columns): headings and wording differ. */
  mode: "scan" | "sweep";
  /** List every skipped item, not only the first ten of each reason. */
  verbose: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * One output format of a run (`--format NAME`). The searcher pushes events into
 * it as they come; `end` gets the whole result, and the note a command adds
 * (sweep: new discoveries). A new format is one file in this folder and one
 * line in index.ts.
 */
export interface Printer {
  event?(e: ScanEvent): void;
  end(result: RunResult, note?: string): void;
}

export type PrinterFactory = (ctx: PrintContext) => Printer;
