import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { foldInPlace, foldedNeedle } from "./bytes.js";

/**
 * Case-insensitive search for a few ASCII literals in a region of raw bytes.
 * Callers write data into `region()`, call `prepare(len)`, then `indexOf`.
 * Matching is on case-folded bytes (bit 0x20 set), so a match is a candidate:
 * never a miss, occasionally a non-letter look-alike that a precise matcher
 * rejects later.
 */
export interface Finder {
  /** A buffer of at least `capacity` bytes to write data into; call again after writing more than before. */
  region(capacity: number): Buffer;
  /** The first `len` bytes of the region are the data to search. */
  prepare(len: number): void;
  /** First position >= from of needle `which` in the prepared data, or -1. */
  indexOf(which: number, len: number, from: number): number;
  /** First position >= from where any needle starts, or -1 (one pass for all of them). */
  indexOfAny(len: number, from: number): number;
  /** The SIMD record-break counter over the region (see RecordBreaks); absent in the portable finder. */
  readonly breaks?: RecordBreaks;
}

/**
 * Counts line and record breaks in `region()[from..to)`, which starts at a
 * record start; `len` is where the data ends. A line break is LF, CRLF or a
 * CR alone. `delimiter` >= 0: CSV, where a line break inside quotes is no
 * record break. Returns the number of record breaks, or -1 when a quote
 * inside an unquoted CSV field makes the SIMD count unsure (walk the bytes
 * then). `stop`: return at the first record break. See search.wat.
 */
export interface RecordBreaks {
  count(from: number, to: number, len: number, delimiter: number, stop: boolean): number;
  /** Line breaks seen by the last count. */
  lines: number;
  /** Offset of the last record break counted (its LF or lone CR), -1 if none. */
  last: number;
  /** Line breaks up to and including that one. */
  linesAtLast: number;
}

/** Portable finder: a case-folded copy searched with Buffer.indexOf. */
class JsFinder implements Finder {
  private data = Buffer.alloc(0);
  private folded = Buffer.alloc(0);
  private readonly needles: Buffer[];

  constructor(literals: string[]) {
    this.needles = literals.map(foldedNeedle);
  }

  region(capacity: number): Buffer {
    if (this.data.length < capacity) {
      const bigger = Buffer.allocUnsafe(Math.max(capacity, this.data.length * 2, 1 << 20));
      this.data.copy(bigger);
      this.data = bigger;
      this.folded = Buffer.allocUnsafe(bigger.length);
    }
    return this.data;
  }

  prepare(len: number): void {
    this.data.copy(this.folded, 0, 0, len);
    foldInPlace(this.folded, len);
  }

  indexOf(which: number, len: number, from: number): number {
    const at = this.folded.subarray(0, len).indexOf(this.needles[which], from);
    return at;
  }

  indexOfAny(len: number, from: number): number {
    let first = -1;
    for (let i = 0; i < this.needles.length; i++) {
      const at = this.indexOf(i, len, from);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    return first;
  }
}

// WebAssembly memory layout: the folded needles first, the data region after them.
const PAGE = 65536;
const NEEDLE_AREA = PAGE;
const SPARE = 64;

/** The kernel's `records` export, reading its results from the kernel's globals. */
class WasmBreaks implements RecordBreaks {
  lines = 0;
  last = -1;
  linesAtLast = 0;
  private readonly records: (data: number, from: number, to: number, len: number, delim: number, csv: number, stop: number) => number;
  private readonly globals: { lines: WebAssembly.Global; last: WebAssembly.Global; linesAtLast: WebAssembly.Global };

  constructor(exports: WebAssembly.Exports) {
    this.records = exports.records as WasmBreaks["records"];
    this.globals = exports as unknown as WasmBreaks["globals"];
  }

