import type { IdentifierKind, Item, Location } from "../types.js";
import type { Budget } from "../limits.js";
import type { RowRole } from "./cells.js";

/** Addressable text that readers produce and matchers look at. */
export type Unit =
  /**
   * A spreadsheet/CSV/JSON-record cell; `column` is the header (or colN, or a JSON key path).
   * `role`: the cell is in the header row, a title row above it or a footer row: searched, never sampled as a value.
   */
  | { kind: "cell"; loc: Partial<Location>; column: string; table: string; text: string; role?: RowRole }
  /** A line of text (a text file, a mail body part). */
  | { kind: "line"; loc: Partial<Location>; text: string }
  /** A nested item to read through the same readers: an archive member or mail attachment. */
  | { kind: "child"; item: Item; loc: Partial<Location> }
  /**
   * A nested item the reader decided not to read (encrypted, over a limit): recorded as a gap.
   * `seen`: the raw bytes of what was skipped hold one of her identifiers (an unlocated finding at `loc`).
   */
  | { kind: "skip"; name: string; reason: string; seen?: IdentifierKind; loc?: Partial<Location> };

export interface ReadOptions {
  budget: Budget;
  /** Sweep reads only this many data rows of each table. */
  maxRowsPerTable?: number;
  /** Where to put temporary copies of archives that are not on local disk. */
  tmpDir: string;
  /**
   * Customer scans only: which of her identifiers these raw bytes hold, if any.
   * A reader that skips part of an item (a message over a limit) asks it, so
   * the skip can say she is in what was not parsed.
   */
  identifierIn?: (bytes: Buffer) => IdentifierKind | undefined;
}


export { SkipError } from "../errors.js";
