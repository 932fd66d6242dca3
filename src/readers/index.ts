import { csvFormat } from "./csv.js";
import { gzipFormat } from "./gzip.js";
import { jsonFormat, ndjsonFormat } from "./json.js";
import { emlFormat, mboxFormat } from "./mail.js";
import type { FormatSpec } from "./spec.js";
import { textFormat } from "./text.js";
import { unsupportedByName } from "./unsupported.js";
import { xlsxFormat } from "./xlsx.js";
import { zipFormat } from "./zip.js";

export type { FormatSpec, LocatePlan, Reader } from "./spec.js";
export { textFormat };

/**
 * Every format straymap reads. A new format is one reader module exporting its
 * spec, and one line here; sniffing by content goes in this order.
 */
export const FORMATS: readonly FormatSpec[] = [csvFormat, xlsxFormat, jsonFormat, ndjsonFormat, mboxFormat, emlFormat, gzipFormat, zipFormat, textFormat];

const byExtension = new Map(FORMATS.flatMap((f) => f.extensions.map((e) => [e, f] as const)));
const byContentType = new Map(FORMATS.flatMap((f) => (f.contentTypes ?? []).map((t) => [t, f] as const)));

export function formatById(id: string): FormatSpec | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** The last extension of a name, lower case ("" when there is none). */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1) : "";
}

/** The format a name says, a known binary type no reader handles (with why), or undefined. */
export function formatFromName(name: string): FormatSpec | { unsupported: string } | undefined {
  const ext = extensionOf(name);
  const known = byExtension.get(ext);
  if (known) return known;
  const unsupported = unsupportedByName(ext);
  return unsupported ? { unsupported } : undefined;
}

/** The format a MIME type names outright, or undefined (application/octet-stream, unknown types). */
export function formatFromContentType(contentType: string): FormatSpec | undefined {
  return byContentType.get(contentType.split(";")[0].trim().toLowerCase());
}

/** Recognise a format by its first bytes, when the name says nothing. */
export function formatFromBytes(head: Buffer): FormatSpec | undefined {
  return FORMATS.find((f) => f.sniff?.(head));
}

/**
 * What an item is: a precise MIME type decides (message/rfc822 needs no .eml
 * name); a generic one (text/plain) yields to the name.
 */
export function formatOfItem(name: string, contentType?: string): FormatSpec | { unsupported: string } | undefined {
  const byType = contentType ? formatFromContentType(contentType) : undefined;
  if (byType && byType !== textFormat) return byType;
  return formatFromName(name) ?? byType;
}
