import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { RecordScanner, type LocatedRecord, type SplitOptions } from "./locate.js";
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
  /**
   * One Int32: batches of records posted and not yet taken by the reader. The
   * worker waits while MAX_BATCHES_IN_FLIGHT are out, so a slow reader (a file
   * where she is on every row) never has the whole file queued in memory.
   */
  inFlight?: SharedArrayBuffer;
}
export type SearchMessage =
  | { id: number; found: boolean }
  | { id: number; records: { index: number; line: number; bytes: Uint8Array }[] }
  /** Bytes of the file gone through so far (for the progress line). */
  | { id: number; read: number }
  | { id: number; done: true }
  | { id: number; error: { message: string; code?: string; skip?: boolean } };

const CHUNK = 1024 * 1024;
export const MAX_BATCHES_IN_FLIGHT = 4;

/** Blocks this worker while the reader has MAX_BATCHES_IN_FLIGHT batches it has not taken yet. */
function waitForRoom(inFlight: Int32Array | undefined): void {
  if (!inFlight) return;
  for (;;) {
    const n = Atomics.load(inFlight, 0);
    if (n < MAX_BATCHES_IN_FLIGHT) return;
    Atomics.wait(inFlight, 0, n, 1000);
  }
}

/** The records of one chunk in one message: their bytes copied into a single buffer that is transferred, not cloned. */
function batchOf(id: number, records: LocatedRecord[]): { message: SearchMessage; transfer: ArrayBuffer[] } {
  let total = 0;
  for (const r of records) total += r.bytes.length;
  const all = new Uint8Array(total);
  let at = 0;
  const out = records.map((r) => {
    all.set(r.bytes, at);
    const bytes = all.subarray(at, (at += r.bytes.length));
    return { index: r.index, line: r.line, bytes };
  });
  return { message: { id, records: out }, transfer: [all.buffer] };
}

/** Byte offset before which there is surely no hit, or -1 when there is none at all. */
function firstHitRegion(fd: number, needles: Needles, size: number | undefined, read: (position: number) => void): number {
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
    read(position);
  }
}

function locate(task: SearchTask, fd: number, clean: number, read: (position: number) => void): void {
  const scanner = new RecordScanner(task.needles, task.split!);
  const buf = Buffer.allocUnsafe(CHUNK);
  const inFlight = task.inFlight ? new Int32Array(task.inFlight) : undefined;
  const send = (records: LocatedRecord[]) => {
    if (!records.length) return;
    waitForRoom(inFlight);
    if (inFlight) Atomics.add(inFlight, 0, 1);
    const { message, transfer } = batchOf(task.id, records);
    parentPort!.postMessage(message, transfer);
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
    read(position);
  }
  send(scanner.finish());
}

parentPort?.on("message", (task: SearchTask) => {
  const post = (m: SearchMessage) => parentPort!.postMessage(m);
  // Bytes gone through, in either pass, reported as they grow.
  let reported = 0;
  const read = (position: number) => {
    if (position > reported) post({ id: task.id, read: (reported = position) });
  };
  let fd: number | undefined;
  try {
    // Non-blocking, and the type checked on what was opened: a FIFO swapped in after listing must not hang the worker.
    fd = openSync(task.path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`changed during the scan: now ${entryKind(st)}, not a regular file`);
    const clean = firstHitRegion(fd, task.needles, task.size, read);
    post({ id: task.id, found: clean !== -1 });
    if (clean !== -1 && task.split) locate(task, fd, clean, read);
    post({ id: task.id, done: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    post({ id: task.id, error: { message: err.message, code: err.code, skip: e instanceof SkipError } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
