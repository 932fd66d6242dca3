import type { CustomerMatcher } from "../match/customer.js";
import type { Sniffed } from "../readers/decode.js";
import { ByteSearch, type Needles } from "../search/byte-search.js";

export function needlesOf(matcher: CustomerMatcher): Needles {
  return { literals: matcher.literals, pattern: matcher.patternPrefilter?.source, overlap: matcher.maxMatchLength };
}

/**
 * The fast path: does any form of any identifier occur in these bytes?
 * ASCII-compatible text is searched as bytes (see ByteSearch); UTF-16 is
 * decoded first. A `false` is proof of absence: the file needs no parsing.
 */
export async function anyIdentifierIn(chunks: AsyncIterable<Buffer>, sniffed: Sniffed, matcher: CustomerMatcher): Promise<boolean> {
  if (sniffed.encoding.startsWith("utf-16")) {
    const decoder = new TextDecoder(sniffed.encoding);
    let tail = "";
    for await (const chunk of chunks) {
      const s = tail + decoder.decode(chunk, { stream: true });
      if (matcher.prefilter.test(s)) return true;
      tail = s.slice(-matcher.maxMatchLength);
    }
    return false;
  }
  const search = new ByteSearch(needlesOf(matcher));
  for await (const chunk of chunks) {
    chunk.copy(search.space(chunk.length), search.carried);
    if (search.found(chunk.length)) return true;
  }
  return false;
}
