import type { Readable } from "node:stream";

/**
 * Where a finding sits: the item (uri, path, archive member, and where the item
 * sits at its provider), then one position inside it, as precise as the format
 * allows. Serialised flat, as the Finding contract prints it.
 */
export interface Location extends ProviderFields, CellPosition, LinePosition, JsonPosition, MailPosition, RowPosition {
  uri: string;
  /** Relative to the source root (or schema.table for databases). */
  path: string;
  /** Archive member chain inside `path`, joined with "!/" for nested archives. */
  member?: string;
}

/** A spreadsheet, CSV or database cell. */
export interface CellPosition {
  sheet?: string;
  /** Spreadsheet-style row number: the header is row 1 in a CSV with a header. */
  row?: number;
  column?: string;
  /** Excel-style cell reference, e.g. "Sheet2!C5" or "C5" for CSV. */
  cell?: string;
}

/** A line of text. */
export interface LinePosition {
  line?: number;
  /** Where the match starts within its line (0-based, in characters). */
  offset?: number;
}

/** A value inside a JSON document. */
export interface JsonPosition {
  /** Index of the record in a JSON array (0-based). */
  record?: number;
  jsonPath?: string;
}

/** A part of a mail message. */
export interface MailPosition {
  /** Number of the message in an mbox (the first is 1). */
  message?: number;
  /** MIME part: "header:to", "text", "html", or an attachment name. */
  part?: string;
}

/** A database row. */
export interface RowPosition {
  /** Its primary key values (or ctid). */
  key?: Record<string, unknown>;
}

/** One level of what holds an item: a drive, a folder, a mailbox, a message. */
export interface ContainerLink {
  kind: string;
  name: string;
  id?: string;
}

/**
 * Where the item itself sits at its provider: fields a source puts on every finding
 * and coverage entry of one item (a version, a drive file, a mail message).
 */
export interface ProviderFields {
  /** Object stores with versioning: the non-current version this is in. */
  versionId?: string;
  /** That version belongs to an object whose latest version is a delete marker ("deleted", yet kept). */
  deleted?: boolean;
  /** Drives: the drive's display name ("My Drive of x", a shared drive, "Site / Library"). */
  drive?: string;
  /** Google Drive file id. */
  fileId?: string;
  /** Microsoft Graph drive item id. */
  itemId?: string;
  /** The file is in the trash (still a copy someone must act on). */
  trashed?: boolean;
  /** Mail: the mailbox's user (Gmail, Graph). */
  user?: string;
  /** IMAP: the mailbox (folder) name. */
  mailbox?: string;
  /** Graph mail: the folder's display path, e.g. "Inbox/Customers". */
  folder?: string;
  /** Mail: the RFC 5322 Message-ID. */
  messageId?: string;
  gmailId?: string;
  graphId?: string;
  threadId?: string;
  labels?: string[];
  /** Mail: the message's date (ISO 8601). */
  date?: string;
  uid?: number;
  uidValidity?: number;
  /** What holds the item, outermost first: drive → folder → file; mailbox → folder → message. */
  container?: ContainerLink[];
}

/** Which of her identifiers matched. */
export type IdentifierKind = "email" | "id" | "phone";
/** How it matched: as given, in an encoded form (%40, &#64; …), or as a plus-tagged address. */
export type MatchVariant = "exact" | "encoded" | "plus-tag";

interface FindingBase {
  source: string;
  location: Location;
  count: number;
  confidence: number;
  /** A redacted snippet (raw values only with --show-values). */
  evidence: string;
  /** The data-map system the location belongs to, or null when unmapped. */
  system: string | null;
}

/** Her identifier, found in one place (a cell, a line, a column of a table). */
export interface CustomerMatch extends FindingBase {
  kind: "customer-match";
  identifier: IdentifierKind;
  match: MatchVariant;
  /** Databases: the row keys (primary key values, or ctid) of every row counted, up to a limit. */
  keys?: Record<string, unknown>[];
  /** restore-check: the closed request whose customer this is. */
  request?: string;
  /**
   * Databases: whether these rows are tied by foreign keys to the main group of
   * her rows. False marks a copy that deleting by key would miss.
   */
  linked?: boolean;
  piiType?: never;
  reason?: never;
  sample?: never;
  via?: never;
}

/** A column that holds personal data, and why it was judged so. */
export interface PiiColumn extends FindingBase {
  kind: "pii-column";
  piiType: string;
  /** From the header, the sampled values, both, or entities found inside free-text values. */
  reason: "header" | "values" | "header+values" | "embedded in free text";
  /** How many values were sampled, and how many validated. */
  sample: { size: number; valid: number };
  identifier?: never;
  match?: never;
  keys?: never;
  request?: never;
  linked?: never;
  via?: never;
}