  count(from: number, to: number, len: number, delimiter: number, stop: boolean): number {
    const n = this.records(NEEDLE_AREA, from, to, len, delimiter & 0xff, delimiter >= 0 ? 1 : 0, stop ? 1 : 0);
    this.lines = this.globals.lines.value as number;
    this.last = this.globals.last.value as number;
    this.linesAtLast = this.globals.linesAtLast.value as number;
    return n;
  }
}

/** SIMD finder: searches the data in place, folding case on the fly (see search.wat). */
class WasmFinder implements Finder {
  private readonly memory: WebAssembly.Memory;
  private readonly find: (data: number, len: number, needle: number, k: number, from: number) => number;
  private readonly findAny: (data: number, len: number, table: number, n: number, from: number) => number;
  private readonly needles: { at: number; length: number }[] = [];
  /** Where the (offset, length) pairs of the needles are, for findAny. */
  private readonly table: number;
  private view: Buffer;
  readonly breaks: RecordBreaks;

  constructor(module: WebAssembly.Module, literals: string[]) {
    const instance = new WebAssembly.Instance(module);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.find = instance.exports.find as WasmFinder["find"];
    this.findAny = instance.exports.findAny as WasmFinder["findAny"];
    this.breaks = new WasmBreaks(instance.exports);
    this.view = Buffer.from(this.memory.buffer);
    let at = 0;
    for (const l of literals) {
      const folded = foldedNeedle(l);
      if (at + folded.length > NEEDLE_AREA) throw new Error("identifiers too long for the search kernel");
      folded.copy(this.view, at);
      this.needles.push({ at, length: folded.length });
      at += folded.length;
    }
    this.table = (at + 7) & ~7;
    if (this.table + 8 * literals.length > NEEDLE_AREA) throw new Error("identifiers too long for the search kernel");
    const pairs = new Int32Array(this.memory.buffer, this.table, 2 * literals.length);
    this.needles.forEach((n, i) => pairs.set([n.at, n.length], 2 * i));
  }

  region(capacity: number): Buffer {
    // Spare bytes after the data: `records` reads whole 64-byte blocks (and masks what is past the end).
    const needed = NEEDLE_AREA + capacity + SPARE;
    if (this.memory.buffer.byteLength < needed) {
      this.memory.grow(Math.ceil((needed - this.memory.buffer.byteLength) / PAGE));
    }
    if (this.view.buffer !== this.memory.buffer) this.view = Buffer.from(this.memory.buffer);
    return this.view.subarray(NEEDLE_AREA, this.view.length - SPARE);
  }

  prepare(): void {}

  indexOf(which: number, len: number, from: number): number {
    const n = this.needles[which];
    return this.find(NEEDLE_AREA, len, n.at, n.length, from);
  }

  indexOfAny(len: number, from: number): number {
    return this.needles.length ? this.findAny(NEEDLE_AREA, len, this.table, this.needles.length, from) : -1;
  }
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel next to this module (dist), or the built one when running from sources; null if absent. */
function kernel(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  const here = fileURLToPath(import.meta.url);
  // Beside this module (dist/src/search), beside the CLI bundle's chunks (dist/src/cli), or built from these sources.
  const file = [join(dirname(here), "search.wasm"), join(dirname(here), "../search/search.wasm"), here.replace(/\/src\/search\/finder\.ts$/, "/dist/src/search/search.wasm")].find(
    (f) => f !== here && existsSync(f),
  );
  try {
    compiled = file ? new WebAssembly.Module(readFileSync(file)) : null;
  } catch {
    // No SIMD support in this runtime: the portable finder does the same job, slower.
    compiled = null;
  }
  return compiled;
}

/** The fastest finder available for these literals. `portable` forces the JavaScript one (tests compare both). */
export function createFinder(literals: string[], portable = false): Finder {
  // An empty literal matches everywhere: the kernel's loops assume k >= 1.
  const module = portable || literals.some((l) => l.length === 0) ? null : kernel();
  return module ? new WasmFinder(module, literals) : new JsFinder(literals);
}
