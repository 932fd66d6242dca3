import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import pLimit from "p-limit";
import { ConfigError } from "../errors.js";
import { peek, sniffEncoding, utf32ToUtf8 } from "../readers/decode.js";
import { extensionOf, formatFromBytes, formatOfItem, textFormat, type FormatSpec } from "../readers/index.js";
import { csvFormat } from "../readers/csv.js";
import { recordsWithHits, type LocatedRecord } from "../search/locate.js";
import { SkipError, type ReadOptions, type Unit } from "../readers/types.js";
import { describeBinary, knownBinary } from "../readers/unsupported.js";
import type { SweepCache } from "../store/sweep-cache.js";
import type { CoverageEntry, Finding, IdentifierKind, Item, Location, ProviderFields, ScanEvent } from "../types.js";
import { describeError } from "./errors.js";
import { finding } from "../findings.js";
import { identifierInBytes, identifierInStream } from "./unlocated.js";
import { removeStaleTemp } from "../private-temp.js";
import type { Job, ItemPlace } from "./jobs.js";
import { Budget, DEFAULT_LIMITS, formatBytes, type Limits } from "../limits.js";
import { anyIdentifierIn } from "./prefilter.js";
import { AsyncQueue } from "./queue.js";
import { FindingCap } from "./finding-cap.js";
import { metered } from "./read-progress.js";
import type { Source, SourceSession } from "./scanner.js";
import { SearchPool } from "./search-pool.js";

export type { Job } from "./jobs.js";
export { HashJob, ScanJob, SweepJob } from "./jobs.js";

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
  /** The item's findings past limits.maxFindingsPerColumn are counted here, not listed. */
  cap?: FindingCap;
}

/** Files smaller than this are searched in the main thread: a worker round trip costs more. */
const POOL_MIN_BYTES = 512 * 1024;
const NO_HIT = "searched every byte: no form of any identifier";
/** Events waiting for the consumer before readers pause (their memory, not their number, is the point). */
const MAX_QUEUED_EVENTS = 2048;
/** Why an item stopped being read when the user interrupted the run: a gap, since it was not searched to the end. */
const INTERRUPTED = "not read to the end: the scan was interrupted (SIGINT or SIGTERM)";

/** Left unread on purpose (over limits.maxFileSize): a gap, and not read a second time to look for her. */
class Unread extends SkipError {}

/** Runs sources through the readers and matchers, yielding findings and coverage as they come. */
export class Engine {
  private readonly limits: Limits;
  private readonly tmp: string;
  private readonly pool: SearchPool;
  /** The run's events not yet taken by the consumer: readers wait while it is long (backpressure). */
  private events?: AsyncQueue<ScanEvent>;

  constructor(
    private readonly job: Job,
    private readonly options: RunOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.tmp = options.tmpDir ?? tmpdir();
    this.pool = new SearchPool();
    // Temporary copies left by a run that was killed (SIGKILL, power loss) hold customer data: remove them.
    removeStaleTemp(this.tmp);
  }

