import { createWriteStream, readdirSync, rmSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type yauzl from "yauzl";
import { lazy } from "../lazy.js";

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

// Temporary copies hold customer data: each sits in a 0700 folder named with
// the process id, is removed when read, and on every exit of this process; a
// process killed outright (SIGKILL) leaves its folders to the next run, which
// removes those whose process is gone (removeStaleTemp).
const TEMP_PREFIX = "straymap-tmp-";
const live = new Set<string>();
let exitHook = false;

function track(dir: string): void {
  live.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const d of live) rmSync(d, { recursive: true, force: true });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const swept = new Set<string>();

/** Remove temporary folders that runs of straymap killed before they could clean up left in `tmpDir` (once per process). */
export function removeStaleTemp(tmpDir: string): void {
  if (swept.has(tmpDir)) return;
  swept.add(tmpDir);
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch {
    return;
  }
  const me = process.getuid?.();
  for (const name of names) {
    const pid = name.startsWith(TEMP_PREFIX) ? Number(name.slice(TEMP_PREFIX.length).split("-")[0]) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    const dir = join(tmpDir, name);
    try {
      if (me === undefined || statSync(dir).uid === me) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Someone else's, or already gone.
    }
  }
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
  // mkdtemp makes the folder 0700 whatever the umask.
  const dir = await mkdtemp(join(tmpDir, `${TEMP_PREFIX}${process.pid}-`));
  track(dir);
  const cleanup = async () => {
    live.delete(dir);
    await rm(dir, { recursive: true, force: true });
  };
  const path = join(dir, "archive");
  try {
    await pipeline(stream, createWriteStream(path, { mode: 0o600 }));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { path, cleanup };
}
