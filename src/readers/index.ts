import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import type { Format } from "./formats.js";
import type { ReadOptions, Unit } from "./types.js";

/** A reader turns an item's bytes into batches of addressable text. */
export type Reader = (item: Item, stream: Readable, options: ReadOptions) => AsyncIterable<Unit[]>;

// Readers load on first use: a scan of CSV files never pays for the mail parser.
const READERS: Record<Format, () => Promise<Reader>> = {
  csv: async () => {
    const { readCsv } = await import("./csv.js");
    return (item, s, o) => readCsv(s, item.name, o);
  },
  xlsx: async () => (await import("./xlsx.js")).readXlsx,
  json: async () => {
    const { readJson } = await import("./json.js");
    return (_item, s, o) => readJson(s, o);
  },
  ndjson: async () => {
    const { readNdjson } = await import("./json.js");
    return (_item, s, o) => readNdjson(s, o);
  },
  text: async () => {
    const { readText } = await import("./text.js");
    return (_item, s) => readText(s);
  },
  eml: async () => {
    const { readEml } = await import("./mail.js");
    return (item, s) => readEml(item, s);
  },
  mbox: async () => (await import("./mail.js")).readMbox,
  gzip: async () => (await import("./gzip.js")).readGzip,
  zip: async () => (await import("./zip.js")).readZip,
};

/** The reader for a format: every scanner's items go through these same readers. */
export function readerFor(format: Format): Promise<Reader> {
  return READERS[format]();
}
