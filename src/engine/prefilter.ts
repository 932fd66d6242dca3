import type { Sniffed } from "../readers/decode.js";

/**
 * The fast path: does any form of any identifier occur in these bytes?
 * ASCII-compatible text is searched as Latin-1 (one byte, one character, no
 * decoding cost); UTF-16 is decoded first. A `false` is proof of absence, so
 * the file needs no parsing at all.
 */
export async function anyIdentifierIn(
  chunks: AsyncIterable<Buffer>,
  sniffed: Sniffed,
  prefilter: RegExp,
  overlap: number,
): Promise<boolean> {
  const decoder = sniffed.encoding.startsWith("utf-16") ? new TextDecoder(sniffed.encoding) : undefined;
  let tail = "";
  for await (const chunk of chunks) {
    const s = decoder ? decoder.decode(chunk, { stream: true }) : chunk.toString("latin1");
    if (prefilter.test(s)) return true;
    // A match may straddle two chunks.
    if (tail && prefilter.test(tail + s.slice(0, overlap))) return true;
    tail = s.length > overlap ? s.slice(-overlap) : tail.slice(-(overlap - s.length)) + s;
  }
  return false;
}
