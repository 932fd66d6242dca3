import type { Needles } from "./byte-search.js";
import { createFinder, type Finder } from "./finder.js";
import { SkipError } from "../errors.js";
import { formatBytes } from "../limits.js";

// The second half of the fast path (the ripgrep model): once the byte
// prefilter has seen an identifier in a big CSV, log or NDJSON file, walk the
// bytes again cheaply, keeping only record boundaries and line numbers, and
// hand just the records that contain a candidate hit to the real parsers.

const LF = 10;
const CR = 13;
const QUOTE = 34;
/** A single record longer than this is not a record of a line-based file. */
const MAX_RECORD = 64 * 1024 * 1024;

export interface LocatedRecord {
  /** 0-based index of the record (the CSV header is record 0). */
  index: number;
  /** Line the record starts on (1-based). */
  line: number;
  bytes: Buffer;
}

export interface SplitOptions {
  /** CSV quoting: a quote at the start of a field protects delimiters and line breaks until it closes. */
  csv?: { delimiter: number };
  /** Also hand over record 0 (the CSV header), hit or not. */
  withFirst?: boolean;
  /** Longest record accepted (default 64 MiB); a longer one stops the locator with a skip. */
  maxRecord?: number;
}

/**
 * Finds the records that contain a candidate hit (and record 0 if asked),
 * with their index and starting line, from chunks pushed in order. Lines are
 * LF, CRLF or CR; in CSV mode a line break inside a quoted field belongs to
 * the record, as in RFC 4180. Synchronous, so worker threads can run it.
 */
export class RecordScanner {
  /** The unfinished record of earlier chunks sits at the start of the finder's region, `carried` bytes long. */
  private carried = 0;
  private record = 0;
  private line = 1;
  private readonly finder: Finder;
  private readonly literals: number;
  private readonly pattern?: RegExp;

  constructor(
    needles: Needles,
    private readonly options: SplitOptions,
    /** Without the SIMD kernel: every byte walked in JavaScript (tests compare both). */
    portable = false,
  ) {
    this.finder = createFinder(needles.literals, portable);
    this.literals = needles.literals.length;
    this.pattern = needles.pattern ? new RegExp(needles.pattern, "g") : undefined;
  }

  /**
   * Records completed by this chunk that hold a candidate hit. The chunk may
   * be reused afterwards. `knownClean`: the caller knows no hit is in it, so
   * only record boundaries are counted.
   */
  push(chunk: Buffer, knownClean = false): LocatedRecord[] {
    const need = this.carried + chunk.length;
    const region = this.finder.region(need);
    chunk.copy(region, this.carried);
    const out = this.take(region.subarray(0, need), false, knownClean);
    const max = this.options.maxRecord ?? MAX_RECORD;
    if (this.carried > max) throw new SkipError(`a record longer than ${formatBytes(max)} (is this really line-based text?)`);
    return out;
  }

  /** The last record, when the data does not end with a line break. */
  finish(): LocatedRecord[] {
    return this.take(this.finder.region(this.carried).subarray(0, this.carried), true);
  }

  /** Byte offsets in `data` where some identifier may start (a superset of the real hits). */
  private candidates(data: Buffer): number[] {
    const hits: number[] = [];
    if (this.literals) {
      this.finder.prepare(data.length);
      for (let at = this.finder.indexOfAny(data.length, 0); at !== -1; at = this.finder.indexOfAny(data.length, at + 1)) hits.push(at);
    }
    if (this.pattern) {
      const re = this.pattern;
      re.lastIndex = 0;
      const text = data.toString("latin1");
      for (let m = re.exec(text); m; m = re.exec(text)) {
        hits.push(m.index);
        if (m[0].length === 0) re.lastIndex++;
      }
    }
    return hits.sort((a, b) => a - b);
  }

  private take(data: Buffer, final: boolean, knownClean = false): LocatedRecord[] {
    const t: Take = { data, hits: knownClean ? [] : this.candidates(data), h: 0, out: [] };
    // A CR at the very end may be the first half of a CRLF: it waits for the next chunk.
    const end = !final && data[data.length - 1] === CR ? data.length - 1 : data.length;
    const fast = this.jump(t, end);
    const start = fast.sure ? fast.start : this.walk(t, fast.start, final);
    if (final) {
      if (start < data.length) this.emit(t, start, data.length, this.line);
      this.carried = 0;
    } else {
      // The unfinished record is read again with the next chunk; this.line is the line it starts on.
      data.copyWithin(0, start);
      this.carried = data.length - start;
    }
    return t.out;
  }

