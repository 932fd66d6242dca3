import { MAX_LISTED_PER_REASON } from "../report/coverage-text.js";

/** The -v help line; the README's flags table says the same. */
export const VERBOSE_HELP = `list every skipped item, not only the first ${MAX_LISTED_PER_REASON} of each reason`;

/** The exit codes, as --help prints them; the +8 bit only where it can happen (sweep, and the overview). */
export function exitHelp({ sweep }: { sweep: boolean }): string {
  return `
Exit codes:
  0  ran; nothing found, and every item was scanned or skipped with a reason
  1  findings
  2  usage or configuration error
  3  internal error (a bug; the message says where)
  4  incomplete: some items could not be read or fully searched (listed in the output); nothing found in the rest
  5  findings, and some items could not be read or fully searched (1 + 4)${
    sweep ? "\n  +8 sweep: new discoveries (PII in places the data map does not cover; see straymap review)" : ""
  }
  --exit-code N uses N instead of any code but 0, 2 and 3; --no-fail exits 0 instead.`;
}
