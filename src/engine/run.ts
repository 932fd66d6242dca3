import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import pLimit from "p-limit";
import type { CustomerMatcher, CustomerQuery } from "../match/customer.js";
import type { HashedMatcher } from "../match/hashed.js";
import type { RuleSet } from "../match/rules.js";
import { peek, sniffEncoding } from "../readers/decode.js";
import { PLAIN_TEXT_FORMATS, TABULAR_FORMATS, describeBinary, formatFromBytes, formatFromContentType, formatFromName, type Format } from "../readers/formats.js";
import { readerFor } from "../readers/index.js";
import { locatePlan, locatedUnits } from "../readers/located.js";
import { recordsWithHits, type LocatedRecord } from "../readers/locate.js";
import { SkipError, type Unit } from "../readers/types.js";
import type { CoverageEntry, Finding, Item, Location, ProviderFields, ScanEvent } from "../types.js";
import { describeError } from "./errors.js";
import { Budget, DEFAULT_LIMITS, formatBytes, type Limits } from "./limits.js";
import { customerFindings } from "./match-units.js";
import { ColumnSampler } from "./sweep-columns.js";
import { anyIdentifierIn, needlesOf } from "./prefilter.js";
import { SearchPool } from "./search-pool.js";
import type { SweepCache } from "../store/sweep-cache.js";
import { AsyncQueue } from "./queue.js";
import type { Source, SourceSession } from "./scanner.js";
import { ConfigError } from "../errors.js";

export type Job =
  | { mode: "scan"; matcher: CustomerMatcher; query: CustomerQuery }
  | { mode: "sweep"; rules: RuleSet }
  /** restore-check: every token hashed and compared with closed requests' hashes (nothing to prefilter on). */
  | { mode: "hashes"; matcher: HashedMatcher };

export interface RunOptions {
  limits?: Partial<Limits>;
  showValues?: boolean;
  tmpDir?: string;
  /** The data-map system a location belongs to, or null when unmapped. */
  systemFor?: (source: string, location: Location) => string | null;
  signal?: AbortSignal;
  /** Sweep only: remember items, and do not read again those unchanged since the last sweep. */
  cache?: SweepCache;
  /**
   * Scan only, opt-in: sources that can ask their provider's search for candidate
   * items read only those (coverage says what such a search cannot see).
   */
  narrow?: boolean;
}

interface ItemContext {
  depth: number;
  /** Member chain inside the top-level item (archive members, attachments). */
  members: string[];
  /** Location fields inherited from the container (mail message id, part). */
  loc: Partial<Location>;
  budget: Budget;
}

/** Files smaller than this are searched in the main thread: a worker round trip costs more. */
const POOL_MIN_BYTES = 512 * 1024;
const NO_HIT = "searched every byte: no form of any identifier";
/** How much of a big CSV or NDJSON object a sweep reads (its first rows are the sample). */
const SWEEP_PREFIX_BYTES = 8 * 1024 * 1024;

/** Runs sources through the readers and matchers, yielding findings and coverage as they come. */
export class Engine {
  private readonly limits: Limits;
  private readonly tmp: string;
  private readonly pool: SearchPool;

  constructor(
    private readonly job: Job,
    private readonly options: RunOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.tmp = options.tmpDir ?? tmpdir();
    this.pool = new SearchPool();
  }

