import { createFinder, type Finder } from "./finder.js";

/** What the byte prefilter looks for: lower-case literals, and a pattern for what cannot be a literal. */
export interface Needles {
  literals: string[];
  pattern?: string;
  /** Bytes kept from one chunk to the next, so a hit across a chunk boundary is seen. */
  overlap: number;
}

/**
 * Case-insensitive search of raw bytes, chunk by chunk, without decoding:
 * each chunk is written into the finder's region after the tail of the
 * previous one and searched there (see Finder). A hit is a candidate, never
 * a miss.
 */
export class ByteSearch {
  private readonly finder: Finder;
  private readonly pattern?: RegExp;
  /** Bytes of the previous chunk at the start of the region. */
  carried = 0;

  constructor(
    private readonly needles: Needles,
    portable = false,
  ) {
    this.finder = createFinder(needles.literals, portable);
    this.pattern = needles.pattern ? new RegExp(needles.pattern) : undefined;
  }

  /** The buffer to write the next chunk of up to `size` bytes into, at offset `carried`. */
  space(size: number): Buffer {
    return this.finder.region(this.carried + size);
  }

  /** Search the `written` bytes just put at `carried`, with the carried tail before them. */
  found(written: number): boolean {
    const end = this.carried + written;
    const data = this.finder.region(end);
    if (this.pattern && this.pattern.test(data.toString("latin1", 0, end))) return true;
    if (this.needles.literals.length) {
      this.finder.prepare(end);
      if (this.finder.indexOfAny(end, 0) !== -1) return true;
    }
    const keep = Math.min(this.needles.overlap, end);
    data.copyWithin(0, end - keep, end);
    this.carried = keep;
    return false;
  }
}
