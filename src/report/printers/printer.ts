import type { RunResult, ScanEvent } from "../../types.js";

/** What a printer is told besides the events. */
export interface PrintContext {
  /** scan (customer matches) or sweep (PII columns): headings and wording differ. */
  mode: "scan" | "sweep";
  /** The command that ran (scan, sweep, restore-check), carried in machine-readable output. */
  command: string;
  /** List every skipped item, not only the first ten of each reason. */
  verbose: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** When the run started (machine-readable outputs carry it). */
  startedAt: Date;
  /** Human output: colour escapes allowed (a TTY, or --color always; never with NO_COLOR or --color never). */
  color: boolean;
  /** Human output: columns to fit, or undefined for a plain line per finding (piped, or narrow). */
  width?: number;
  /** Called before anything is written to `out` on a terminal: the progress line steps aside. */
  beforeWrite?: () => void;
}

/**
 * One output format of a run (`--format NAME`). The searcher pushes events into
 * it as they come (a printer writes what it can at once, so memory does not grow
 * with the output); `end` gets the whole result, and the note a command adds
 * (sweep: new discoveries). A new format is one file in this folder and one
 * line in index.ts.
 */
export interface Printer {
  event?(e: ScanEvent): void;
  /**
   * The run is complete: coverage and warnings are whole; `result.findings` holds the
   * findings only when the command keeps them (printers count what they printed).
   */
  end(result: RunResult, note?: string): void;
}

export type PrinterFactory = (ctx: PrintContext) => Printer;
