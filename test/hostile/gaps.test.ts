import { describe, expect, it } from "vitest";
import { createWriteStream, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yazl from "yazl";
import { collect } from "../../src/index.js";
import { Engine, ScanJob } from "../../src/engine/run.js";
import { CustomerMatcher } from "../../src/match/customer.js";
import { FsSource } from "../../scanners/fs.js";
import type { CoverageEntry, Enumerated, Finding } from "../../src/types.js";
import { ALICE, replaySource, scanAll, tempTree } from "../harness/helpers.js";

// Item 2 and 4 of issue 10: an item that holds her and cannot be parsed to the
// end is never "No match found": it is an unlocated finding, and a gap.

const byPath = (items: CoverageEntry[]) => Object.fromEntries(items.map((e) => [e.member ? `${e.path}!/${e.member}` : e.path, e]));
const unlocated = (findings: Finding[]) => findings.filter((f) => f.kind === "unlocated");

function zipOf(members: Record<string, string | Buffer>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, content] of Object.entries(members)) z.addBuffer(Buffer.from(content), name);
  z.end();
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    z.outputStream.on("data", (b: Buffer) => parts.push(b));
    z.outputStream.on("end", () => resolve(Buffer.concat(parts)));
  });
}

describe("items that hold her but cannot be parsed to the end", () => {
  it("searches a .log with a NUL byte in its first 8 KB as text, and locates her", async () => {
    const log = Buffer.concat([Buffer.from("2026-01-01 boot\n"), Buffer.from([0, 1, 2, 0]), Buffer.from("\n".repeat(3) + "2026-01-02 login alice@example.com ok\n")]);
    const dir = tempTree({ "app.log": log });
    const r = await scanAll([dir]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ kind: "customer-match", identifier: "email", location: { path: "app.log", line: 5 } });
    expect(r.coverage.items[0]).toMatchObject({ status: "scanned", method: expect.stringMatching(/binary bytes in it: searched as text/) });
  });

  it("a record longer than 64 MiB: an unlocated finding and a gap, not 'No match found'", async () => {
    const dir = tempTree({});
    const file = join(dir, "huge.csv");
    // Built at test time: a header, then one 65 MiB unquoted field that ends with her address.
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on("error", reject);
      out.write("id,blob\n1,");
      const block = Buffer.alloc(1024 * 1024, "x");
      for (let i = 0; i < 65; i++) out.write(block);
      out.end(" alice@example.com\n", () => resolve());
    });
    const r = await scanAll([dir]);
    const entry = r.coverage.items[0];
    expect(entry).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/record longer than 64\.0 MiB/) });
    expect(r.coverage.summary.gaps).toBe(1);
    expect(unlocated(r.findings)).toEqual([
      expect.objectContaining({ kind: "unlocated", identifier: "email", cause: entry.reason, location: expect.objectContaining({ path: "huge.csv" }) }),
    ]);
    // Redacted, as every finding is.
    expect(JSON.stringify(r.findings)).not.toContain("alice@example.com");
  });

  it("an mbox message over maxMessageBytes: an unlocated finding for that message, the others read", async () => {
    const big = "x".repeat(200) + "\n";
    const mbox = [
      "From a@example.com Mon Jan  1 00:00:00 2026",
      "From: bob@example.com",
      "Subject: small",
      "",
      "hello from bob",
      "",
      "From b@example.com Mon Jan  1 00:00:00 2026",
      "From: carol@example.com",
      "Subject: big",
      "",
      big.repeat(400) + "write to alice@example.com please",
      "",
    ].join("\n");
    const dir = tempTree({ "box.mbox": mbox });
    const r = await scanAll([dir], ALICE, { limits: { maxMessageBytes: 16 * 1024 } });
    const entries = byPath(r.coverage.items);
    expect(entries["box.mbox!/message 2"]).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/maxMessageBytes/) });
    expect(entries["box.mbox"]).toMatchObject({ status: "scanned" });
    expect(unlocated(r.findings)).toEqual([expect.objectContaining({ identifier: "email", location: expect.objectContaining({ path: "box.mbox", member: "message 2", message: 2 }) })]);
  });

  it("an .eml over maxMessageBytes is a gap with an unlocated finding", async () => {
    const eml = ["From: bob@example.com", "To: alice@example.com", "Subject: hi", "", "y".repeat(40_000)].join("\r\n");
    const dir = tempTree({ "m.eml": eml });
    const r = await scanAll([dir], ALICE, { limits: { maxMessageBytes: 8 * 1024 } });
    expect(r.coverage.items[0]).toMatchObject({ status: "skipped", gap: true });
    expect(unlocated(r.findings)).toHaveLength(1);
  });

  it("archive members past maxEntries or the ratio limit are gaps", async () => {
    const zip = await zipOf({ "a.csv": "email\nbob@example.com\n", "b.csv": "email\nalice@example.com\n", "bomb.txt": Buffer.alloc(8 * 1024 * 1024, "0") });
    const dir = tempTree({ "x.zip": zip });
    const r = await scanAll([dir], ALICE, { limits: { maxEntries: 1 } });
    const entries = byPath(r.coverage.items);
    expect(entries["x.zip!/b.csv"]).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/maxEntries/) });
    const ratio = await scanAll([dir], ALICE, { limits: { maxRatio: 10 } });
    expect(byPath(ratio.coverage.items)["x.zip!/bomb.txt"]).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/maxRatio/) });
    expect(ratio.findings.map((f) => f.location.member)).toEqual(["b.csv"]);
  });

  it("an unknown binary file that holds her: an unlocated finding; without her: a gap all the same", async () => {
    const blob = (tail: string) => Buffer.concat([Buffer.from([0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0, 0, 1, 2, 3]), Buffer.alloc(9000), Buffer.from(tail), Buffer.alloc(100)]);
    const dir = tempTree({ "data.bin": blob("alice@example.com"), "other.bin": blob("bob@example.com") });
    const r = await scanAll([dir]);
    const entries = byPath(r.coverage.items);
    expect(entries["data.bin"]).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/SQLite/) });
    expect(entries["other.bin"]).toMatchObject({ status: "skipped", gap: true });
    expect(unlocated(r.findings).map((f) => f.location.path)).toEqual(["data.bin"]);
    expect(r.coverage.summary.gaps).toBe(2);
  });

  it("a JSON document that does not parse past her: failed, with an unlocated finding naming the parse error", async () => {
    const dir = tempTree({ "broken.json": '[{"id":1},, {"email":"alice@example.com"}]', "unreadable.json": '[{"id":1},, {"email":"bob@example.com"}]' });
    const r = await scanAll([dir]);
    const entries = byPath(r.coverage.items);
    expect(entries["broken.json"]).toMatchObject({ status: "failed", error: expect.stringMatching(/invalid JSON/) });
    expect(unlocated(r.findings)).toEqual([expect.objectContaining({ location: expect.objectContaining({ path: "broken.json" }), cause: entries["broken.json"].error })]);
  });

  it("what the user left out is a plain skip, not a gap", async () => {
    const dir = tempTree({ "a.csv": "x", ".hidden.csv": "alice@example.com", "tmp/b.csv": "alice@example.com" });
    const r = await scanAll([dir], ALICE, { fs: { exclude: ["tmp"] } });
    expect(r.coverage.summary).toMatchObject({ skipped: 2, gaps: 0 });
    expect(r.coverage.items.some((e) => e.gap)).toBe(false);
  });
});

