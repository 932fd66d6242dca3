import { writeFileSync } from "node:fs";
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
});
