import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SearchPool } from "../../src/engine/search-pool.js";
import { tempTree } from "../harness/helpers.js";

const needles = { literals: ["alice@example.com"], overlap: 128 };

describe("search pool", () => {
  let pool: SearchPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  it("replaces a worker that dies: later files are searched by a live thread", async () => {
    const dir = tempTree({});
    const hit = join(dir, "hit.log");
    const miss = join(dir, "miss.log");
    writeFileSync(hit, `${"x".repeat(1 << 20)}\nalice@example.com\n`);
    writeFileSync(miss, `${"y".repeat(1 << 20)}\n`);
    pool = new SearchPool(1);
    expect(await pool.search(hit, needles).found).toBe(true);
    const [first] = pool.threads;
    // Kill the only worker, as an out-of-memory abort would.
    await first.terminate();
    expect(pool.threads).not.toContain(first);
    expect(await pool.search(miss, needles).found).toBe(false);
    expect(await pool.search(hit, needles).found).toBe(true);
    expect(pool.threads).toHaveLength(1);
    expect(pool.threads[0]).not.toBe(first);
  });

  it("a slow reader holds the worker back: it reads ahead only a few batches, then the whole file once they are taken", async () => {
    const dir = tempTree({});
    const file = join(dir, "every-line.log");
    const line = "2026-11-02 login ok for alice@example.com from the web app\n";
    writeFileSync(file, line.repeat(Math.ceil((16 << 20) / line.length)));
    pool = new SearchPool(1);
    let read = 0;
    const result = pool.search(file, needles, {}, undefined, (bytes) => (read = bytes));
    expect(await result.found).toBe(true);
    const batches = result.records[Symbol.asyncIterator]();
    await batches.next();
    // Not taking more for a while: the worker waits with at most MAX_BATCHES_IN_FLIGHT (4) chunks of 1 MiB read ahead.
    await new Promise((r) => setTimeout(r, 500));
    expect(read).toBeLessThanOrEqual(6 << 20);
    let records = 0;
    for (let r = await batches.next(); !r.done; r = await batches.next()) records += r.value.length;
    expect(read).toBe(statSync(file).size);
    expect(records).toBeGreaterThan(250_000);
  });
});
