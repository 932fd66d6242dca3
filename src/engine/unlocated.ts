import type { CustomerMatcher } from "../match/customer.js";
import { snippet } from "../match/redact.js";
import { peek, sniffEncoding, utf32ToUtf8 } from "../readers/decode.js";
import type { IdentifierKind } from "../types.js";

// When an item cannot be parsed to the end (a limit, a parse error, binary
// content), its raw bytes are still searched for her: "she is in it, here is
// why no cell can be named" is an answer; silence is not.

/** Which of her identifiers a piece of raw bytes holds (read as Latin-1: identifiers are ASCII), if any. */
export function identifierInBytes(bytes: Buffer, matcher: CustomerMatcher): IdentifierKind | undefined {
  return matcher.find(bytes.toString("latin1"))[0]?.identifier;
}

export interface RawHit {
  identifier: IdentifierKind;
  confidence: number;
  /** A redacted snippet around the first hit. */
  evidence: string;
}

/**
 * The first of her identifiers in a byte stream, decoded as its head suggests
 * (UTF-8, UTF-16, UTF-32; Latin-1 for binary data), or undefined. Hits across
 * chunk boundaries are found: each chunk is searched after the tail of the last.
 */
export async function identifierInStream(source: AsyncIterable<Buffer>, matcher: CustomerMatcher, showValues: boolean): Promise<RawHit | undefined> {
  const { head, chunks: raw } = await peek(source);
  const sniffed = sniffEncoding(head);
  const chunks = sniffed.utf32 ? utf32ToUtf8(raw, sniffed.utf32, sniffed.bom) : raw;
  const decoder = sniffed.binary || sniffed.utf32 ? undefined : new TextDecoder(sniffed.encoding);
  let tail = "";
  for await (const chunk of chunks) {
    const text = tail + (decoder ? decoder.decode(chunk, { stream: true }) : chunk.toString(sniffed.utf32 ? "utf8" : "latin1"));
    const hit = matcher.find(text)[0];
    if (hit) {
      // Returning from the loop ends the underlying read.
      return { identifier: hit.identifier, confidence: hit.confidence, evidence: snippet(text, hit.index, hit.length, hit.identifier, showValues) };
    }
    tail = text.slice(-matcher.maxMatchLength);
  }
  return undefined;
}
