import type { Needles } from "./byte-search.js";
import { countByte } from "./bytes.js";
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
  ) {
    this.finder = createFinder(needles.literals);
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
      for (let n = 0; n < this.literals; n++) {
        for (let at = this.finder.indexOf(n, data.length, 0); at !== -1; at = this.finder.indexOf(n, data.length, at + 1)) hits.push(at);
      }
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
    const { options } = this;
    const hits = knownClean ? [] : this.candidates(data);
    const out: LocatedRecord[] = [];
    let h = 0;
    let start = 0;
    let startLine = this.line;
    const emit = (end: number, next: number) => {
      while (h < hits.length && hits[h] < start) h++;
      const hit = h < hits.length && hits[h] < end;
      if (hit || (options.withFirst && this.record === 0)) {
        out.push({ index: this.record, line: startLine, bytes: Buffer.from(data.subarray(start, end)) });
      }
      this.record++;
      start = next;
      startLine = this.line;
    };
    const delimiter = options.csv?.delimiter ?? -1;
    const firstCR = data.indexOf(CR);
    if ((!options.csv || data.indexOf(QUOTE) === -1) && (firstCR === -1 || data[firstCR + 1] === LF || firstCR === data.length - 1)) {
      // LF or CRLF, no quotes: records are lines. Count line breaks between hits
      // (four bytes at a time) and cut out only the lines that hold a hit.
      const wanted = options.withFirst && this.record === 0 ? [0, ...hits] : hits;
      for (const at of wanted) {
        if (at < start) continue;
        const lineStart = at === 0 ? 0 : Math.max(start, data.lastIndexOf(LF, at - 1) + 1);
        const skipped = countByte(data, LF, start, lineStart);
        this.record += skipped;
        this.line += skipped;
        start = lineStart;
        startLine = this.line;
        let lineEnd = data.indexOf(LF, at);
        if (lineEnd === -1) {
          if (!final) break; // the rest of this line comes with the next chunk
          lineEnd = data.length;
        }
        this.line++;
        emit(lineEnd, lineEnd + 1);
      }
      if (start < data.length) {
        const lastLF = data.lastIndexOf(LF);
        if (lastLF >= start) {
          const skipped = countByte(data, LF, start, lastLF + 1);
          this.record += skipped;
          this.line += skipped;
          start = lastLF + 1;
          startLine = this.line;
        }
      }
    } else if (!options.csv || data.indexOf(QUOTE) === -1) {
      // Old Mac line endings (CR alone): jump from break to break.
      let i = 0;
      let cr = firstCR;
      for (;;) {
        const lf = data.indexOf(LF, i);
        if (cr !== -1 && cr < i) cr = data.indexOf(CR, i);
        const at = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
        if (at === -1) break;
        if (at === data.length - 1 && data[at] === CR && !final) break; // CRLF may be split across chunks
        const next = data[at] === CR && data[at + 1] === LF ? at + 2 : at + 1;
        this.line++;
        emit(at, next);
        i = next;
      }
    } else {
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
        } else if (b === QUOTE && fieldStart) {
          inQuotes = true;
          fieldStart = false;
        } else if (b === delimiter) {
          fieldStart = true;
        } else if (b === LF || b === CR) {
          if (b === CR && i + 1 === data.length && !final) break;
          const next = b === CR && data[i + 1] === LF ? i + 2 : i + 1;
          this.line++;
          emit(i, next);
          i = next - 1;
          fieldStart = true;
        } else {
          fieldStart = false;
        }
      }
    }
    if (final) {
      if (start < data.length) emit(data.length, data.length);
      this.carried = 0;
    } else {
      // The unfinished record (and its lines) is read again with the next chunk.
      this.line = startLine;
      data.copyWithin(0, start);
      this.carried = data.length - start;
    }
    return out;
  }
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