  run(sources: Source[]): AsyncIterable<ScanEvent> {
    const queue = new AsyncQueue<ScanEvent>();
    const limit = pLimit(this.limits.concurrency);
    const running = new Set<Promise<void>>();
    const drive = async () => {
      for (const source of sources) {
        let session: SourceSession | undefined;
        try {
          session = await source.open({ limits: this.limits, signal: this.options.signal, job: this.job.mode, state: this.options.cache?.stateOf(source.id) });
          const native = this.nativeRun(session);
          if (native) {
            for await (const e of native) queue.push(e.type === "finding" ? { type: "finding", finding: this.withSystem(e.finding) } : e);
            continue;
          }
          const ctx = { limits: this.limits, signal: this.options.signal };
          const narrowed = this.job.mode === "scan" && this.options.narrow ? session.narrow?.(this.job.query, ctx) : undefined;
          const listing = narrowed?.items ?? session.enumerate?.(ctx);
          if (!listing) {
            throw new Error(this.job.mode === "hashes" ? `restore-check reads files and objects; ${source.kind} sources cannot be restore-checked yet` : `a ${source.kind} source cannot ${this.job.mode}`);
          }
          if (narrowed) {
            // What the provider's search cannot see is part of the answer.
            queue.push({ type: "coverage", entry: { source: source.id, uri: source.id, path: "", status: "scanned", method: `${narrowed.method}: ${narrowed.caveat}` } });
          }
          for await (const e of listing) {
            if (this.options.signal?.aborted) break;
            if ("settled" in e) {
              queue.push({ type: "coverage", entry: e.settled });
              continue;
            }
            // Bounded: stop listing while as many items as we may read are waiting.
            while (running.size >= this.limits.concurrency * 2) await Promise.race(running);
            const p = limit(() => this.readTopLevel(e.item, (ev) => queue.push(ev))).finally(() => running.delete(p));
            running.add(p);
          }
        } catch (err) {
          if (err instanceof ConfigError) throw err;
          queue.push({
            type: "coverage",
            entry: { source: source.id, uri: source.id, path: "", status: "failed", error: `${source.kind} source "${source.id}" stopped: ${describeError(err)}` },
          });
        } finally {
          await Promise.all(running);
          await session?.close().catch(() => {});
        }
      }
    };
    const finish = async () => {
      await this.pool.close();
      this.options.cache?.save();
    };
    drive()
      .finally(finish)
      .then(
        () => queue.close(),
        (err) => queue.close(err),
      );
    return queue;
  }

  /** The source's own search for this job, when it has one (databases). */
  private nativeRun(source: SourceSession): AsyncIterable<ScanEvent> | undefined {
    const ctx = { limits: this.limits, signal: this.options.signal, showValues: this.options.showValues ?? false };
    if (this.job.mode === "scan") return source.findCustomer?.(this.job.matcher, this.job.query, ctx);
    if (this.job.mode === "hashes") return source.findHashes?.(this.job.matcher, ctx);
    return source.findPiiColumns?.(this.job.rules, ctx);
  }

  private async readTopLevel(item: Item, emit: (e: ScanEvent) => void): Promise<void> {
    // Where the item sits at its provider (a version, a drive file, a message) goes into every location found in it.
    const loc = { ...item.loc, ...(item.container?.length ? { container: item.container } : {}) };
    const ctx = { depth: 0, members: [], loc, budget: new Budget(this.limits) };
    const cache = this.job.mode === "sweep" ? this.options.cache : undefined;
    if (!cache) return this.readItem(item, ctx, emit);
    const cached = cache.get(item);
    if (cached) {
      for (const finding of cached.findings) emit({ type: "finding", finding: this.withSystem(finding) });
      for (const entry of cached.coverage) emit({ type: "coverage", entry: { ...entry, method: `unchanged since the last sweep, not read again (then: ${entry.method ?? entry.reason ?? entry.status})` } });
      return;
    }
    const findings: Finding[] = [];
    const coverage: CoverageEntry[] = [];
    await this.readItem(item, ctx, (e) => {
      if (e.type === "finding") findings.push(e.finding);
      else if (e.type === "coverage") coverage.push(e.entry);
      emit(e);
    });
    // Failures are tried again next time.
    if (!coverage.some((c) => c.status === "failed")) cache.set(item, findings, coverage);
  }

  private async readItem(item: Item, ctx: ItemContext, emit: (e: ScanEvent) => void): Promise<void> {
    const base = {
      source: item.source,
      uri: item.uri,
      path: item.path,
      ...(ctx.members.length ? { member: ctx.members.join("!/") } : {}),
      ...providerFields(ctx.loc),
    };
    const settle = (entry: Partial<CoverageEntry>) => emit({ type: "coverage", entry: { ...base, status: "scanned", ...entry } as CoverageEntry });
    try {
      const outcome = await this.readContent(item, ctx, base, emit);
      settle({ status: outcome.status ?? "scanned", ...(outcome.reason ? { reason: outcome.reason } : {}), bytes: outcome.bytes, method: outcome.method });
    } catch (e) {
      if (e instanceof SkipError) settle({ status: "skipped", reason: e.message });
      else settle({ status: "failed", error: describeError(e) });
    }
  }

