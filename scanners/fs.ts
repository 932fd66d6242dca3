import { createReadStream, constants } from "node:fs";
import { lstat, open, opendir, realpath, stat, type FileHandle } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { memo, zod } from "../src/lazy.js";
import type { EnumerateContext, ScannerModule, Source, SourceSession } from "../src/engine/scanner.js";
import { folderFilter, pathFilter, type PathFilter } from "../src/sources/common.js";
import { IGNORE_FILE } from "../src/sources/ignore-file.js";
import { describeError } from "../src/engine/errors.js";
import { entryKind, lengthMismatch } from "../src/search/file-checks.js";
import { chain } from "../src/readers/streams.js";
import type { CoverageEntry, Enumerated, Item } from "../src/types.js";

export interface FsSettings {
  /** The folder or file to scan (relative to the config file). */
  path: string;
  /** Globs of files to read (default: all). */
  include?: string[];
  /** Globs of files and folders to leave out. */
  exclude?: string[];
  /** Read dot-files and dot-folders. */
  hidden: boolean;
  /** Follow symbolic links (loops are detected); only those that stay inside the folder unless `symlinksOutside`. */
  followSymlinks: boolean;
  /** Honour a .straymapignore (gitignore syntax) in the folder's root (default true). */
  ignoreFile?: boolean;
  /** With followSymlinks: also follow links that lead outside the scanned folder (listed and skipped otherwise). */
  symlinksOutside?: boolean;
}

const settings = memo(() => {
  const z = zod();
  return z
    .object({
      path: z.string().min(1, "give the folder or file to scan"),
      include: z.array(z.string()).optional(),
      exclude: z.array(z.string()).optional(),
      hidden: z.boolean().default(false),
      followSymlinks: z.boolean().default(false),
      ignoreFile: z.boolean().default(true),
      symlinksOutside: z.boolean().optional(),
    })
    .strict();
});

const DEFAULT_EXCLUDE = ["**/node_modules", "**/.git"];
const READ_CHUNK = 1024 * 1024;
const FIRST_CHUNK = 64 * 1024;

/**
 * Open what was listed as a file without ever blocking: a FIFO or device put in
 * its place after listing would block a plain open or read forever. The type is
 * checked on the handle (what was opened), not on the path (what was listed).
 */
export async function openRegular(abs: string): Promise<FileHandle> {
  const fh = await open(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`changed during the scan: now ${entryKind(st)}, not a regular file`);
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** A pass-through that fails at the end when the byte count differs from the size listed. */
function lengthCheck(listed: number): Transform {
  let read = 0;
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      read += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(lengthMismatch(listed, read) ?? null);
    },
  });
}

/** A folder (or single file) on local disk or a mounted share. */
export class FsSource implements Source {
  readonly kind = "fs";
  private readonly root: string;
  /** Files: exclude and include globs. */
  private readonly files: PathFilter;
  /** Folders: exclude globs only. */
  private readonly folders: PathFilter;

  constructor(
    readonly id: string,
    private readonly s: FsSettings,
    configDir: string,
  ) {
    this.root = isAbsolute(s.path) ? s.path : resolve(configDir, s.path);
    const globs = {
      include: s.include,
      exclude: s.exclude,
      defaultExclude: DEFAULT_EXCLUDE,
      where: `source ${id}`,
      ignoreFile: s.ignoreFile === false ? undefined : join(this.root, IGNORE_FILE),
    };
    this.files = pathFilter(globs);
    this.folders = folderFilter(globs);
  }

  async open(): Promise<SourceSession> {
    return { enumerate: (ctx) => this.enumerate(ctx), close: async () => {} };
  }

  private entry(abs: string, rel: string, status: CoverageEntry["status"], why: string): Enumerated {
    return { settled: { source: this.id, uri: pathToFileURL(abs).href, path: rel, status, ...(status === "failed" ? { error: why } : { reason: why }) } };
  }

