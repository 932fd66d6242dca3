import type { CustomerMatcher, CustomerQuery } from "../match/customer.js";
import type { HashedMatcher } from "../match/hashed.js";
import type { RuleSet } from "../match/rules.js";
import type { FormatSpec } from "../readers/spec.js";
import type { Unit } from "../readers/types.js";
import type { Finding, Location, ScanEvent } from "../types.js";
import type { Needles } from "../search/byte-search.js";
import { formatBytes as formatSize } from "../limits.js";
import { customerFindings } from "./match-units.js";
import { needlesOf } from "./prefilter.js";
import type { JobKind, NativeContext, SourceSession } from "./scanner.js";
import { ColumnSampler } from "./sweep-columns.js";
import { TOO_FEW_ROWS } from "./coverage.js";

export type TextUnit = Extract<Unit, { kind: "cell" | "line" }>;

/** Where one item sits: what every finding in it starts from. */
export interface ItemPlace {
  base: Pick<Location, "uri" | "path" | "member"> & { source: string };
  /** Location fields inherited from containers (provider fields, mail message, part). */
  loc: Partial<Location>;
  showValues: boolean;
  /** Whether a finding would be listed; past limits.maxFindingsPerColumn it is only counted, and its evidence is not made. */
  listed?: (kind: Finding["kind"], identifier: string, location: Location) => boolean;
}

/** What a job does with the units of one item, as they are read. */
export interface ItemWork {
  /** Findings made from one cell or line, right away. */
  unit(unit: TextUnit): Iterable<Finding>;
  /** Once the item is read (`head` when only its first bytes were): findings from the whole, and how it was read. */
  finish(head?: { read: number; of: number }): { findings: Iterable<Finding>; method?: string };
  /** Whether the units read so far can stand for the item if reading stops early (a head cut off mid-record). */
  readonly hasSample: boolean;
}

/**
 * A job says what it reads and what it does with what it reads, so the engine
 * needs no knowledge of scans, sweeps or restore-checks.
 */
export interface Job {
  readonly kind: JobKind;
  /** Why this job does not read items of this format; undefined when it does. */
  declines(format: FormatSpec): string | undefined;
  /** A byte-level search that proves an item holds no identifier (only a customer scan has one). */
  readonly search?: { needles: Needles; matcher: CustomerMatcher };
  /** The customer, for sources that can narrow a scan with their provider's search. */
  readonly query?: CustomerQuery;
  /** Read only this much of big items whose format makes a head a fair sample. */
  readonly prefixBytes?: number;
  /** Unchanged items are served from the sweep cache. */
  readonly incremental: boolean;
  /** Readers may stop after this many data rows of each table. */
  readonly maxRowsPerTable?: number;
  /** What this job is called where a source cannot do it: "a kafka source cannot <verb>". */
  readonly verb: string;
  /** The source's own search for this job, when it has one (databases). */
  native(session: SourceSession, ctx: NativeContext): AsyncIterable<ScanEvent> | undefined;
  begin(place: ItemPlace): ItemWork;
}

/** Findings for each cell or line as it comes: customer scans and restore-checks. */
function matchingWork(matcher: Parameters<typeof customerFindings>[0], place: ItemPlace): ItemWork {
  return {
    unit: (unit) => customerFindings(matcher, unit, place.loc, place.base, place.showValues, place.listed),
    finish: () => ({ findings: [] }),
    hasSample: false,
  };
}

/** `straymap scan`: one customer, every form of her identifiers. */
export class ScanJob implements Job {
  readonly kind = "scan";
  readonly incremental = false;
  readonly verb = "scan";
  readonly search: { needles: Needles; matcher: CustomerMatcher };

  constructor(
    readonly matcher: CustomerMatcher,
    readonly query: CustomerQuery,
  ) {
    this.search = { needles: needlesOf(matcher), matcher };
  }

  declines(): undefined {
    return undefined;
  }

  native(session: SourceSession, ctx: NativeContext) {
    return session.findCustomer?.(this.matcher, this.query, ctx);
  }

  begin(place: ItemPlace): ItemWork {
    return matchingWork(this.matcher, place);
  }
}

/** `straymap restore-check`: every token hashed and compared with closed requests' hashes (nothing to prefilter on). */
export class HashJob implements Job {
  readonly kind = "hashes";
  readonly incremental = false;
  readonly verb = "be restore-checked yet (restore-check reads files, objects and databases)";

  constructor(readonly matcher: HashedMatcher) {}

  declines(): undefined {
    return undefined;
  }

  native(session: SourceSession, ctx: NativeContext) {
    return session.findHashes?.(this.matcher, ctx);
  }

  begin(place: ItemPlace): ItemWork {
    return matchingWork(this.matcher, place);
  }
}

/** How much of a big CSV or NDJSON object a sweep reads (its first rows are the sample). */
const SWEEP_PREFIX_BYTES = 8 * 1024 * 1024;

/** `straymap sweep`: columns that hold personal data, from headers and sampled values. */
export class SweepJob implements Job {
  readonly kind = "sweep";
  readonly incremental = true;
  readonly verb = "sweep";
  readonly prefixBytes = SWEEP_PREFIX_BYTES;

  constructor(readonly rules: RuleSet) {}

  get maxRowsPerTable(): number {
    return this.rules.sampleSize;
  }

  declines(format: FormatSpec): string | undefined {
    // Archives and mail are read for what they hold (a CSV attached to a message is a table like any other).
    return format.tabular || format.holds ? undefined : "not tabular (sweep classifies columns of CSV, XLSX and JSON files)";
  }

  native(session: SourceSession, ctx: NativeContext) {
    return session.findPiiColumns?.(this.rules, ctx);
  }

  begin(place: ItemPlace): ItemWork {
    const rules = this.rules;
    const sampler = new ColumnSampler(rules);
    const rows = rules.sampleSize;
    return {
      unit(unit) {
        if (unit.kind === "cell") sampler.add(unit);
        return [];
      },
      finish(head) {
        const note = head ? `read the first ${formatSize(head.read)} of ${formatSize(head.of)}` : undefined;
        const min = rules.minSamples;
        // Said, not silent: a table this short is judged by its headers alone.
        const thin = sampler.size > 0 && sampler.rows < min ? `${TOO_FEW_ROWS} by values (${sampler.rows} row${sampler.rows === 1 ? "" : "s"}, rules need ${min}): columns judged by their headers only` : undefined;
        return {
          findings: sampler.findings(place.base, place.loc, place.showValues, note),
          method: thin ?? `sampled up to ${rows} rows per table${note ? ` (${note})` : ""}`,
        };
      },
      get hasSample() {
        return sampler.size > 0;
      },
    };
  }
}
