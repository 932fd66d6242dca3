import type { RunResult } from "../types.js";

/** Exit codes: bit 1 = something was found, bit 4 = some items could not be searched, bit 8 = new discoveries (sweep). */
export const EXIT = { CLEAN: 0, FOUND: 1, USAGE: 2, INCOMPLETE: 4, NEW_DISCOVERIES: 8 } as const;

export function exitCode(result: Pick<RunResult, "findings" | "coverage">): number {
  return (result.findings.length ? EXIT.FOUND : 0) | (result.coverage.summary.failed ? EXIT.INCOMPLETE : 0);
}
