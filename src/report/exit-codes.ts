import { incomplete } from "../engine/coverage.js";
import type { RunResult } from "../types.js";

/** Exit codes: bit 1 = something was found, bit 4 = some items could not be (fully) searched, bit 8 = new discoveries (sweep). */
export const EXIT = { CLEAN: 0, FOUND: 1, USAGE: 2, INCOMPLETE: 4, NEW_DISCOVERIES: 8 } as const;

export function exitCode(result: Pick<RunResult, "findings" | "coverage">): number {
  return exitCodeOf(result.findings.length, incomplete(result.coverage.summary));
}

/** The same from counts, for a run whose findings were printed and not kept: `incompleteItems` = failures + gaps. */
export function exitCodeOf(findings: number, incompleteItems: number): number {
  return (findings ? EXIT.FOUND : 0) | (incompleteItems ? EXIT.INCOMPLETE : 0);
}
