import type { Readable } from "node:stream";

/** Where a finding sits, as precisely as the format allows (see DESIGN.md). */
export interface Location {
  uri: string;
  /** Relative to the source root (or schema.table for databases). */
  path: string;
  /** Archive member chain inside `path`, joined with "!/" for nested archives. */
  member?: string;
  sheet?: string;
  /** Spreadsheet-style row number: the header is row 1 in a CSV with a header. */
  row?: number;
  column?: string;
  /** Excel-style cell reference, e.g. "Sheet2!C5" or "C5" for CSV. */
  cell?: string;
  line?: number;
  /** Byte offset of the match within its line (0-based, in characters). */
  offset?: number;
  /** Index of the record in a JSON array (0-based). */
  record?: number;
  jsonPath?: string;
  messageId?: string;
  /** Number of the message in an mbox (the first is 1). */
  message?: number;
  /** MIME part: "header:to", "text", "html", or an attachment name. */
  part?: string;
  key?: Record<string, unknown>;
  /** Object stores with versioning: the non-current version this is in. */
  versionId?: string;
  /** That version belongs to an object whose latest version is a delete marker ("deleted", yet kept). */
  deleted?: boolean;
}

export type FindingKind = "customer-match" | "pii-column" | "linked-row";

export interface Finding {
  kind: FindingKind;
  source: string;
  location: Location;
  /** customer-match: which identifier kind matched (email, id, phone). */
  identifier?: string;
  /** customer-match: exact | variant (e.g. plus-tagged email, encoded form). */
  match?: string;
  /** pii-column: the PII type found. */
  piiType?: string;
  /** pii-column: why (header rule, value rule, or both). */
  reason?: "header" | "values" | "header+values";
  /** pii-column: how many values were sampled, and how many validated. */
  sample?: { size: number; valid: number };
  count: number;
  confidence: number;
  evidence: string;
  system: string | null;
  /** Databases: the row keys (primary key values, or ctid) of every row counted, up to a limit. */
  keys?: Record<string, unknown>[];
  /** restore-check: the closed request whose customer this is. */
  request?: string;
  /** linked-row: the foreign keys followed from her rows to these, e.g. "public.payment(customer_id) → public.customer(customer_id)". */
  via?: string;
  /**
   * Databases, customer-match: whether these rows are tied by foreign keys to the
   * main group of her rows. False marks a copy that deleting by key would miss.
   */
  linked?: boolean;
}

export type CoverageStatus = "scanned" | "skipped" | "failed";

export interface CoverageEntry {
  source: string;
  uri: string;
  path: string;
  member?: string;
  status: CoverageStatus;
  /** skipped: why it was not read. */
  reason?: string;
  /** failed: what went wrong. */
  error?: string;
  bytes?: number;
  /** How the item was searched, e.g. "read every line", "searched by provider index". */
  method?: string;
  /** Databases: statements sent for this item. */
  statements?: number;
  /** Object stores: the non-current version read, and whether its object was deleted. */
  versionId?: string;
  deleted?: boolean;
}

export interface CoverageSummary {
  total: number;
  scanned: number;
  skipped: number;
  failed: number;
  /** Per-reason counts of skipped items, for the summary line. */
  skippedReasons: Record<string, number>;
}

/**
 * One thing a scanner enumerates: a file, an object, a message.
 * `open()` is lazy and may be called more than once (the fast path reads a
 * file once to look for hits, and again to locate them precisely).
 */
export interface Item {
  source: string;
  uri: string;
  path: string;
  /** File name used to pick a reader (the last path segment, or an attachment name). */
  name: string;
  size?: number;
  mtime?: Date;
  etag?: string;
  /** A path on local disk, when there is one (lets zip use random access). */
  localPath?: string;
  open(): Promise<Readable>;
  /**
   * Optional fast sequential read for the byte-level fast path. Each chunk's
   * memory may be reused once the next is requested: consumers copy what they keep.
   */
  chunks?(): AsyncIterable<Buffer>;
  /** Optional: only the first `bytes` bytes (a Range GET), for sweeps of big objects. */
  openPrefix?(bytes: number): Promise<Readable>;
  /** A non-current version of an object (object stores with versioning). */
  version?: { id: string; deleted: boolean };
}

/** What a scanner yields while enumerating: an item to read, or an entry it already settled. */
export type Enumerated = { item: Item } | { settled: CoverageEntry };

export type ScanEvent =
  | { type: "finding"; finding: Finding }
  | { type: "coverage"; entry: CoverageEntry }
  | { type: "warning"; source: string; message: string };
