import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import type { Worker } from "node:worker_threads";
import type { LocatedRecord, SplitOptions } from "../search/locate.js";
import { SkipError } from "../errors.js";
import type { Needles } from "../search/byte-search.js";
import { AsyncQueue } from "./queue.js";
import { lazy } from "../lazy.js";
import type { SearchMessage, SearchTask } from "../search/search-worker.js";

// Loaded with the first worker: small files are searched in the main thread and never need it.
const workerThreads = lazy<typeof import("node:worker_threads")>("node:worker_threads");

/** The compiled worker next to this module (dist), or the built copy when running from sources (tests). */
function workerFile(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  // From dist/src/engine or the CLI bundle's chunks in dist/src/cli: dist/src/search; from these sources: the built copy.
  const candidates = [join(dirname(here), "../search/search-worker.js"), here.replace(/\/src\/engine\/search-pool\.ts$/, "/dist/src/search/search-worker.js")];
  return candidates.find((c) => c !== here && existsSync(c));
}

interface Job {
  task: SearchTask;
  found: { resolve: (found: boolean) => void; reject: (e: Error) => void };
  records: AsyncQueue<LocatedRecord[]>;
  read?: (bytes: number) => void;
}

export interface SearchResult {
  /** Whether any form of an identifier occurs in the file. */
  found: Promise<boolean>;
  /** When found and a split was given: the records that hold a candidate hit. */
  records: AsyncIterable<LocatedRecord[]>;
}

/**
 * Worker threads that search local files byte by byte, so a scan uses every
 * core the way ripgrep does. Started on first use, stopped by close().
 */
export class SearchPool {
  private workers: { worker: Worker; job?: Job }[] = [];
  private queue: Job[] = [];
  private nextId = 0;
  private readonly file = workerFile();
  private readonly size: number;

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, size);
  }

  /** Whether workers can be used at all (the compiled worker exists). */
  get available(): boolean {
    return this.file !== undefined;
  }

  /** `read` hears how many bytes of the file the worker has gone through, as that grows. */
  search(path: string, needles: Needles, split?: SplitOptions, size?: number, read?: (bytes: number) => void): SearchResult {
    let found!: Job["found"];
    const promise = new Promise<boolean>((resolve, reject) => (found = { resolve, reject }));
    const records = new AsyncQueue<LocatedRecord[]>();
    const inFlight = new SharedArrayBuffer(4);
    this.queue.push({ task: { id: this.nextId++, path, needles, split, size, inFlight }, found, records, read });
    this.pump();
    return { found: promise, records: taken(records, new Int32Array(inFlight)) };
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.workers.find((w) => !w.job);
      if (!slot && this.workers.length < this.size) slot = this.spawn();
      if (!slot) return;
      slot.job = this.queue.shift()!;
      slot.worker.postMessage(slot.job.task);
    }
  }

  private spawn() {
    // A search needs a few buffers, not a big heap.
    const slot: { worker: Worker; job?: Job } = { worker: new (workerThreads().Worker)(this.file!, { resourceLimits: { maxOldGenerationSizeMb: 64 } }) };
    slot.worker.on("message", (m: SearchMessage) => {
      const job = slot.job;
      if (!job || job.task.id !== m.id) return;
      if ("found" in m) job.found.resolve(m.found);
      else if ("read" in m) job.read?.(m.read);
      else if ("records" in m) job.records.push(m.records.map((r) => ({ ...r, bytes: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) })));
      else {
        if ("error" in m) {
          const err = m.error.skip ? new SkipError(m.error.message) : Object.assign(new Error(m.error.message), { code: m.error.code });
          job.found.reject(err);
          job.records.close(err);
        } else job.records.close();
        slot.job = undefined;
        this.pump();
      }
    });
    // A worker that dies (out of memory, killed) fails its job and leaves the pool; the next job gets a fresh one.
    const retire = (e: Error) => {
      if (!this.workers.includes(slot)) return;
      this.workers = this.workers.filter((w) => w !== slot);
      slot.job?.found.reject(e);
      slot.job?.records.close(e);
      slot.job = undefined;
      this.pump();
    };
    slot.worker.on("error", retire);
    slot.worker.on("exit", (code) => retire(new Error(`search worker stopped (exit code ${code})`)));
    this.workers.push(slot);
    return slot;
  }

  /** The live worker threads (for diagnostics and tests). */
  get threads(): Worker[] {
    return this.workers.map((w) => w.worker);
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

/**
 * The worker's batches as the reader takes them: asking for the next one gives
 * the worker room to post another (see SearchTask.inFlight). A reader that
 * stops early lifts the bound, so the worker runs to the end of its file.
 */
async function* taken(records: AsyncQueue<LocatedRecord[]>, inFlight: Int32Array): AsyncGenerator<LocatedRecord[]> {
  try {
    for await (const batch of records) {
      yield batch;
      Atomics.sub(inFlight, 0, 1);
      Atomics.notify(inFlight, 0);
    }
  } finally {
    Atomics.store(inFlight, 0, -(2 ** 30));
    Atomics.notify(inFlight, 0);
  }
}