  /** Read one item; returns how it was covered, throws SkipError or a failure. */
  private async readContent(
    item: Item,
    ctx: ItemContext,
    base: Pick<Location, "uri" | "path" | "member"> & { source: string },
    emit: (e: ScanEvent) => void,
  ): Promise<{ status?: "skipped"; reason?: string; method?: string; bytes?: number }> {
    const { limits } = this;
    if (item.size !== undefined && item.size > limits.maxFileSize) {
      throw new SkipError(`larger than limits.maxFileSize (${formatBytes(item.size)} > ${formatBytes(limits.maxFileSize)})`);
    }
    // A precise MIME type decides (message/rfc822 needs no .eml name); a generic one (text/plain) yields to the name.
    const byType = item.contentType ? formatFromContentType(item.contentType) : undefined;
    const named = byType && byType !== "text" ? byType : (formatFromName(item.name) ?? byType);
    if (named === "eml" && item.size !== undefined && item.size > limits.maxMessageBytes) {
      throw new SkipError(`message larger than limits.maxMessageBytes (${formatBytes(item.size)} > ${formatBytes(limits.maxMessageBytes)})`);
    }
    if (named && typeof named === "object") throw new SkipError(`unsupported type: ${named.unsupported}`);
    const sweep = this.job.mode === "sweep";
    if (sweep && (named === "text" || named === "eml" || named === "mbox")) {
      return { status: "skipped", reason: "not tabular (sweep classifies columns of CSV, XLSX and JSON files)" };
    }

    // A sweep needs the first rows only: of a big CSV or NDJSON object it reads the head (a Range GET).
    const prefix = sweep && item.openPrefix && (item.size ?? 0) > SWEEP_PREFIX_BYTES && (named === "csv" || named === "ndjson") ? SWEEP_PREFIX_BYTES : undefined;
    // Items that offer a fast sequential read are sniffed through it; readers get a fresh stream.
    const source = prefix ? await item.openPrefix!(prefix) : item.chunks ? item.chunks() : await item.open();
    const { head, chunks } = await peek(source as AsyncIterable<Buffer>);
    if (head.length === 0) return { method: "empty", bytes: 0 };
    const sniffed = sniffEncoding(head);
    let format: Format | undefined = named ?? formatFromBytes(head);
    if (!format) {
      if (sniffed.binary) {
        await drain(chunks);
        throw new SkipError(`unsupported type: ${describeBinary(head)}`);
      }
      format = "text";
    }
    if (PLAIN_TEXT_FORMATS.has(format) && sniffed.binary) {
      await drain(chunks);
      throw new SkipError(`${describeBinary(head)} despite its .${item.name.split(".").pop()} name`);
    }
    if (sweep && !TABULAR_FORMATS.has(format) && format !== "zip" && format !== "gzip") {
      await drain(chunks);
      return { status: "skipped", reason: "not tabular (sweep classifies columns of CSV, XLSX and JSON files)" };
    }

    let units: AsyncIterable<Unit[]>;
    let method = "read in full";
    if (this.job.mode === "scan" && PLAIN_TEXT_FORMATS.has(format)) {
      const { matcher } = this.job;
      const needles = needlesOf(matcher);
      // With a hit, only the records that hold one are parsed (CSV, text, NDJSON); JSON documents are parsed whole.
      const plan = locatePlan(format, head, sniffed, item.name);
      let records: AsyncIterable<LocatedRecord[]> | undefined;
      if (item.localPath && !sniffed.encoding.startsWith("utf-16") && (item.size ?? 0) > POOL_MIN_BYTES && this.pool.available) {
        // Big local files are searched in worker threads, one per core.
        await drain(chunks);
        const result = this.pool.search(item.localPath, needles, plan?.split);
        if (!(await result.found)) return { method: NO_HIT, bytes: item.size };
        records = plan ? result.records : undefined;
      } else if (plan && !item.chunks) {
        // Remote or decompressed: one pass that finds and cuts out the records, rather than fetching twice.
        records = recordsWithHits(chunks, needles, plan.split);
      } else {
        if (!(await anyIdentifierIn(chunks, sniffed, matcher))) return { method: NO_HIT, bytes: item.size };
        if (plan) records = recordsWithHits(item.chunks ? item.chunks() : ((await item.open()) as AsyncIterable<Buffer>), needles, plan.split);
      }
      if (plan && records) {
        units = locatedUnits(plan, records, sniffed);
        method = item.chunks || item.localPath ? "searched every byte; records with an identifier parsed for locations" : "searched every byte in one pass; records with an identifier parsed for locations";
      } else {
        units = (await readerFor(format))(item, await item.open(), this.readOptions(ctx));
        method = "searched every byte; parsed in full for locations";
      }
    } else {
      // Readers keep references to chunks, so they need a stream of their own buffers.
      let body: Readable;
      if (item.chunks && !prefix) {
        await drain(chunks);
        body = await item.open();
      } else body = Readable.from(chunks, { objectMode: false });
      units = (await readerFor(format))(item, body, this.readOptions(ctx));
    }
    const sampler = this.job.mode === "sweep" ? new ColumnSampler(this.job.rules) : undefined;
    let children = 0;
    try {
      for await (const batch of units) {
        for (const unit of batch) {
          if (unit.kind === "child") {
            children++;
            await this.readChild(unit, ctx, emit);
          } else if (unit.kind === "skip") {
            emit({ type: "coverage", entry: { ...base, member: [...ctx.members, unit.name].join("!/"), status: "skipped", reason: unit.reason } });
          } else if (this.job.mode !== "sweep") {
            for (const f of customerFindings(this.job.matcher, unit, ctx.loc, base, this.options.showValues ?? false)) emit({ type: "finding", finding: this.withSystem(f) });
          } else if (unit.kind === "cell") {
            sampler!.add(unit);
          }
        }
      }
    } catch (e) {
      // A head cut off mid-record may not parse to the end; the rows before it are the sample.
      if (!(prefix && sampler?.size)) throw e;
    }
    if (sampler) {
      const note = prefix ? `read the first ${formatBytes(prefix)} of ${formatBytes(item.size ?? 0)}` : undefined;
      for (const f of sampler.findings(base, ctx.loc, this.options.showValues ?? false, note)) emit({ type: "finding", finding: this.withSystem(f) });
      method = `sampled up to ${this.job.mode === "sweep" ? this.job.rules.sampleSize : 0} rows per table${note ? ` (${note})` : ""}`;
    }
    if (format === "zip" || format === "gzip") method = `archive: ${children} member${children === 1 ? "" : "s"} read`;
    return { method, bytes: item.size };
  }

