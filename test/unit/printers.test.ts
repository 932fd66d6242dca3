import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { z } from "zod";
import { PRINTERS } from "../../src/report/printers/index.js";
import { FORMATS } from "../../src/report/printers/formats.js";
import type { PrintContext } from "../../src/report/printers/printer.js";
import { csvField } from "../../src/report/printers/csv.js";
import { fingerprint, publishFinding } from "../../src/report/published.js";
import { describePlace } from "../../src/report/describe.js";
import { outputWidth, wantColour } from "../../src/report/colour.js";
import { wrap } from "../../src/report/text-layout.js";
import { VERSION } from "../../src/version.js";
import { summarize } from "../../src/engine/coverage.js";
import type { CoverageEntry, CustomerMatch, Finding, RunResult, ScanEvent } from "../../src/types.js";
import { ROOT } from "../harness/helpers.js";

/** A stream that keeps what is written (or only counts it, for big runs). */
function capture(keep = true) {
  let text = "";
  let bytes = 0;
  const stream = new Writable({
    write(chunk, _enc, done) {
      bytes += chunk.length;
      if (keep) text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text, bytes: () => bytes };
}

const LONG_PATH = `exports/${"quarterly-finance-reconciliation/".repeat(4)}subscribers-2026-11-final-v3.csv`;

function finding(i: number, over: Partial<CustomerMatch> = {}): CustomerMatch {
  return {
    kind: "customer-match",
    source: "fs",
    location: { uri: `file:///srv/${LONG_PATH}`, path: i % 2 ? LONG_PATH : "app.log", line: i + 1, offset: 49, ...(i % 2 ? { row: i + 1, column: "email", cell: `B${i + 1}` } : {}) },
    identifier: "email",
    match: "exact",
    count: 1,
    confidence: 0.99,
    evidence: "email: a****@example.com, plan Pro, paid by card ****4242 on the first of each month",
    system: i % 3 ? "finance-exports" : null,
    ...over,
  };
}

function run(findings: Finding[], entries: CoverageEntry[] = [{ source: "fs", uri: "file:///srv/x", path: "x", status: "scanned" }]): { events: ScanEvent[]; result: RunResult } {
  const events: ScanEvent[] = [...findings.map((f) => ({ type: "finding" as const, finding: f })), ...entries.map((e) => ({ type: "coverage" as const, entry: e }))];
  return { events, result: { findings, coverage: { summary: summarize(entries), items: entries }, warnings: [] } };
}

function print(format: string, findings: Finding[], ctx: Partial<PrintContext> = {}, entries?: CoverageEntry[]) {
  const out = capture();
  const err = capture();
  const { events, result } = run(findings, entries);
  const printer = PRINTERS[format]({ mode: "scan", command: "scan", verbose: false, out: out.stream, err: err.stream, startedAt: new Date(), color: false, ...ctx });
  for (const e of events) printer.event?.(e);
  printer.end(result);
  return { out: out.text(), err: err.text() };
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const documentSchemaOf = () => z.fromJSONSchema(JSON.parse(readFileSync(join(ROOT, "schema/straymap-output.schema.json"), "utf8")));

describe("table printer", () => {
  it("piped (no width): one unwrapped line per finding, the full path first, the column 1-based", () => {
    const { out } = print("table", [finding(0), finding(1)]);
    const lines = out.split("\n");
    expect(lines[0]).toBe("app.log:line 1:50: email ×1 0.99 [unmapped] email: a****@example.com, plan Pro, paid by card ****4242 on the first of each month");
    expect(lines[1].startsWith(`${LONG_PATH}:B2 (email): email ×1 0.99 [finance-exports] `)).toBe(true);
    expect(out).toMatch(/2 matches in 2 files\./);
  });

  it("narrow terminals (80 columns) get the plain lines too", () => {
    expect(print("table", [finding(1)], { width: 80 }).out.split("\n")[0]).toContain(`${LONG_PATH}:B2`);
  });

  for (const width of [100, 120, 200]) {
    it(`at ${width} columns: rows fit the width, each file is a heading of its own, never cut`, () => {
      const { out } = print("table", [finding(0), finding(1), finding(3)], { width });
      const lines = out.split("\n");
      expect(lines).toContain(LONG_PATH);
      for (const l of lines.filter((l) => l !== LONG_PATH)) expect(l.length, l).toBeLessThanOrEqual(width);
      // The evidence is wrapped, not cut.
      expect(out.replace(/\n\s+/g, " ")).toContain("on the first of each month");
      // A heading per run of findings in one file, not per finding.
      expect(lines.filter((l) => l === LONG_PATH)).toHaveLength(1);
    });
  }

  it("colour only when asked; the text is the same without the escapes", () => {
    const plain = print("table", [finding(0)], { width: 120 }).out;
    const coloured = print("table", [finding(0)], { width: 120, color: true }).out;
    expect(plain).not.toMatch(/\x1b\[/);
    expect(coloured).toMatch(/\x1b\[/);
    expect(strip(coloured)).toBe(plain);
  });

  it("gaps are listed apart from plain skips, and make the search INCOMPLETE", () => {
    const { out } = print("table", [], {}, [
      { source: "fs", uri: "file:///srv/data.bin", path: "data.bin", status: "skipped", reason: "unsupported type: binary data", gap: true },
      { source: "fs", uri: "file:///srv/.git", path: ".git", status: "skipped", reason: "hidden" },
    ]);
    expect(out).toContain("Searched 2 items: 0 scanned, 2 skipped (1 not fully searched), 0 failed.");
    expect(out).toMatch(/Not fully searched \(1\):\n  - data\.bin: unsupported type: binary data/);
    expect(out).toMatch(/Skipped \(1\):\n  - \.git: hidden/);
    expect(out).toContain("INCOMPLETE");
    expect(print("table", [], {}, [{ source: "fs", uri: "file:///srv/.git", path: ".git", status: "skipped", reason: "hidden" }]).out).not.toContain("INCOMPLETE");
  });

  it("an unlocated finding says she is in the item and why no place can be named", () => {
    const f: Finding = { kind: "unlocated", source: "fs", location: { uri: "file:///srv/huge.csv", path: "huge.csv" }, identifier: "email", cause: "a record longer than 64 MiB", count: 1, confidence: 0.9, evidence: "a****@example.com", system: null };
    expect(print("table", [f]).out.split("\n")[0]).toBe("huge.csv:somewhere in it (a record longer than 64 MiB): email, unlocated ×1 0.90 [unmapped] a****@example.com");
    const doc = JSON.parse(print("json", [f]).out);
    expect(documentSchemaOf().safeParse(doc).error?.issues).toBeUndefined();
    expect(JSON.parse(print("sarif", [f]).out).runs[0].results[0].ruleId).toBe("unlocated/email");
  });

  it("says so when nothing was found, and lists what could not be searched", () => {
    const { out } = print("table", [], {}, [{ source: "fs", uri: "file:///srv/bad.xlsx", path: "bad.xlsx", status: "failed", error: "corrupt XLSX" }]);
    expect(out).toMatch(/^No match found\./);
    expect(out).toContain("✗ /srv/bad.xlsx: corrupt XLSX");
    expect(out).toContain("INCOMPLETE");
  });
});

describe("colour and width choices", () => {
  it("auto colours a terminal unless NO_COLOR is set; always and never win", () => {
    expect(wantColour("auto", { isTTY: true }, {})).toBe(true);
    expect(wantColour("auto", { isTTY: false }, {})).toBe(false);
    expect(wantColour("auto", { isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(wantColour("always", { isTTY: false }, { NO_COLOR: "1" })).toBe(true);
    expect(wantColour("never", { isTTY: true }, {})).toBe(false);
  });

  it("COLUMNS wins, then the terminal's width; piped without COLUMNS there is none", () => {
    expect(outputWidth({ isTTY: true, columns: 90 }, { COLUMNS: "150" })).toBe(150);
    expect(outputWidth({ isTTY: true, columns: 90 }, {})).toBe(90);
    expect(outputWidth({ isTTY: false }, {})).toBeUndefined();
  });

  it("wrap never drops a character", () => {
    const text = "a-very-long-path/without/spaces/that/needs/more/than/one/line and some words after it";
    for (const w of [5, 13, 40]) {
      const lines = wrap(text, w);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(w);
      expect(lines.join("").replace(/ /g, "")).toBe(text.replace(/ /g, ""));
    }
  });
});

describe("machine-readable printers", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "schema/straymap-output.schema.json"), "utf8"));
  const documentSchema = z.fromJSONSchema(schema);
  const recordSchema = z.fromJSONSchema({ $schema: schema.$schema, $ref: "#/$defs/ndjsonRecord", $defs: schema.$defs });

  it("json: versions, times, fingerprints and 1-based columns, valid against the published schema", () => {
    const doc = JSON.parse(print("json", [finding(0), finding(1)]).out);
    expect(documentSchema.safeParse(doc).error?.issues).toBeUndefined();
    expect(doc).toMatchObject({ schemaVersion: 1, straymapVersion: VERSION, command: "scan" });
    expect(Date.parse(doc.endedAt)).toBeGreaterThanOrEqual(Date.parse(doc.startedAt));
    expect(doc.findings[0].location).toMatchObject({ line: 1, col: 50 });
    expect(doc.findings[0].location.offset).toBeUndefined();
    expect(doc.findings[0].fingerprint).toBe(fingerprint(finding(0)));
  });

  it("json with no finding is still one valid document", () => {
    expect(documentSchema.safeParse(JSON.parse(print("json", []).out)).success).toBe(true);
  });

  it("ndjson: typed records, begin to summary, each valid against the published schema; nothing on stderr", () => {
    const { out, err } = print("ndjson", [finding(0), finding(1)]);
    const records = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(records.map((r) => r.type)).toEqual(["begin", "finding", "finding", "coverage", "summary"]);
    for (const r of records) expect(recordSchema.safeParse(r).error?.issues, JSON.stringify(r)).toBeUndefined();
    expect(records[4]).toMatchObject({ findings: 2, coverage: { total: 1, scanned: 1 } });
    expect(err).toBe("");
  });

  it("the schema rejects what it does not describe (so the test above can fail)", () => {
    const bad = { ...publishFinding(finding(0)), type: "finding", secretField: 1 };
    expect(recordSchema.safeParse(bad).success).toBe(false);
    expect(recordSchema.safeParse({ ...publishFinding(finding(0)), type: "finding", fingerprint: "xyz" }).success).toBe(false);
  });

  it("csv: a header and one row per finding, quoted as RFC 4180, formulas defused", () => {
    const { out, err } = print("csv", [finding(0), finding(1, { evidence: '=HYPERLINK("x"), "quoted"' })]);
    const lines = out.split("\r\n");
    expect(lines[0].split(",").slice(0, 4)).toEqual(["fingerprint", "kind", "source", "path"]);
    expect(lines).toHaveLength(4); // header, two rows, the empty string after the last CRLF
    expect(lines[2]).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
    expect(lines[1]).toContain(",1,50,"); // line 1, column 50
    expect(err).toMatch(/Searched 1 item/);
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField("+1 415")).toBe("'+1 415");
    expect(csvField(42)).toBe("42");
  });

  it("sarif: a 2.1.0 log with one rule per kind of finding, regions, and fingerprints", () => {
    const failed: CoverageEntry = { source: "fs", uri: "file:///srv/bad.xlsx", path: "bad.xlsx", status: "failed", error: "corrupt XLSX" };
    const log = JSON.parse(print("sarif", [finding(0), finding(1), finding(2, { identifier: "phone" })], {}, [failed]).out);
    expect(log.version).toBe("2.1.0");
    const [run] = log.runs;
    expect(run.tool.driver).toMatchObject({ name: "straymap", version: VERSION });
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(["customer-match/email", "customer-match/phone"]);
    expect(run.results).toHaveLength(3);
    expect(run.results[0]).toMatchObject({
      ruleId: "customer-match/email",
      ruleIndex: 0,
      level: "error",
      locations: [{ physicalLocation: { artifactLocation: { uri: `file:///srv/${LONG_PATH}` }, region: { startLine: 1, startColumn: 50 } } }],
      partialFingerprints: { "straymap/v1": fingerprint(finding(0)) },
    });
    expect(run.results[2].ruleIndex).toBe(1);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toContain("corrupt XLSX");
  });

  it("the formats --format offers are exactly the printers", () => {
    expect([...FORMATS].sort()).toEqual(Object.keys(PRINTERS).sort());
  });

  it("the version printed is package.json's", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});

describe("fingerprints", () => {
  it("stay the same when evidence, count, confidence, data-map system or machine change", () => {
    const a = finding(1);
    expect(fingerprint({ ...a, evidence: "other", count: 7, confidence: 0.5, system: "x", location: { ...a.location, uri: "file:///elsewhere/x.csv" } })).toBe(fingerprint(a));
  });

  it("differ by place, source and kind of data", () => {
    const a = finding(1);
    const others: Finding[] = [
      { ...a, source: "other" },
      { ...a, identifier: "phone" } as Finding,
      { ...a, location: { ...a.location, cell: "C2", column: "notes" } },
      { ...a, location: { ...a.location, path: "other.csv" } },
    ];
    const all = new Set([a, ...others].map(fingerprint));
    expect(all.size).toBe(5);
    for (const f of all) expect(f).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("one column convention", () => {
  it("the table's line:col and the JSON's col are both 1-based", () => {
    const f = finding(0);
    expect(describePlace(f.location)).toBe("line 1:50");
    expect(publishFinding(f).location.col).toBe(50);
  });
});

describe("every format is linear in the number of findings", () => {
  /** Milliseconds to print n findings (and their coverage) into a stream that only counts. */
  function timeFor(format: string, n: number, width?: number): number {
    const out = capture(false);
    const printer = PRINTERS[format]({ mode: "scan", command: "scan", verbose: false, out: out.stream, err: capture(false).stream, startedAt: new Date(), color: false, width });
    const findings: Finding[] = [];
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const f = finding(i);
      findings.push(f);
      printer.event?.({ type: "finding", finding: f });
    }
    const entries: CoverageEntry[] = [{ source: "fs", uri: "file:///srv/x", path: "x", status: "scanned" }];
    printer.end({ findings, coverage: { summary: summarize(entries), items: entries }, warnings: [] });
    expect(out.bytes()).toBeGreaterThan(n * 50);
    return performance.now() - started;
  }

  for (const [format, width] of [["table", undefined], ["table", 160], ["json"], ["ndjson"], ["csv"], ["sarif"]] as [string, number | undefined][]) {
    it(`${format}${width ? ` at ${width} columns` : ""}: time proportional to the number of findings`, () => {
      timeFor(format, 10_000, width); // warm up
      const small = timeFor(format, 50_000, width);
      const big = timeFor(format, 200_000, width);
      // Linear: about 4 times as long for 4 times as many (quadratic would be 16).
      expect(big / small).toBeLessThan(8);
    }, 120_000);
  }
});

describe("findings counted past limits.maxFindingsPerColumn", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "schema/straymap-output.schema.json"), "utf8"));
  const documentSchema = z.fromJSONSchema(schema);
  const recordSchema = z.fromJSONSchema({ $schema: schema.$schema, $ref: "#/$defs/ndjsonRecord", $defs: schema.$defs });
  const capped: CoverageEntry = {
    source: "fs",
    uri: "file:///srv/export.csv",
    path: "export.csv",
    status: "scanned",
    unlisted: [{ kind: "customer-match", identifier: "email", column: "email", findings: 399_950, count: 399_950, first: 52, last: 400_001 }],
  };
  const listed = [finding(1, { location: { uri: "file:///srv/export.csv", path: "export.csv", row: 2, column: "email", cell: "C2" } })];
  const MORE = /399,950 more rows in column email \(rows 52–400001\)/;

  it("table: the count under the file's rows as it comes, in the summary line, and in what was searched", () => {
    for (const width of [undefined, 160]) {
      const { out } = print("table", listed, { width }, [capped]);
      expect(out).toMatch(new RegExp(`… and ${MORE.source}`));
      expect(out).toMatch(/399,951 matches in 1 file \(1 listed, 399,950 more counted by column\)/);
      expect(out).toMatch(/Counted, not listed one by one \(399,950 past limits\.maxFindingsPerColumn\):\n {2}- export\.csv: 399,950 more rows/);
    }
  });

  it("json and ndjson: on the item's coverage entry and in the summary, valid against the schema", () => {
    const doc = JSON.parse(print("json", listed, {}, [capped]).out);
    expect(documentSchema.safeParse(doc).error?.issues).toBeUndefined();
    expect(doc.coverage.summary.unlisted).toBe(399_950);
    expect(doc.coverage.items[0].unlisted[0]).toMatchObject({ column: "email", findings: 399_950, first: 52, last: 400_001 });
    const records = print("ndjson", listed, {}, [capped]).out.trim().split("\n").map((l) => JSON.parse(l));
    for (const r of records) expect(recordSchema.safeParse(r).error?.issues, JSON.stringify(r)).toBeUndefined();
    expect(records.find((r) => r.type === "coverage").unlisted[0].findings).toBe(399_950);
    expect(records.at(-1)).toMatchObject({ type: "summary", findings: 1, coverage: { unlisted: 399_950 } });
  });

  it("csv says it on stderr with the coverage; sarif as a note of the run", () => {
    expect(print("csv", listed, {}, [capped]).err).toMatch(MORE);
    const sarif = JSON.parse(print("sarif", listed, {}, [capped]).out);
    const notes = sarif.runs[0].invocations[0].toolExecutionNotifications;
    expect(notes).toContainEqual(expect.objectContaining({ level: "note", message: { text: expect.stringMatching(MORE) } }));
    expect(sarif.runs[0].invocations[0].properties.coverage.unlisted).toBe(399_950);
  });
});