  /** Record number `this.record`, bytes [start, end) starting on `line`: kept when it holds a hit (or is the header asked for). */
  private emit(t: Take, start: number, end: number, line: number): void {
    while (t.h < t.hits.length && t.hits[t.h] < start) t.h++;
    if ((t.h < t.hits.length && t.hits[t.h] < end) || (this.options.withFirst && this.record === 0)) {
      t.out.push({ index: this.record, line, bytes: Buffer.from(t.data.subarray(start, end)) });
    }
    this.record++;
  }

  /**
   * The fast way, with the SIMD kernel: records before the next hit are only
   * counted, and the record holding it is cut out up to its break. Returns the
   * start of the first record not done, and whether the kernel was sure (see
   * RecordBreaks: otherwise the bytes from there are walked in JavaScript).
   */
  private jump(t: Take, end: number): { start: number; sure: boolean } {
    const breaks = this.finder.breaks;
    const delimiter = this.options.csv?.delimiter ?? -1;
    if (!breaks || delimiter === QUOTE || delimiter === LF || delimiter === CR) return { start: 0, sure: false };
    const len = t.data.length;
    let start = 0;
    for (;;) {
      while (t.h < t.hits.length && t.hits[t.h] < start) t.h++;
      const header = this.options.withFirst && this.record === 0;
      const target = header ? start : t.h < t.hits.length ? Math.min(t.hits[t.h], end) : end;
      // Whole records before the next hit are only counted.
      const skipped = breaks.count(start, target, len, delimiter, false);
      if (skipped < 0) return { start, sure: false };
      if (skipped > 0) {
        this.record += skipped;
        this.line += breaks.linesAtLast;
        start = breaks.last + 1;
      }
      if (target === end && !header) return { start, sure: true };
      // The record holding the hit, up to its break.
      const found = breaks.count(start, end, len, delimiter, true);
      if (found < 0) return { start, sure: false };
      if (found === 0) return { start, sure: true }; // unfinished: the next chunk or finish() completes it
      const line = this.line;
      this.line += breaks.linesAtLast;
      const at = breaks.last;
      this.emit(t, start, at > start && t.data[at] === LF && t.data[at - 1] === CR ? at - 1 : at, line);
      start = at + 1;
    }
  }

  /**
   * The byte-by-byte walk from the record start `start`: for CSV quoting the
   * SIMD kernel cannot settle (a quote inside an unquoted field), or runtimes
   * without it. Same rules: a quote opens only at a field start, "" inside
   * quotes is a quote, a line break inside quotes belongs to the record.
   */
  private walk(t: Take, start: number, final: boolean): number {
    const { data } = t;
    const delimiter = this.options.csv?.delimiter ?? -1;
    const csv = delimiter >= 0;
    let startLine = this.line;
    let inQuotes = false;
    let fieldStart = true;
    for (let i = start; i < data.length; i++) {
      const b = data[i];
      if (inQuotes) {
        if (b === QUOTE) {
          if (i + 1 === data.length && !final) break; // "" may be split across chunks
          if (data[i + 1] === QUOTE) i++;
          else inQuotes = false;
        } else if (b === LF || (b === CR && data[i + 1] !== LF)) this.line++;
      } else if (b === QUOTE && fieldStart && csv) {
        inQuotes = true;
        fieldStart = false;
      } else if (b === delimiter) {
        fieldStart = true;
      } else if (b === LF || b === CR) {
        if (b === CR && i + 1 === data.length && !final) break;
        const next = b === CR && data[i + 1] === LF ? i + 2 : i + 1;
        this.line++;
        this.emit(t, start, i, startLine);
        start = next;
        startLine = this.line;
        i = next - 1;
        fieldStart = true;
      } else {
        fieldStart = false;
      }
    }
    this.line = startLine;
    return start;
  }
}

/** What one take() works on: the data, its candidate hits (sorted) with a cursor, the records kept. */
interface Take {
  data: Buffer;
  hits: number[];
  h: number;
  out: LocatedRecord[];
}

/** Records of a byte stream that hold a candidate hit: RecordScanner over async chunks. */
export async function* recordsWithHits(chunks: AsyncIterable<Buffer>, needles: Needles, options: SplitOptions): AsyncGenerator<LocatedRecord[]> {
  const scanner = new RecordScanner(needles, options);
  for await (const chunk of chunks) {
    const found = scanner.push(chunk);
    if (found.length) yield found;
  }
  const last = scanner.finish();
  if (last.length) yield last;
}