  private item(abs: string, rel: string, size: number, mtime: Date): Item {
    return {
      source: this.id,
      uri: pathToFileURL(abs).href,
      path: rel,
      name: basename(abs),
      size,
      mtime,
      localPath: abs,
      open: async (): Promise<Readable> => chain((await openRegular(abs)).createReadStream({ highWaterMark: READ_CHUNK }), lengthCheck(size)),
      openPrefix: async (bytes: number) => (await openRegular(abs)).createReadStream({ highWaterMark: READ_CHUNK, end: bytes - 1 }),
      // Reading into one reused buffer is many times faster than a stream's fresh buffer per chunk.
      chunks: async function* () {
        const fh = await openRegular(abs);
        try {
          const buf = Buffer.allocUnsafe(READ_CHUNK);
          // A small first read: often only the head is needed, to tell the format.
          let want = FIRST_CHUNK;
          let read = 0;
          for (;;) {
            const { bytesRead } = await fh.read(buf, 0, want, null);
            want = READ_CHUNK;
            if (bytesRead === 0) {
              const changed = lengthMismatch(size, read);
              if (changed) throw changed;
              return;
            }
            read += bytesRead;
            yield buf.subarray(0, bytesRead);
          }
        } finally {
          await fh.close();
        }
      },
    };
  }

  async *enumerate(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    let rootStat;
    try {
      rootStat = await stat(this.root);
    } catch (e) {
      yield this.entry(this.root, basename(this.root), "failed", describeError(e));
      return;
    }
    if (rootStat.isFile()) {
      const rel = relative(process.cwd(), this.root) || basename(this.root);
      yield { item: this.item(this.root, rel.startsWith("..") ? this.root : rel, rootStat.size, rootStat.mtime) };
      return;
    }
    this.realRoot = await realpath(this.root);
    yield* this.walk(this.root, new Set([this.realRoot]), ctx);
  }

  private realRoot = "";

  /** Whether a real path lies inside the scanned folder. */
  private inside(real: string): boolean {
    return real === this.realRoot || real.startsWith(this.realRoot.endsWith(sep) ? this.realRoot : this.realRoot + sep);
  }

  private async *walk(dir: string, ancestors: Set<string>, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (e) {
      yield this.entry(dir, this.rel(dir), "failed", describeError(e));
      return;
    }
    // Sorted, so runs and reports list files in a stable order.
    const names: string[] = [];
    for await (const d of handle) names.push(d.name);
    names.sort();
    for (const name of names) {
      if (ctx.signal?.aborted) return;
      const abs = `${dir}${sep}${name}`;
      const rel = this.rel(abs);
      if (name.startsWith(".") && !this.s.hidden) {
        yield this.entry(abs, rel, "skipped", "hidden (set hidden: true to read dot-files)");
        continue;
      }
      const excluded = this.folders(rel);
      if (excluded) {
        yield this.entry(abs, rel, "skipped", excluded);
        continue;
      }
      let st;
      try {
        st = await lstat(abs);
        if (st.isSymbolicLink()) {
          if (!this.s.followSymlinks) {
            yield this.entry(abs, rel, "skipped", "symbolic link (set followSymlinks: true to follow)");
            continue;
          }
          st = await stat(abs);
          if (!this.s.symlinksOutside && !this.inside(await realpath(abs))) {
            yield this.entry(abs, rel, "skipped", "symbolic link leading outside the scanned folder (set symlinksOutside: true, or --follow-symlinks-outside, to follow)");
            continue;
          }
        }
      } catch (e) {
        yield this.entry(abs, rel, "failed", describeError(e));
        continue;
      }
      if (st.isDirectory()) {
        const real = await realpath(abs).catch(() => abs);
        if (ancestors.has(real)) {
          yield this.entry(abs, rel, "skipped", "symbolic link loop (points to a folder above it)");
          continue;
        }
        yield* this.walk(abs, new Set([...ancestors, real]), ctx);
      } else if (!st.isFile()) {
        yield this.entry(abs, rel, "skipped", "not a regular file (device, socket or pipe)");
      } else if (this.files(rel)) {
        yield this.entry(abs, rel, "skipped", this.files(rel)!);
      } else {
        yield { item: this.item(abs, rel, st.size, st.mtime) };
      }
    }
  }

  private rel(abs: string): string {
    return relative(this.root, abs).split(sep).join("/");
  }
}

export const fsScanner: ScannerModule<FsSettings> = {
  kind: "fs",
  description: "a folder or file on local disk or a mounted share",
  settings,
  create: (id, s, env) => new FsSource(id, s, env.configDir),
};
