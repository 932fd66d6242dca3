import type { Readable } from "node:stream";
import type { Limits } from "../limits.js";
import type { Item } from "../types.js";
import type { Sniffed } from "./decode.js";
import type { LocatedRecord, SplitOptions } from "../search/locate.js";
import type { ReadOptions, Unit } from "./types.js";

/** A reader turns an item's bytes into batches of addressable text (heavy libraries load inside it, on first use). */
export type Reader = (item: Item, stream: Readable, options: ReadOptions) => AsyncIterable<Unit[]>;

/**
 * How the fast path locates hits in a format whose records are lines: the byte
 * search cuts out only the records holding a candidate (`split`), and `units`
 * parses those into the same units the full reader would give.
 */
export interface LocatePlan {
  split: SplitOptions;
  units(records: AsyncIterable<LocatedRecord[]>, sniffed: Sniffed): AsyncIterable<Unit[]>;
}

/**
 * A format describes itself: how it is recognised, what kind of content it
 * holds, and how it is read. Each reader module exports one; readers/index.ts
 * is the registry. The engine asks these questions and knows no format by name.
 */
export interface FormatSpec {
  id: string;
  /** File name extensions, lower case, without the dot. */
  extensions: readonly string[];
  /** MIME types that name this format outright (what drives and mail APIs report). */
  contentTypes?: readonly string[];
  /** Recognise the format from an item's first bytes when its name says nothing. */
  sniff?(head: Buffer): boolean;
  /** The raw bytes hold the text as written: a byte search can prove an identifier absent, and binary bytes mean it is not this format. */
  plainText: boolean;
  /** Rows and columns (or records and keys): sweeps classify its columns. */
  tabular: boolean;
  /** Holds other items, read through the readers whatever the job: archive members, or mail attachments. */
  holds?: "members" | "attachments";
  /** Its first rows make a sample: a sweep of a big item may read only its head (a Range GET). */
  prefixReadable: boolean;
  /** Parsed in memory: items larger than this limit are skipped with its name. */
  memoryLimit?(limits: Limits): { name: keyof Limits; bytes: number };
  /** The fast locate path, for ASCII-compatible text with line records (CSV, text, NDJSON). */
  locate?(head: Buffer, sniffed: Sniffed, name: string): LocatePlan | undefined;
  read: Reader;
}

/** Whether the sniffed encoding lets records be cut out of raw bytes by line breaks. */
export const lineRecordsReadable = (sniffed: Sniffed) => sniffed.encoding === "utf-8" || sniffed.encoding === "windows-1252";

/** Decode located records with the file's encoding (the first keeps its byte-order mark out). */
export function recordText(sniffed: Sniffed): (r: LocatedRecord) => string {
  const decoder = new TextDecoder(sniffed.encoding);
  return (r) => decoder.decode(r.index === 0 ? r.bytes.subarray(sniffed.bom) : r.bytes).replace(/\r$/, "");
}

/**
 * The locate plan of formats whose records are lines (text, NDJSON): records with
 * a hit are cut out by line breaks and each turned into units by `toUnits`.
 */
export function lineLocate(toUnits: (text: string, line: number) => Unit[]): NonNullable<FormatSpec["locate"]> {
  return (_head, sniffed) =>
    lineRecordsReadable(sniffed)
      ? {
          split: {},
          units: async function* (records, s) {
            const text = recordText(s);
            for await (const batch of records) {
              const units = batch.flatMap((r) => toUnits(text(r), r.line));
              if (units.length) yield units;
            }
          },
        }
      : undefined;
}