/** Rows tied to hers by foreign keys (her payments, rentals …): deleted with her, or kept on purpose. */
export interface LinkedRow extends FindingBase {
  kind: "linked-row";
  keys: Record<string, unknown>[];
  /** The foreign keys followed, e.g. "public.payment(customer_id) → public.customer(customer_id)". */
  via: string;
  identifier?: never;
  match?: never;
  piiType?: never;
  reason?: never;
  sample?: never;
  request?: never;
  linked?: never;
}

/**
 * Her identifier, seen by the byte search in an item that could not be parsed to
 * the end (a record over the size limit, nesting past the depth limit, a message
 * over maxMessageBytes, binary content, a parse error): she is in it, but no cell,
 * line or record can be named. `location` names the item (and member) only;
 * `cause` says why nothing more precise can be given. Its coverage entry is a gap.
 */
export interface Unlocated extends FindingBase {
  kind: "unlocated";
  /** Which identifier kind the byte search saw. */
  identifier: IdentifierKind;
  /** Why the item could not be parsed to the end (the skip reason or the parse error). */
  cause: string;
  match?: never;
  piiType?: never;
  reason?: never;
  sample?: never;
  keys?: never;
  request?: never;
  linked?: never;
  via?: never;
}

/** One result of a run: serialised as the Finding contract of DESIGN.md and the README. */
export type Finding = CustomerMatch | PiiColumn | LinkedRow | Unlocated;
export type FindingKind = Finding["kind"];

export type CoverageStatus = "scanned" | "skipped" | "failed";

export interface CoverageEntry extends ProviderFields {
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
  /**
   * The item was not fully searched although the user did not leave it out: a
   * limit, an unsupported type, binary content. A gap sets the incomplete exit
   * bit like a failure, and a request closes over it only with --accept-gaps.
   * Plain skips (excluded by a glob, hidden files) have no `gap`.
   */
  gap?: true;
  /** Findings past limits.maxFindingsPerColumn, counted per column (or field, part, lines) and not listed one by one. */
  unlisted?: Unlisted[];
}

/**
 * The findings of one column of an item (a JSON field, a mail part, the lines of
 * a text) beyond the first limits.maxFindingsPerColumn: counted, not listed.
 */
export interface Unlisted {
  kind: FindingKind;
  identifier?: IdentifierKind;
  piiType?: string;
  sheet?: string;
  column?: string;
  /** JSON: the path with array indexes as [*]. */
  jsonPath?: string;
  part?: string;
  /** Findings (rows, records, lines) not listed. */
  findings: number;
  /** Occurrences in them (the sum of their counts). */
  count: number;
  /** The row, or else the line, of the first and the last of them. */
  first?: number;
  last?: number;
}

export interface CoverageSummary {
  total: number;
  scanned: number;
  skipped: number;
  failed: number;
  /** Skipped items that are gaps (see CoverageEntry.gap): not searched although nobody excluded them. */
  gaps: number;
  /** Per-reason counts of skipped items, for the summary line. */
  skippedReasons: Record<string, number>;
  /** Findings counted but not listed one by one (limits.maxFindingsPerColumn); absent when none. */
  unlisted?: number;
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
  /**
   * The MIME type, when the source knows it: picks the reader before the name does
   * (a `message/rfc822` body reaches the mail reader without a made-up `.eml` name).
   */
  contentType?: string;
  /** What holds the item, outermost first (drive → folder; mailbox → folder → message). */
  container?: ContainerLink[];
  /** Fields every finding and coverage entry in this item carries (versionId, drive, fileId, user, messageId …). */
  loc?: ProviderFields;
}

/** What a scanner yields while enumerating: an item to read, or an entry it already settled. */
export type Enumerated = { item: Item } | { settled: CoverageEntry };

export type ScanEvent =
  | { type: "finding"; finding: Finding }
  | { type: "coverage"; entry: CoverageEntry }
  | { type: "warning"; source: string; message: string }
  /**
   * An item being read: bytes of it gone through so far, and its findings counted so far past
   * limits.maxFindingsPerColumn (its coverage entry ends it).
   */
  | { type: "progress"; source: string; uri: string; path: string; bytes: number; counted: number };

/** A run gathered: the `--format json` shape (plus warnings, printed on stderr). */
export interface RunResult {
  findings: Finding[];
  coverage: { summary: CoverageSummary; items: CoverageEntry[] };
  warnings: string[];
}
