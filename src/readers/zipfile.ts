import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type yauzl from "yauzl";
import { lazy } from "../lazy.js";
import { privateTempDir, removeTempDir } from "../private-temp.js";

const yauzlModule = lazy<typeof import("yauzl")>("yauzl");
import type { Item } from "../types.js";

export interface ZipArchive {
  entries: yauzl.Entry[];
  open(entry: yauzl.Entry): Promise<Readable>;
  close(): void;
}

/** Open a zip on local disk and list its central directory (no member is read yet). */
export function openZip(path: string): Promise<ZipArchive> {
  return new Promise((resolve, reject) => {
    yauzlModule().open(path, { lazyEntries: true, autoClose: false, strictFileNames: false }, (err, zip) => {
      if (err || !zip) return reject(new Error(`corrupt zip: ${err?.message ?? "cannot open"}`));
      const entries: yauzl.Entry[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        entries.push(e);
        zip.readEntry();
      });
      zip.on("error", (e: Error) => reject(new Error(`corrupt zip: ${e.message}`)));
      zip.on("end", () =>
        resolve({
          entries,
          open: (entry) =>
            new Promise((res, rej) =>
              zip.openReadStream(entry, (e, s) => (e || !s ? rej(new Error(`corrupt zip member ${entry.fileName}: ${e?.message}`)) : res(s))),
            ),
          close: () => zip.close(),
        }),
      );
      zip.readEntry();
    });
  });
}

/**
 * Zip needs random access: use the file itself when the item is on local
 * disk, else copy the stream to a temporary file that `cleanup` removes.
 */
export async function localCopy(item: Item, stream: Readable, tmpDir: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  if (item.localPath) {
    stream.destroy();
    return { path: item.localPath, cleanup: async () => {} };
  }
  const dir = await privateTempDir(tmpDir);
  const cleanup = () => removeTempDir(dir);
  const path = join(dir, "archive");
  try {
    await pipeline(stream, createWriteStream(path, { mode: 0o600 }));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { path, cleanup };
}