  private readOptions(ctx: ItemContext) {
    return { budget: ctx.budget, tmpDir: this.tmp, maxRowsPerTable: this.job.mode === "sweep" ? this.job.rules.sampleSize : undefined };
  }

  private async readChild(unit: Extract<Unit, { kind: "child" }>, ctx: ItemContext, emit: (e: ScanEvent) => void): Promise<void> {
    const child = unit.item;
    const members = [...ctx.members, child.name];
    if (ctx.depth + 1 > this.limits.maxDepth) {
      emit({
        type: "coverage",
        entry: { source: child.source, uri: child.uri, path: child.path, member: members.join("!/"), status: "skipped", reason: `nested deeper than limits.maxDepth (${this.limits.maxDepth})` },
      });
      return;
    }
    await this.readItem(child, { ...ctx, depth: ctx.depth + 1, members, loc: { ...ctx.loc, ...unit.loc } }, emit);
  }

  private withSystem(f: Finding): Finding {
    return { ...f, system: this.options.systemFor?.(f.source, f.location) ?? null };
  }
}

/** The item-level fields of a location (version, drive, message…), without positions inside the item. */
function providerFields(loc: Partial<Location>): ProviderFields {
  const { sheet: _s, row: _r, column: _c, cell: _ce, line: _l, offset: _o, record: _re, jsonPath: _j, message: _m, part: _p, key: _k, uri: _u, path: _pa, member: _me, ...rest } = loc;
  return rest;
}

async function drain(chunks: AsyncIterable<Buffer>): Promise<void> {
  // Ends the underlying stream (peek's iterator closes it on return).
  for await (const _ of chunks) break;
}
