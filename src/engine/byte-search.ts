import { foldInPlace, foldedNeedle } from "../match/bytes.js";

/** What the byte prefilter looks for: lower-case literals, and a pattern for what cannot be a literal. */
export interface Needles {
  literals: string[];
  pattern?: string;
  /** Bytes kept from one chunk to the next, so a hit across a chunk boundary is seen. */
  overlap: number;
}

/**
 * Case-insensitive search of raw bytes, chunk by chunk, without decoding:
 * each chunk is written into a scratch buffer after the tail of the previous
 * one, case-folded in place, and searched with Buffer.indexOf. A match is a
 * candidate (folding merges a few non-letters too), never a miss.
 */
export class ByteSearch {
  private readonly literals: Buffer[];
  private readonly pattern?: RegExp;
  private scratch = Buffer.alloc(0);
  /** Bytes of the previous chunk at the start of the scratch buffer. */
  carried = 0;
  /** The same bytes unfolded, as Latin-1, for the pattern (folding can turn control bytes into digits). */
  private rawTail = "";

  constructor(private readonly needles: Needles) {
    this.literals = needles.literals.map(foldedNeedle);
    this.pattern = needles.pattern ? new RegExp(needles.pattern) : undefined;
  }

  /** The buffer to write the next chunk of up to `size` bytes into, at offset `carried`. */
  space(size: number): Buffer {
    if (this.scratch.length < this.carried + size) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carried + size, 1 << 20));
      this.scratch.copy(bigger, 0, 0, this.carried);
      this.scratch = bigger;
    }
    return this.scratch;
  }

  /** Search the `written` bytes just put at `carried`, with the carried tail before them. */
  found(written: number): boolean {
    const end = this.carried + written;
    const s = this.scratch;
    if (this.pattern) {
      const text = this.rawTail + s.toString("latin1", this.carried, end);
      if (this.pattern.test(text)) return true;
      this.rawTail = text.slice(-this.needles.overlap);
    }
    if (this.literals.length) {
      foldInPlace(s.subarray(this.carried), written);
      const view = s.subarray(0, end);
      for (const l of this.literals) if (view.indexOf(l) !== -1) return true;
    }
    const keep = Math.min(this.needles.overlap, end);
    s.copyWithin(0, end - keep, end);
    this.carried = keep;
    return false;
  }
}
