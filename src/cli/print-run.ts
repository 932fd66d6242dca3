import type { RunResult, ScanEvent } from "../types.js";

/** What a command adds once a run is complete: more exit-code bits and a line for the summary. */
export type AfterRun = (result: RunResult) => { bits: number; note?: string };

/**
 * How main.ts hands a run to a command module (scan --request, restore-check, sweep):
 * print the events the way the user asked and return the exit code. `after` runs once
 * the run is complete and before the summary is printed, so what it stores (the
 * request's evidence, discoveries) is stored even if printing fails.
 */
export type PrintRun = (events: AsyncIterable<ScanEvent>, after?: AfterRun) => Promise<number>;
