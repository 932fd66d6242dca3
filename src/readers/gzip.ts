import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import { byteCounter, chain } from "./streams.js";
import type { FormatSpec } from "./spec.js";
import type { ReadOptions, Unit } from "./types.js";
import { lazy } from "../lazy.js";

// Loaded with the first .gz: the engine imports this module for its error words on every run.
const zlib = lazy<typeof import("node:zlib")>("node:zlib");

/** `report.csv.gz` holds `report.csv`; a bare `dump.gz` holds `dump`. */
export function innerName(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  if (/\.t?gz$/i.test(base)) return base.replace(/\.gz$/i, "").replace(/\.tgz$/i, ".tar");
  if (/\.gzip$/i.test(base)) return base.replace(/\.gzip$/i, "");
  return `${base}.decompressed`;
}

/** Decompress a gzip stream, metered against the expansion budget and ratio limit. */
export function gunzip(raw: Readable, key: string, options: ReadOptions): Readable {
  const counter = byteCounter();
  const out = chain(raw, counter, zlib().createGunzip(), options.budget.meter(key, () => counter.bytes));
  return out;
}

/** A .gz file is one member: its decompressed content, read through the readers by its inner name. */
export async function* readGzip(item: Item, stream: Readable, options: ReadOptions): AsyncGenerator<Unit[]> {
  stream.destroy();
  const name = innerName(item.name);
  const key = `${item.uri}!/${name}`;
  yield [
    {
      kind: "child",
      loc: {},
      item: { source: item.source, uri: item.uri, path: item.path, name, mtime: item.mtime, open: async () => gunzip(await item.open(), key, options) },
    },
  ];
}

/** Turn zlib's terse errors into what a person can act on. */
export function describeZlibError(e: Error & { code?: string }): string | undefined {
  if (e.code === "Z_BUF_ERROR" || /unexpected end of file/i.test(e.message)) return "truncated gzip: unexpected end of file";
  if (e.code === "Z_DATA_ERROR") return `corrupt gzip: ${e.message}`;
  return undefined;
}

/** A gzip file: one member, read through the readers by its inner name. */
export const gzipFormat: FormatSpec = {
  id: "gzip",
  extensions: ["gz", "gzip"],
  contentTypes: ["application/gzip", "application/x-gzip"],
  sniff: (head) => head[0] === 0x1f && head[1] === 0x8b,
  plainText: false,
  tabular: false,
  holds: "members",
  prefixReadable: false,
  read: readGzip,
};