describe("text a reader could not decode", () => {
  const text = "id;email\n1;bob@example.com\n2;alice@example.com\n";
  const utf32 = (s: string, le: boolean, bom: boolean) => {
    const cps = [...(bom ? "\ufeff" : "") + s].map((c) => c.codePointAt(0)!);
    const b = Buffer.alloc(cps.length * 4);
    cps.forEach((cp, i) => (le ? b.writeUInt32LE(cp, i * 4) : b.writeUInt32BE(cp, i * 4)));
    return b;
  };

  it("reads UTF-32 (with and without a byte-order mark) and finds her", async () => {
    const dir = tempTree({ "le.txt": utf32(text, true, true), "be.txt": utf32(text, false, false), "le-nobom.csv": utf32(text, true, false) });
    const r = await scanAll([dir]);
    const found = Object.fromEntries(r.findings.map((f) => [f.location.path, f]));
    expect(Object.keys(found).sort()).toEqual(["be.txt", "le-nobom.csv", "le.txt"]);
    expect(found["le.txt"]).toMatchObject({ kind: "customer-match", location: { line: 3 } });
    expect(r.coverage.items.every((e) => e.status === "scanned" && /UTF-32/.test(e.method ?? ""))).toBe(true);
  });
});

describe("a file that changes between listing and reading", () => {
  async function listThenTruncate(content: Buffer, keep: number) {
    const dir = tempTree({ "export.log": content });
    const listed: Enumerated[] = [];
    const session = await new FsSource("fs", { path: dir, hidden: false, followSymlinks: false }, dir).open();
    for await (const e of session.enumerate!({ limits: {} as never })) listed.push(e);
    truncateSync(join(dir, "export.log"), keep);
    const matcher = new CustomerMatcher(ALICE);
    return collect(new Engine(new ScanJob(matcher, ALICE)).run([replaySource("fs", "fs", listed)]));
  }

  it("fails a small file truncated after listing, naming both sizes", async () => {
    const r = await listThenTruncate(Buffer.from("line without her\n".repeat(200)), 1024);
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/changed during the scan: 3400 bytes when listed, 1024 bytes read \(truncated\)/) });
  });

  it("fails a big file (searched in worker threads) truncated after listing", async () => {
    const r = await listThenTruncate(Buffer.alloc(3 * 1024 * 1024, "a\n"), 1024);
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/changed during the scan: .* 1024 bytes read/) });
    expect(r.coverage.items[0].method).toBeUndefined();
  });

  it("a file that grew is not claimed searched either", async () => {
    const dir = tempTree({ "a.log": "first line\n" });
    const listed: Enumerated[] = [];
    const session = await new FsSource("fs", { path: dir, hidden: false, followSymlinks: false }, dir).open();
    for await (const e of session.enumerate!({ limits: {} as never })) listed.push(e);
    writeFileSync(join(dir, "a.log"), "first line\nalice@example.com\n");
    const r = await collect(new Engine(new ScanJob(new CustomerMatcher(ALICE), ALICE)).run([replaySource("fs", "fs", listed)]));
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/grew/) });
  });
});
