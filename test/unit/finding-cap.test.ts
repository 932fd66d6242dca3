import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { parse as parseSync } from "csv-parse/sync";
import { reasonGroup, summarize } from "../../src/engine/coverage.js";
import { CSV_OPTIONS, splitPlain } from "../../src/readers/csv.js";
import { AsyncQueue } from "../../src/engine/queue.js";
import type { CoverageEntry, CustomerMatch } from "../../src/types.js";
import { scan } from "../../src/index.js";
import { emptyConfig, scanAll, tempTree } from "../harness/helpers.js";

/** A CSV where she is on every row, in two columns. */
function everyRow(rows: number): string {
  let text = "id,name,email,plan,backup_email\n";
  for (let i = 1; i <= rows; i++) text += `${i},Alice Example,alice@example.com,Pro,alice@example.com\n`;
  return text;
}

const listedIn = (findings: unknown[], column: string) => (findings as CustomerMatch[]).filter((f) => f.location.column === column);

describe("findings past limits.maxFindingsPerColumn", () => {
  // 3,000 rows are searched in this thread, 12,000 (past 512 KiB) by the worker pool: both paths keep the cap.
  for (const rows of [3_000, 12_000]) {
    it(`a file where she is on every row (${rows} rows): the first 100 of each column listed with their rows, the rest counted`, async () => {
      const dir = tempTree({ "export.csv": everyRow(rows) });
      const r = await scanAll([join(dir, "export.csv")]);
      for (const column of ["email", "backup_email"]) {
        const listed = listedIn(r.findings, column);
        expect(listed).toHaveLength(100);
        expect(listed.map((f) => f.location.row)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
      }
      const [entry] = r.coverage.items;
      expect(entry.unlisted).toEqual([
        { kind: "customer-match", identifier: "email", column: "email", findings: rows - 100, count: rows - 100, first: 102, last: rows + 1 },
        { kind: "customer-match", identifier: "email", column: "backup_email", findings: rows - 100, count: rows - 100, first: 102, last: rows + 1 },
      ]);
      expect(r.coverage.summary.unlisted).toBe(2 * (rows - 100));
    });
  }

  it("the limit is a setting; lines of text and JSON fields (array indexes folded) are columns too", async () => {
    const log = Array.from({ length: 30 }, (_, i) => `2026-11-02T10:00:${String(i).padStart(2, "0")} login alice@example.com`).join("\n");
    const json = JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ id: i, contact: { email: "alice@example.com" } })));
    const dir = tempTree({ "app.log": log, "users.json": json });
    const r = await scanAll([dir], undefined, { limits: { maxFindingsPerColumn: 5 } });
    expect(r.findings).toHaveLength(10);
    const byPath = Object.fromEntries(r.coverage.items.map((e: CoverageEntry) => [e.path, e.unlisted]));
    expect(byPath["app.log"]).toEqual([{ kind: "customer-match", identifier: "email", findings: 25, count: 25, first: 6, last: 30 }]);
    expect(byPath["users.json"]).toEqual([{ kind: "customer-match", identifier: "email", jsonPath: "$[*].contact.email", findings: 25, count: 25 }]);
  });
});

describe("the coverage summary", () => {
  it("keeps the limit a skip reason names, and leaves out each item's own figure to group them", () => {
    expect(reasonGroup("compression ratio over limits.maxRatio (200:1), possible zip bomb")).toBe("compression ratio over limits.maxRatio (200:1), possible zip bomb");
    expect(reasonGroup("compression ratio 450:1 over limits.maxRatio (200:1), possible zip bomb")).toBe("compression ratio over limits.maxRatio (200:1), possible zip bomb");
    expect(reasonGroup("larger than limits.maxFileSize (9.0 GiB > 8.0 GiB)")).toBe("larger than limits.maxFileSize (8.0 GiB)");
    const skipped = (reason: string): CoverageEntry => ({ source: "fs", uri: "file:///x", path: "x", status: "skipped", reason, gap: true });
    const s = summarize([skipped("larger than limits.maxFileSize (9.0 GiB > 8.0 GiB)"), skipped("larger than limits.maxFileSize (12.0 GiB > 8.0 GiB)"), skipped("nested deeper than limits.maxDepth (4)")]);
    expect(s.skippedReasons).toEqual({ "larger than limits.maxFileSize (8.0 GiB)": 2, "nested deeper than limits.maxDepth (4)": 1 });
  });
});

describe("a CSV record without quotes", () => {
  it("splits as the parser splits it; quoted records are left to the parser", () => {
    for (const record of ["1,Alice,alice@example.com,,Pro\n", "a;b;;c\r\n", "only", "", "x,y,"]) {
      const delimiter = record.includes(";") ? ";" : ",";
      const parsed = (parseSync(record, { delimiter, ...CSV_OPTIONS }) as string[][])[0] ?? [""];
      expect(splitPlain(record, delimiter)).toEqual(parsed);
    }
    expect(splitPlain('1,"Example, Alice",alice@example.com\n', ",")).toBeUndefined();
  });
});

describe("the run's event queue", () => {
  it("lets a producer wait until the consumer has taken it down, and never wait once the consumer is gone", async () => {
    const q = new AsyncQueue<number>();
    for (let i = 0; i < 10; i++) q.push(i);
    let roomy = false;
    const waited = q.room(3).then(() => (roomy = true));
    const it = q[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) await it.next();
    await Promise.resolve();
    expect(roomy).toBe(false);
    await it.next();
    await waited;
    expect(q.size).toBe(3);
    await it.return?.(undefined);
    q.push(99);
    expect(q.size).toBe(0);
    await q.room(0);
  });
});

describe("progress events", () => {
  it("a big file reports the bytes gone through before its coverage entry ends it", async () => {
    const dir = tempTree({ "export.csv": everyRow(12_000) });
    const file = join(dir, "export.csv");
    const seen: { type: string; bytes?: number }[] = [];
    for await (const e of scan({ paths: [file], customer: { emails: ["alice@example.com"] }, config: emptyConfig() })) {
      if (e.type === "progress") seen.push({ type: e.type, bytes: e.bytes });
      else if (e.type === "coverage") seen.push({ type: e.type, bytes: e.entry.bytes });
    }
    const size = Buffer.byteLength(everyRow(12_000));
    expect(seen.at(-1)).toEqual({ type: "coverage", bytes: size });
    expect(seen.filter((e) => e.type === "progress").at(-1)).toEqual({ type: "progress", bytes: size });
  });
});
