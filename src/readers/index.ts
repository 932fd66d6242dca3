import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import { readCsv } from "./csv.js";
import type { Format } from "./formats.js";
import { readGzip } from "./gzip.js";
import { readJson, readNdjson } from "./json.js";
import { readEml, readMbox } from "./mail.js";
import { readText } from "./text.js";
import type { ReadOptions, Unit } from "./types.js";
import { readXlsx } from "./xlsx.js";
import { readZip } from "./zip.js";

export type Reader = (item: Item, stream: Readable, options: ReadOptions) => AsyncIterable<Unit>;

const READERS: Record<Format, Reader> = {
  csv: (item, s, o) => readCsv(s, item.name, o),
  xlsx: readXlsx,
  json: (_item, s, o) => readJson(s, o),
  ndjson: (_item, s, o) => readNdjson(s, o),
  text: (_item, s) => readText(s),
  eml: (item, s) => readEml(item, s),
  mbox: readMbox,
  gzip: readGzip,
  zip: readZip,
};

/** The reader for a format: every scanner's items go through these same readers. */
export function readerFor(format: Format): Reader {
  return READERS[format];
}
