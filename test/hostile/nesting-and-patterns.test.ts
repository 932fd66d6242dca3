import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { collect, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { loadRules } from "../../src/match/rules.js";
import { ConfigError } from "../../src/errors.js";
import { cli, scanAll, tempTree } from "../harness/helpers.js";

// Items 6 and 7 of issue 10: nesting that exhausted the heap or the stack, and
// a user pattern that backtracks for ever.

const DEPTH = 100_000;
const deepObject = (leaf: string) => '{"a":'.repeat(DEPTH) + JSON.stringify(leaf) + "}".repeat(DEPTH);
const deepArray = (leaf: string) => "[".repeat(DEPTH) + JSON.stringify(leaf) + "]".repeat(DEPTH);
// A small heap: what was a 4 GB abort must now fit easily.
const SMALL_HEAP = { NODE_OPTIONS: "--max-old-space-size=256" };

describe("JSON nested 100,000 deep", () => {
  it("scan: a gap naming limits.maxNesting and an unlocated finding, in a small heap, no crash", () => {
    const dir = tempTree({ "deep.json": deepObject("alice@example.com"), "deep-array.json": deepArray("alice@example.com") });
    const r = cli(["scan", dir, "--customer", "alice@example.com", "--format", "json"], dir, SMALL_HEAP);
    expect(r.stderr).not.toMatch(/unexpected error|heap|\n\s+at /);
    expect(r.code).not.toBe(3);
    const out = JSON.parse(r.stdout);
    for (const e of out.coverage.items) expect(e).toMatchObject({ status: "skipped", gap: true, reason: "JSON nested deeper than limits.maxNesting (1000)" });
    expect(out.findings.map((f: { kind: string; location: { path: string } }) => `${f.kind} ${f.location.path}`).sort()).toEqual(["unlocated deep-array.json", "unlocated deep.json"]);
  });

  it("sweep: a gap, no crash", () => {
    const dir = tempTree({ "deep.json": deepObject("x") });
    const r = cli(["sweep", dir, "--format", "json", "--no-cache"], dir, SMALL_HEAP);
    expect(r.stderr).not.toMatch(/unexpected error|heap|\n\s+at /);
    expect([0, 4]).toContain(r.code);
    const items: { path: string }[] = JSON.parse(r.stdout).coverage.items;
    expect(items.find((e) => e.path === "deep.json")).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/maxNesting/) });
  });

  it("NDJSON: a record too deep to walk is searched as a line of text, and she is located by line", async () => {
    const dir = tempTree({ "deep.ndjson": `{"id":1}\n${deepObject("alice@example.com")}\n` });
    const r = await scanAll([dir]);
    expect(r.coverage.items[0]).toMatchObject({ status: "scanned" });
    expect(r.findings).toEqual([expect.objectContaining({ kind: "customer-match", location: expect.objectContaining({ path: "deep.ndjson", line: 2 }) })]);
  });

  it("below the limit, a deep value keeps its exact JSONPath and record", async () => {
    const leaf = { b: [{ c: "alice@example.com" }] };
    let doc: unknown = leaf;
    for (let i = 0; i < 40; i++) doc = { a: doc };
    const dir = tempTree({ "d.json": JSON.stringify([{ id: 1 }, doc]) });
    const r = await scanAll([dir]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0].location).toMatchObject({ record: 1, jsonPath: `$[1]${".a".repeat(40)}.b[0].c`, column: `${"a.".repeat(40)}b[*].c` });
  });
});

describe("user rule patterns run in linear time", () => {
  const evil = { id: "evil_code", piiType: "customer_id", headers: ["code"], values: { pattern: "^(a+)+$" } };

  it("a catastrophic pattern on 34 a's does not hang a sweep", async () => {
    const rows = ["code,note", ...Array.from({ length: 20 }, (_, i) => `${"a".repeat(34)}!,row ${i}`)];
    const dir = tempTree({ "codes.csv": rows.join("\n") });
    const started = Date.now();
    const r = await collect(sweep({ paths: [dir], config: buildConfig({ rules: [evil] }, "test.yaml", dir) }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.coverage.items[0]).toMatchObject({ status: "scanned" });
    // The pattern still means what it says: all a's match, with a "!" not.
    const rules = loadRules([evil]).rules.find((x) => x.id === "evil_code")!;
    expect(rules.pattern!.test("a".repeat(34))).toBe(true);
    expect(rules.pattern!.test(`${"a".repeat(34)}!`)).toBe(false);
  });

  it("refuses a pattern RE2 cannot run, naming the rule", () => {
    const backref = { id: "twice", piiType: "x", values: { pattern: "^(a)\\1$" } };
    expect(() => loadRules([backref])).toThrow(ConfigError);
    expect(() => loadRules([backref])).toThrow(/rules\[0\] \(twice\)\.values\.pattern/);
  });

  it("`check` with an invalid pattern: a message naming the config and the rule (exit 2), no stack trace", () => {
    const dir = tempTree({});
    writeFileSync(join(dir, "straymap.yaml"), "rules:\n  - id: broken\n    values: { pattern: '(unclosed' }\n");
    const r = cli(["check"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/straymap\.yaml: rules\[0\] \(broken\)\.values\.pattern/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
