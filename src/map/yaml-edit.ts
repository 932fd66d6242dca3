import type { Document, ToStringOptions } from "yaml";
import { createHash } from "node:crypto";

/**
 * How to write a YAML document back so only what was changed shows in a git
 * diff: the file's own flow-collection padding (`[a, b]` or `[ a, b ]`) and
 * sequence indentation, and no folding of long lines.
 */
export function styleOf(text: string): ToStringOptions {
  const padded = (text.match(/[[{] [^\s\]}]/g) ?? []).length;
  const tight = (text.match(/[[{][^\s\]}]/g) ?? []).length;
  // `key:` then `- item` at the key's own indentation: sequences not indented.
  const flushSeq = /^([ \t]*)[^\s#-][^\n]*:[ \t]*(#[^\n]*)?\n\1- /m.test(text);
  return { flowCollectionPadding: tight === 0 || padded > tight, indentSeq: !flushSeq, lineWidth: 0 };
}

/** The document as text, written in the style of the text it was parsed from. */
export function rewrite(doc: Document, original: string): string {
  return doc.toString(styleOf(original));
}

/** A short fingerprint of a file's text: the page sends it back to prove what it previewed is what is changed. */
export const textVersion = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);
