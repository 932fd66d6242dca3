import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { RecordScanner, type SplitOptions } from "./locate.js";
import { SkipError } from "../errors.js";
import { ByteSearch, type Needles } from "./byte-search.js";
import { entryKind, lengthMismatch } from "./file-checks.js";

// A search worker: reads a local file with plain blocking reads (fast, and
// it only blocks this thread), answers whether any identifier form occurs,
// and when asked, walks the file again for the records that hold one.

export interface SearchTask {
  id: number;
  path: string;
  needles: Needles;
  /** How records split, to locate hits; absent: only say whether there is one. */
  split?: SplitOptions;
  /** The size listed: a file that reads shorter or longer changed during the scan (an error). */
  size?: number;
}
export type SearchMessage =
  | { id: number; found: boolean }
  | { id: number; records: { index: number; line: number; bytes: Uint8Array }[] }
  | { id: number; done: true }
  | { id: number; error: { message: string; code?: string; skip?: boolean } };

const CHUNK = 1024 * 1024;

/** Byte offset before which there is surely no hit, or -1 when there is none at all. */
function firstHitRegion(fd: number, needles: Needles, size: number | undefined): number {
  const search = new ByteSearch(needles);
  let position = 0;
  for (;;) {
    const carried = search.carried;
    const n = readSync(fd, search.space(CHUNK), carried, CHUNK, null);
    if (n === 0) {
      const changed = lengthMismatch(size, position);
      if (changed) throw changed;
      return -1;
    }
    // The hit may begin in the carried tail of the previous chunk.
    if (search.found(n)) return Math.max(0, position - carried);
    position += n;
  }
}

function locate(task: SearchTask, fd: number, clean: number, post: (m: SearchMessage) => void): void {
  const scanner = new RecordScanner(task.needles, task.split!);
  const buf = Buffer.allocUnsafe(CHUNK);
  const send = (records: ReturnType<RecordScanner["push"]>) => {
    if (records.length) post({ id: task.id, records: records.map((r) => ({ index: r.index, line: r.line, bytes: new Uint8Array(r.bytes) })) });
  };
  let position = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, position);
    if (n === 0) {
      const changed = lengthMismatch(task.size, position);
      if (changed) throw changed;
      break;
    }
    // Chunks before the first hit only need their record boundaries counted.
    send(scanner.push(buf.subarray(0, n), position + n <= clean));
    position += n;
  }
  send(scanner.finish());
}

parentPort?.on("message", (task: SearchTask) => {
  const post = (m: SearchMessage) => parentPort!.postMessage(m);
  let fd: number | undefined;
  try {
    // Non-blocking, and the type checked on what was opened: a FIFO swapped in after listing must not hang the worker.
    fd = openSync(task.path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`changed during the scan: now ${entryKind(st)}, not a regular file`);
    const clean = firstHitRegion(fd, task.needles, task.size);
    post({ id: task.id, found: clean !== -1 });
    if (clean !== -1 && task.split) locate(task, fd, clean, post);
    post({ id: task.id, done: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    post({ id: task.id, error: { message: err.message, code: err.code, skip: e instanceof SkipError } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
