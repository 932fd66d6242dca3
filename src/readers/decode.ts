import type { Readable } from "node:stream";

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface Sniffed {
  encoding: TextEncoding;
  /** Bytes of byte-order mark to drop. */
  bom: number;
  /** Not text at all: NUL bytes or many control characters. */
  binary: boolean;
  /**
   * UTF-32 text (by its byte-order mark, or three NULs in every four bytes).
   * TextDecoder cannot read it: the engine turns it into UTF-8 first (utf32ToUtf8).
   */
  utf32?: "le" | "be";
}

/** Tell the encoding of text from its first bytes: BOM, UTF-16 without BOM, valid UTF-8, else Windows-1252. */
export function sniffEncoding(head: Buffer): Sniffed {
  // UTF-32 first: its little-endian byte-order mark starts like UTF-16's.
  const utf32 = sniffUtf32(head);
  if (utf32) return utf32;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf-8", bom: 3, binary: false };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le", bom: 2, binary: false };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be", bom: 2, binary: false };
  const sample = head.subarray(0, 8192);
  let evenNul = 0;
  let oddNul = 0;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i];
    if (b === 0) {
      if (i % 2 === 0) evenNul++;
      else oddNul++;
    } else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) {
      control++;
    }
  }
  const half = sample.length / 2;
  // Excel "Unicode text" without BOM: ASCII in UTF-16 puts a NUL in every other byte.
  if (half > 0 && oddNul > half * 0.6 && evenNul < half * 0.05) return { encoding: "utf-16le", bom: 0, binary: false };
  if (half > 0 && evenNul > half * 0.6 && oddNul < half * 0.05) return { encoding: "utf-16be", bom: 0, binary: false };
  if (evenNul + oddNul > 0 || control > sample.length * 0.1) return { encoding: "utf-8", bom: 0, binary: true };
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(sample, { stream: true });
    return { encoding: "utf-8", bom: 0, binary: false };
  } catch {
    return { encoding: "windows-1252", bom: 0, binary: false };
  }
}

/** UTF-32 by byte-order mark, or by NULs: ASCII in UTF-32LE is one letter and three NULs. */
function sniffUtf32(head: Buffer): Sniffed | undefined {
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) return { encoding: "utf-8", bom: 4, binary: false, utf32: "le" };
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff) return { encoding: "utf-8", bom: 4, binary: false, utf32: "be" };
  const sample = head.subarray(0, 8192 - (Math.min(head.length, 8192) % 4));
  if (sample.length < 16) return undefined;
  const nul = [0, 0, 0, 0];
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) nul[i % 4]++;
  const quarter = sample.length / 4;
  // Text in UTF-32 never has code points past 0x10FFFF: the high byte is always NUL, the next nearly always.
  if (nul[3] === quarter && nul[2] > quarter * 0.9 && nul[0] < quarter * 0.1) return { encoding: "utf-8", bom: 0, binary: false, utf32: "le" };
  if (nul[0] === quarter && nul[1] > quarter * 0.9 && nul[3] < quarter * 0.1) return { encoding: "utf-8", bom: 0, binary: false, utf32: "be" };
  return undefined;
}

/** UTF-32 bytes as UTF-8, chunk by chunk (a code point may straddle chunks); the byte-order mark dropped. */
export async function* utf32ToUtf8(chunks: AsyncIterable<Buffer>, order: "le" | "be", bom: number): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  let skip = bom;
  for await (const chunk of chunks) {
    let data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    if (skip) {
      const dropped = Math.min(skip, data.length);
      data = data.subarray(dropped);
      skip -= dropped;
    }
    const whole = data.length - (data.length % 4);
    let text = "";
    for (let i = 0; i < whole; i += 4) {
      const cp = order === "le" ? data.readUInt32LE(i) : data.readUInt32BE(i);
      text += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
    }
    carry = Buffer.from(data.subarray(whole));
    if (text) yield Buffer.from(text, "utf8");
  }
}

/**
 * Read at least `min` bytes (or all, if shorter) and hand back the rest
 * unchanged. The head is a copy, so it stays valid whatever the source does
 * with its buffers; breaking off the returned chunks closes the source.
 */
export async function peek(
  source: AsyncIterable<Buffer>,
  min = 8192,
): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < min) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
    parts.push(Buffer.from(b));
    size += b.length;
  }
  const head = Buffer.concat(parts);
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      if (head.length) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!done) await it.return?.();
    }
  }
  return { head, chunks: chunks() };
}

export interface DecodedText {
  sniffed: Sniffed;
  text: AsyncIterable<string>;
}

/** Decode a byte stream to text in whatever encoding it turns out to have. */
export async function decode(stream: Readable): Promise<DecodedText> {
  const { head, chunks } = await peek(stream as AsyncIterable<Buffer>);
  const sniffed = sniffEncoding(head);
  async function* text(): AsyncGenerator<string> {
    const decoder = new TextDecoder(sniffed.encoding);
    let first = true;
    for await (const chunk of chunks) {
      const bytes = first ? chunk.subarray(sniffed.bom) : chunk;
      first = false;
      const s = decoder.decode(bytes, { stream: true });
      if (s) yield s;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  }
  return { sniffed, text: text() };
}

/** Lines longer than this are cut into pieces (same line number, growing offset) to bound memory. */
export const MAX_LINE = 1024 * 1024;

export interface Line {
  line: number;
  /** Character offset of this piece within its line (non-zero only for over-long lines). */
  offset: number;
  text: string;
}

/** Split decoded text into numbered lines (LF, CRLF or CR), a batch per chunk of text. */
export async function* lines(text: AsyncIterable<string>): AsyncGenerator<Line[]> {
  let pending = "";
  let lineNo = 1;
  let offset = 0;
  let lastWasCR = false;
  for await (const chunk of text) {
    const batch: Line[] = [];
    let start = 0;
    let s = chunk;
    if (lastWasCR && s.startsWith("\n")) s = s.slice(1);
    lastWasCR = false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10 || c === 13) {
        batch.push({ line: lineNo++, offset, text: pending + s.slice(start, i) });
        pending = "";
        offset = 0;
        if (c === 13) {
          if (s.charCodeAt(i + 1) === 10) i++;
          else if (i === s.length - 1) lastWasCR = true;
        }
        start = i + 1;
      }
    }
    pending += s.slice(start);
    while (pending.length > MAX_LINE) {
      batch.push({ line: lineNo, offset, text: pending.slice(0, MAX_LINE) });
      offset += MAX_LINE;
      pending = pending.slice(MAX_LINE);
    }
    if (batch.length) yield batch;
  }
  if (pending.length > 0) yield [{ line: lineNo, offset, text: pending }];
}
