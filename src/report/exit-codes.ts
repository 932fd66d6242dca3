import type { RunResult } from "../types.js";

/** Exit codes: bit 1 = something was found, bit 4 = some items could not be searched, bit 8 = new discoveries (sweep). */
export const EXIT = { CLEAN: 0, FOUND: 1, USAGE: 2, INCOMPLETE: 4, NEW_DISCOVERIES: 8 } as const;

export function exitCode(result: Pick<RunResult, "findings" | "coverage">): number {
  return exitCodeOf(result.findings.length, result.coverage.summary.failed);
}

/** The same from counts, for a run whose findings were printed and not kept. */
export function exitCodeOf(findings: number, failed: number): number {
  return (findings ? EXIT.FOUND : 0) | (failed ? EXIT.INCOMPLETE : 0);
}