  run(sources: Source[]): AsyncIterable<ScanEvent> {
    const queue = new AsyncQueue<ScanEvent>();
    this.events = queue;
    const limit = pLimit(this.limits.concurrency);
    const running = new Set<Promise<void>>();
    const drive = async () => {
      // What an interrupt leaves unlisted is said, so an interrupted run never reads as a whole one.
      const stopped = (source: Source, what: string) =>
        queue.push({ type: "coverage", entry: { source: source.id, uri: source.id, path: "", status: "skipped", gap: true, reason: `${what}: the scan was interrupted (SIGINT or SIGTERM)` } });
      for (const source of sources) {
        if (this.options.signal?.aborted) {
          stopped(source, "not searched");
          continue;
        }
        let session: SourceSession | undefined;
        try {
          session = await source.open({ limits: this.limits, signal: this.options.signal, job: this.job.kind, state: this.options.cache?.stateOf(source.id) });
          const native = this.job.native(session, { limits: this.limits, signal: this.options.signal, showValues: this.options.showValues ?? false });
          if (native) {
            for await (const e of native) queue.push(e.type === "finding" ? { type: "finding", finding: this.withSystem(e.finding) } : e);
            continue;
          }
          const ctx = { limits: this.limits, signal: this.options.signal };
          const narrowed = this.options.narrow && this.job.query ? session.narrow?.(this.job.query, ctx) : undefined;
          const listing = narrowed?.items ?? session.enumerate?.(ctx);
          if (!listing) throw new Error(`a ${source.kind} source cannot ${this.job.verb}`);
          if (narrowed) {
            // What the provider's search cannot see is part of the answer.
            queue.push({ type: "coverage", entry: { source: source.id, uri: source.id, path: "", status: "scanned", method: `${narrowed.method}: ${narrowed.caveat}` } });
          }
          // A source may bound its own reads: API sources wait on the network, not the CPU, and read more at once.
          const width = session.concurrency ?? this.limits.concurrency;
          const sourceLimit = width === this.limits.concurrency ? limit : pLimit(width);
          for await (const e of listing) {
            if (this.options.signal?.aborted) {
              stopped(source, "items after those listed above were not searched");
              break;
            }
            if ("settled" in e) {
              queue.push({ type: "coverage", entry: e.settled });
              continue;
            }
            // Bounded: stop listing while as many items as we may read are waiting.
            while (running.size >= width * 2) await Promise.race(running);
            const p = sourceLimit(() => this.readTopLevel(e.item, (ev) => queue.push(ev))).finally(() => running.delete(p));
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

  private async readTopLevel(item: Item, emit: (e: ScanEvent) => void): Promise<void> {
    // Where the item sits at its provider (a version, a drive file, a message) goes into every location found in it.
    const loc = { ...item.loc, ...(item.container?.length ? { container: item.container } : {}) };
    const ctx = { depth: 0, members: [], loc, budget: new Budget(this.limits) };
    const cache = this.job.incremental ? this.options.cache : undefined;
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
    // Past limits.maxFindingsPerColumn, a column's findings are counted on the item's coverage entry, not listed.
    const cap = new FindingCap(this.limits.maxFindingsPerColumn);
    const settle = (entry: Partial<CoverageEntry>) => {
      const unlisted = cap.unlisted();
      emit({ type: "coverage", entry: { ...base, status: "scanned", ...entry, ...(unlisted.length ? { unlisted } : {}) } as CoverageEntry });
    };
    let located = false;
    const progress = { opened: false };
    const tracked = (e: ScanEvent) => {
      if (e.type === "finding") {
        located = true;
        if (!cap.admit(e.finding)) return;
      }
      emit(e);
    };
    try {
      const outcome = await this.readContent(item, { ...ctx, cap }, base, tracked, progress);
      settle({ status: outcome.status ?? "scanned", ...(outcome.reason ? { reason: outcome.reason } : {}), bytes: outcome.bytes, method: outcome.method });
    } catch (e) {
      // Not read to the end, and nobody chose to leave it out: a gap (or a failure), never a plain skip.
      const cause = e instanceof SkipError ? e.message : describeError(e);
      if (e instanceof SkipError) settle({ status: "skipped", reason: cause, gap: true });
      else settle({ status: "failed", error: cause });
      // Only when its bytes could be read: an item that could not be opened (a network or permission error) is not fetched again.
      const readable = e instanceof SkipError ? !(e instanceof Unread) : progress.opened;
      if (!located && readable && !this.options.signal?.aborted) await this.lookForHer(item, ctx, base, cause, emit);
    }
  }

  /**
   * An item that could not be parsed to the end may still hold her: search its
   * raw bytes, and when an identifier is there, say so with an unlocated finding.
   */
  private async lookForHer(item: Item, ctx: ItemContext, base: ItemPlace["base"], cause: string, emit: (e: ScanEvent) => void): Promise<void> {
    const search = this.job.search;
    if (!search) return;
    const named = formatOfItem(item.name, item.contentType);
    // Compressed formats (zip, gzip, xlsx): raw bytes prove nothing either way.
    if (named && !("unsupported" in named) && !named.plainText && named.holds !== "attachments") return;
    try {
      const hit = await identifierInStream(item.chunks ? item.chunks() : ((await item.open()) as AsyncIterable<Buffer>), search.matcher, this.options.showValues ?? false);
      if (hit) emit(this.unlocated(base, ctx.loc, hit.identifier, cause, hit.evidence, hit.confidence));
    } catch {
      // Unreadable a second time: the gap already says so.
    }
  }

  private unlocated(base: ItemPlace["base"], loc: Partial<Location>, identifier: IdentifierKind, cause: string, evidence: string, confidence = 0.9): ScanEvent {
    const location: Location = { uri: base.uri, path: base.path, ...(base.member ? { member: base.member } : {}), ...loc };
    const f = finding("unlocated", { source: base.source, location, identifier, cause, count: 1, confidence, evidence: `${evidence} (not located: ${cause})` });
    return { type: "finding", finding: this.withSystem(f) };
  }

  /** Read one item; returns how it was covered, throws SkipError or a failure. */
  private async readContent(
    item: Item,
    ctx: ItemContext,
    base: ItemPlace["base"],
    emit: (e: ScanEvent) => void,
    progress = { opened: false },
  ): Promise<{ status?: "skipped"; reason?: string; method?: string; bytes?: number }> {
    const { limits, job } = this;
    if (item.size !== undefined && item.size > limits.maxFileSize) {
      throw new Unread(`larger than limits.maxFileSize (${formatBytes(item.size)} > ${formatBytes(limits.maxFileSize)})`);
    }
    const named = formatOfItem(item.name, item.contentType);
    if (named && "unsupported" in named) throw new SkipError(`unsupported type: ${named.unsupported}`);
    const bound = named?.memoryLimit?.(limits);
    if (bound && item.size !== undefined && item.size > bound.bytes) {
      throw new SkipError(`larger than limits.${bound.name} (${formatBytes(item.size)} > ${formatBytes(bound.bytes)}): it is parsed in memory`);
    }
    // A .txt may be a delimited table (Excel's "Unicode text" export): its bytes decide (csvFormat.sniff).
    const mayBeTable = named === textFormat && extensionOf(item.name) === "txt";
    const declined = named && !mayBeTable && job.declines(named);
    if (declined) return { status: "skipped", reason: declined };

    // A head is a fair sample of some formats: of a big object, read only that (a Range GET).
    const prefix = job.prefixBytes && named?.prefixReadable && item.openPrefix && (item.size ?? 0) > job.prefixBytes ? job.prefixBytes : undefined;
    // Items that offer a fast sequential read are sniffed through it; readers get a fresh stream.
    const opened = prefix ? await item.openPrefix!(prefix) : item.chunks ? item.chunks() : await item.open();
    // Bytes of a top-level item gone through, for the progress line (members are inside their item's bytes).
    const read = (bytes: number) => emit({ type: "progress", source: item.source, uri: item.uri, path: item.path, bytes, counted: ctx.cap?.counted() ?? 0 });
    const source = ctx.depth === 0 ? metered(opened as AsyncIterable<Buffer>, read) : (opened as AsyncIterable<Buffer>);
    const { head, chunks } = await peek(source);
    progress.opened = true;
    if (head.length === 0) return { method: "empty", bytes: 0 };
    let sniffed = sniffEncoding(head);
    if (sniffed.utf32) {
      // No TextDecoder reads UTF-32: read the item again as UTF-8, through the same path.
      await drain(chunks);
      const { utf32: order, bom } = sniffed;
      const open = async () => Readable.from(utf32ToUtf8(item.chunks ? item.chunks() : ((await item.open()) as AsyncIterable<Buffer>), order, bom));
      const inner: Item = { ...item, size: undefined, localPath: undefined, chunks: undefined, openPrefix: undefined, open };
      const read = await this.readContent(inner, ctx, base, emit, progress);
      return { ...read, method: `UTF-${order === "le" ? "32LE" : "32BE"} text, read as UTF-8: ${read.method}`, bytes: item.size };
    }
    let format: FormatSpec | undefined = mayBeTable && csvFormat.sniff!(head) ? csvFormat : (named ?? formatFromBytes(head));
    if (!format) {
      if (sniffed.binary) {
        await drain(chunks);
        throw new SkipError(`unsupported type: ${describeBinary(head)}`);
      }
      format = textFormat;
    }
    let note = "";
    if (format.plainText && sniffed.binary && knownBinary(head)) {
      // A PNG or a PDF named .csv is not text with a stray byte: not read, a gap.
      await drain(chunks);
      throw new SkipError(`${describeBinary(head)} despite its .${item.name.split(".").pop()} name`);
    }
    if (format.plainText && sniffed.binary) {
      // A log with a NUL byte in it is still a log: searched as text (the byte search reads raw bytes anyway).
      sniffed = { ...sniffed, binary: false };
      note = " (binary bytes in it: searched as text)";
    }
    const declinedNow = job.declines(format);
    if (declinedNow) {
      await drain(chunks);
      return { status: "skipped", reason: declinedNow };
    }

    const cap = ctx.cap;
    const place: ItemPlace = { base, loc: ctx.loc, showValues: this.options.showValues ?? false, ...(cap ? { listed: (kind, what, location) => cap.wouldList(kind, what, location) } : {}) };
    const work = job.begin(place);
    let units: AsyncIterable<Unit[]>;
    let method = "read in full";
    if (job.search && format.plainText) {
      const { needles, matcher } = job.search;
      // With a hit, only the records that hold one are parsed (CSV, text, NDJSON); JSON documents are parsed whole.
      // The record plan parses the head (a CSV's layout): for a small local file, only once the search has a hit.
      const planOf = () => format.locate?.(head, sniffed, item.name);
      let plan: ReturnType<typeof planOf>;
      let records: AsyncIterable<LocatedRecord[]> | undefined;
      if (item.localPath && !sniffed.encoding.startsWith("utf-16") && (item.size ?? 0) > POOL_MIN_BYTES && this.pool.available) {
        // Big local files are searched in worker threads, one per core.
        await drain(chunks);
        plan = planOf();
        const result = this.pool.search(item.localPath, needles, plan?.split, item.size, read);
        if (!(await result.found)) return { method: NO_HIT + note, bytes: item.size };
        records = plan ? result.records : undefined;
      } else if (!item.chunks && (plan = planOf())) {
        // Remote or decompressed: one pass that finds and cuts out the records, rather than fetching twice.
        records = recordsWithHits(chunks, needles, plan.split);
      } else {
        if (!(await anyIdentifierIn(chunks, sniffed, matcher))) return { method: NO_HIT + note, bytes: item.size };
        plan = planOf();
        if (plan) records = recordsWithHits(item.chunks ? item.chunks() : ((await item.open()) as AsyncIterable<Buffer>), needles, plan.split);
      }
      if (plan && records) {
        units = plan.units(records, sniffed);
        method = item.chunks || item.localPath ? "searched every byte; records with an identifier parsed for locations" : "searched every byte in one pass; records with an identifier parsed for locations";
      } else {
        units = format.read(item, await item.open(), this.readOptions(ctx));
        method = "searched every byte; parsed in full for locations";
      }
    } else {
      // Readers keep references to chunks, so they need a stream of their own buffers.
      let body: Readable;
      if (item.chunks && !prefix) {
        await drain(chunks);
        body = await item.open();
      } else body = Readable.from(chunks, { objectMode: false });
      units = format.read(item, body, this.readOptions(ctx));
    }
    let children = 0;
    try {
      for await (const batch of units) {
        // Ctrl-C stops inside a big archive or mailbox too, not after its last member.
        this.stopIfInterrupted();
        for (const unit of batch) {
          if (unit.kind === "child") {
            children++;
            await this.readChild(unit, ctx, emit);
            this.stopIfInterrupted();
          } else if (unit.kind === "skip") {
            const member = [...ctx.members, unit.name].join("!/");
            emit({ type: "coverage", entry: { ...base, member, status: "skipped", reason: unit.reason, gap: true } });
            if (unit.seen) emit(this.unlocated({ ...base, member }, { ...ctx.loc, ...unit.loc }, unit.seen, unit.reason, `${unit.seen} of the customer`));
          } else {
            for (const f of work.unit(unit)) emit({ type: "finding", finding: this.withSystem(f) });
          }
        }
        // A consumer slower than the readers (a printer, a pipe) holds them back rather than queueing every event.
        if (this.events && this.events.size > MAX_QUEUED_EVENTS) await this.events.room(MAX_QUEUED_EVENTS / 2);
      }
    } catch (e) {
      // A head cut off mid-record may not parse to the end; the rows before it are the sample.
      if (!(prefix && work.hasSample) || this.options.signal?.aborted) throw e;
    }
    const done = work.finish(prefix ? { read: prefix, of: item.size ?? 0 } : undefined);
    for (const f of done.findings) emit({ type: "finding", finding: this.withSystem(f) });
    if (done.method) method = done.method;
    method += note;
    if (format.holds === "members") method = `archive: ${children} member${children === 1 ? "" : "s"} read`;
    else if (format.holds === "attachments" && children) method = `${method}, with ${children} attachment${children === 1 ? "" : "s"}`;
    return { method, bytes: item.size };
  }

  private readOptions(ctx: ItemContext): ReadOptions {
    const matcher = this.job.search?.matcher;
    return {
      budget: ctx.budget,
      tmpDir: this.tmp,
      maxRowsPerTable: this.job.maxRowsPerTable,
      ...(matcher ? { identifierIn: (bytes: Buffer) => identifierInBytes(bytes, matcher) } : {}),
    };
  }

  private async readChild(unit: Extract<Unit, { kind: "child" }>, ctx: ItemContext, emit: (e: ScanEvent) => void): Promise<void> {
    this.stopIfInterrupted();
    const child = unit.item;
    const members = [...ctx.members, child.name];
    if (ctx.depth + 1 > this.limits.maxDepth) {
      emit({
        type: "coverage",
        entry: { source: child.source, uri: child.uri, path: child.path, member: members.join("!/"), status: "skipped", reason: `nested deeper than limits.maxDepth (${this.limits.maxDepth})`, gap: true },
      });
      return;
    }
    await this.readItem(child, { ...ctx, depth: ctx.depth + 1, members, loc: { ...ctx.loc, ...unit.loc } }, emit);
  }

  /** Ctrl-C stops the item being read where it is: a gap that says so. */
  private stopIfInterrupted(): void {
    if (this.options.signal?.aborted) throw new SkipError(INTERRUPTED);
  }

  private withSystem(f: Finding): Finding {
    // Without a data map every finding stays unmapped (null, as finding() made it): no copy.
    if (!this.options.systemFor) return f.system === null ? f : { ...f, system: null };
    return { ...f, system: this.options.systemFor(f.source, f.location) ?? null };
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
