import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import { formatBytes } from "../limits.js";
import { chain } from "./streams.js";
import { localCopy, openZip } from "./zipfile.js";
import type { FormatSpec } from "./spec.js";
import type { ReadOptions, Unit } from "./types.js";

/** A zip archive: each file member is read through the readers; limits are checked from the directory first. */
export async function* readZip(item: Item, stream: Readable, options: ReadOptions): AsyncGenerator<Unit[]> {
  const { limits } = options.budget;
  const local = await localCopy(item, stream, options.tmpDir);
  try {
    const zip = await openZip(local.path);
    try {
      const files = zip.entries.filter((e) => !e.fileName.endsWith("/"));
      let declared = 0;
      for (const [i, entry] of files.entries()) {
        const name = entry.fileName;
        if (i >= limits.maxEntries) {
          yield [{ kind: "skip", name, reason: `archive has more than limits.maxEntries (${limits.maxEntries}) members` }];
          continue;
        }
        if (entry.isEncrypted()) {
          yield [{ kind: "skip", name, reason: "encrypted archive member" }];
          continue;
        }
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (entry.uncompressedSize > 1024 * 1024 && ratio > limits.maxRatio) {
          yield [{ kind: "skip", name, reason: `compression ratio ${Math.round(ratio)}:1 over limits.maxRatio (${limits.maxRatio}:1), possible zip bomb` }];
          continue;
        }
        declared += entry.uncompressedSize;
        if (declared > limits.maxExpandedBytes) {
          yield [{ kind: "skip", name, reason: `archive expands to more than limits.maxExpandedBytes (${formatBytes(limits.maxExpandedBytes)})` }];
          continue;
        }
        const key = `${item.uri}!/${name}`;
        const child: Item = {
          source: item.source,
          uri: item.uri,
          path: item.path,
          name,
          size: entry.uncompressedSize,
          mtime: entry.getLastModDate(),
          // Sizes in the directory can lie: meter what actually comes out (yauzl also checks them).
          open: async () => chain(await zip.open(entry), options.budget.meter(key, () => entry.compressedSize)),
        };
        yield [{ kind: "child", item: child, loc: {} }];
      }
    } finally {
      zip.close();
    }
  } finally {
    await local.cleanup();
  }
}

/** A zip archive: each member read through the readers, within the archive limits. */
export const zipFormat: FormatSpec = {
  id: "zip",
  extensions: ["zip"],
  contentTypes: ["application/zip", "application/x-zip-compressed"],
  sniff: (head) => head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05),
  plainText: false,
  tabular: false,
  holds: "members",
  prefixReadable: false,
  read: readZip,
};
