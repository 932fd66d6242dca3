import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { CLI, cli, FIXTURES, ROOT, tempTree } from "../harness/helpers.js";

const EXPORTS = join(FIXTURES, "exports");
const who = ["--customer", "alice@example.com", "--phone", "+1 415 555 0132", "--id", "cus_8Hq2LmZ4"];
const schema = JSON.parse(readFileSync(join(ROOT, "schema/straymap-output.schema.json"), "utf8"));
const documentSchema = z.fromJSONSchema(schema);
const recordSchema = z.fromJSONSchema({ $schema: schema.$schema, $ref: "#/$defs/ndjsonRecord", $defs: schema.$defs });
const noColour = { NO_COLOR: "", COLUMNS: "" };

describe("output formats as a user runs them", () => {
  it("json of a scan and of a sweep is valid against the published JSON Schema", () => {
    const scan = cli(["scan", EXPORTS, ...who, "-f", "json"]);
    expect(scan.code).toBe(5);
    const doc = JSON.parse(scan.stdout);
    expect(documentSchema.safeParse(doc).error?.issues).toBeUndefined();
    expect(doc.findings.length).toBeGreaterThan(15);
    const sweep = cli(["sweep", join(FIXTURES, "sweep"), "-f", "json"], tempTree({}));
    const swept = JSON.parse(sweep.stdout);
    expect(documentSchema.safeParse(swept).error?.issues).toBeUndefined();
    expect(swept.command).toBe("sweep");
    // PATHs on the command line feed no review queue, and the note says so.
    expect(swept.note).toMatch(/^PATHs given on the command line: nothing recorded for the review queue/);
  });

  it("csv and sarif never print her raw identifiers either", () => {
    for (const format of ["csv", "sarif"]) {
      const r = cli(["scan", EXPORTS, ...who, "-f", format]);
      expect(r.stdout.length).toBeGreaterThan(1000);
      expect(r.stdout + r.stderr, format).not.toMatch(/alice@example\.com|cus_8Hq2LmZ4|555[ -]?0132/i);
    }
  });

  it("the same run gives the same fingerprints", () => {
    const prints = () => JSON.parse(cli(["scan", EXPORTS, ...who, "-f", "json"]).stdout).findings.map((f: { fingerprint: string }) => f.fingerprint).sort();
    const first = prints();
    expect(new Set(first).size).toBe(first.length);
    expect(prints()).toEqual(first);
  });

  it("ndjson: every line a typed record valid against the schema, coverage and summary included, stderr empty", () => {
    const r = cli(["scan", EXPORTS, ...who, "-f", "ndjson"]);
    const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    for (const rec of records) expect(recordSchema.safeParse(rec).error?.issues, JSON.stringify(rec)).toBeUndefined();
    expect(records[0].type).toBe("begin");
    expect(records.at(-1)).toMatchObject({ type: "summary", coverage: { failed: 2 } });
    expect(records.filter((x) => x.type === "coverage").some((x) => x.status === "failed")).toBe(true);
    expect(r.stderr).toBe("");
  });

  it("a reader that closes the pipe early (| head -1) ends the run quietly", async () => {
    // Her address in 30 columns of 200 rows: 3,000 findings listed (100 a column), far more output than a pipe holds.
    const header = Array.from({ length: 30 }, (_, i) => `email_${i + 1}`).join(",");
    const rows = Array.from({ length: 200 }, () => Array.from({ length: 30 }, () => "alice@example.com").join(",")).join("\n");
    const dir = tempTree({ "big.csv": `${header}\n${rows}\n` });
    for (const format of ["ndjson", "table", "json", "csv"]) {
      const child = spawn(process.execPath, [CLI, "scan", dir, "--customer", "alice@example.com", "-f", format], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (c) => (stderr += c));
      const first = await new Promise<string>((resolve) => child.stdout.once("data", (c) => resolve(String(c).split("\n")[0])));
      child.stdout.destroy(); // what head does after its first line
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(first.length, format).toBeGreaterThan(0);
      expect(stderr, format).toBe("");
      expect(code, format).toBe(0);
    }
  });

  it("csv: a header and one row per finding, for a spreadsheet", () => {
    const r = cli(["scan", join(EXPORTS, "subs-2026-11.csv"), "--customer", "alice@example.com", "-f", "csv"]);
    const rows = r.stdout.trim().split("\r\n");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^fingerprint,kind,source,path,/);
    expect(rows[1]).toMatch(/,customer-match,fs,.*subs-2026-11\.csv,.*,B3,/);
    expect(r.stderr).toMatch(/Searched 1 item/);
  });

  it("sarif: a SARIF 2.1.0 log with results, rules and the items that could not be read", () => {
    const r = cli(["scan", EXPORTS, ...who, "-f", "sarif"]);
    const log = JSON.parse(r.stdout);
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0].results.length).toBeGreaterThan(15);
    expect(log.runs[0].tool.driver.rules.map((x: { id: string }) => x.id)).toContain("customer-match/email");
    // Each item that could not be read (an error) or fully searched (a gap, a warning) is a notification.
    const coverage = JSON.parse(cli(["scan", EXPORTS, ...who, "-f", "json"]).stdout).coverage;
    const notes = log.runs[0].invocations[0].toolExecutionNotifications;
    expect(notes.filter((n: { level: string }) => n.level === "error")).toHaveLength(coverage.summary.failed);
    expect(notes.filter((n: { level: string }) => n.level === "warning")).toHaveLength(coverage.summary.gaps);
    expect(coverage.summary.failed).toBe(2);
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);
  });

  it("the table fits COLUMNS, puts each file on a heading line, and never cuts a path", () => {
    const deep = `${"a-rather-long-folder-name/".repeat(5)}subscribers-export-2026-11-final.csv`;
    const dir = tempTree({ [deep]: "id,email\n1,alice@example.com\n" });
    for (const width of ["100", "200"]) {
      const r = cli(["scan", dir, "--customer", "alice@example.com"], ROOT, { ...noColour, COLUMNS: width });
      const lines = r.stdout.split("\n");
      expect(lines).toContain(deep);
      for (const l of lines.filter((l) => l !== deep && !l.includes("  - "))) expect(l.length, l).toBeLessThanOrEqual(Number(width));
    }
  });

  it("at 80 columns or piped: one plain line per finding, file:place first", () => {
    for (const env of [{ COLUMNS: "80" }, { COLUMNS: "" }]) {
      const r = cli(["scan", join(EXPORTS, "subs-2026-11.csv"), "--customer", "alice@example.com"], ROOT, { ...noColour, ...env });
      const lines = r.stdout.split("\n");
      expect(lines[0]).toMatch(/^fixtures\/exports\/subs-2026-11\.csv:B3 \(email\): email ×1 0\.99 \[unmapped\] email: a\*{4}@example\.com$/);
      expect(lines[1]).toMatch(/:B6 \(email\): email \(plus-tag\)/);
    }
  });

  it("colour with --color always, not with NO_COLOR or --color never", () => {
    const args = ["scan", join(EXPORTS, "subs-2026-11.csv"), "--customer", "alice@example.com"];
    expect(cli([...args, "--color", "always"], ROOT, { NO_COLOR: "1" }).stdout).toMatch(/\x1b\[/);
    expect(cli([...args, "--color", "never"]).stdout).not.toMatch(/\x1b\[/);
    expect(cli(args, ROOT, { NO_COLOR: "1" }).stdout).not.toMatch(/\x1b\[/);
    expect(cli([...args, "--color", "sometimes"]).code).toBe(2);
  });

  it("a gap alone (an item not fully searched) makes the answer incomplete: exit 4, listed apart", () => {
    const dir = tempTree({ "a.csv": "email\nbob@example.com\n", "photo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) });
    const r = cli(["scan", dir, "--customer", "alice@example.com"], ROOT, noColour);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/Not fully searched \(1\):\n  - photo\.png: /);
    expect(r.stdout).toContain("INCOMPLETE");
    expect(cli(["scan", dir, "--customer", "alice@example.com", "--exclude", "*.png"]).code).toBe(0);
  });

  it("line:col in the table and col in JSON are the same 1-based column", () => {
    const dir = tempTree({ "app.log": "2026-11-03 GET /unsubscribe?email=alice@example.com 200\n" });
    const table = cli(["scan", dir, "--customer", "alice@example.com"], ROOT, noColour).stdout;
    const json = JSON.parse(cli(["scan", dir, "--customer", "alice@example.com", "-f", "json"]).stdout);
    const col = json.findings[0].location.col;
    expect(col).toBe("2026-11-03 GET /unsubscribe?email=".length + 1);
    expect(table).toContain(`app.log:line 1:${col}:`);
  });

  it("200,000 hits in the table: the first 100 printed, the rest counted, and the run completes (no crash, exit 1)", () => {
    const dir = tempTree({ "hits.log": Array.from({ length: 200_000 }, (_, i) => `row ${i} alice@example.com paid`).join("\n") });
    const r = cli(["scan", dir, "--customer", "alice@example.com", "--no-progress"], ROOT, noColour);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("200,000 matches in 1 file (100 listed, 199,900 more counted by column).");
    expect(r.stdout.split("\n").filter((l) => l.startsWith("hits.log:line ")).length).toBe(100);
    expect(r.stdout).toContain("hits.log: … and 199,900 more lines (lines 101–200000), email ×199,900");
  }, 600_000);
});

describe("help and README say the same", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  it("scan's help has no sweep-only exit bit; sweep's has it", () => {
    expect(cli(["scan", "--help"]).stdout).not.toMatch(/\+8/);
    expect(cli(["restore-check", "--help"]).stdout).not.toMatch(/\+8/);
    expect(cli(["sweep", "--help"]).stdout).toMatch(/\+8 sweep: new discoveries/);
  });

  it("-v: the same words in --help and the README", () => {
    const help = cli(["scan", "--help"]).stdout.replace(/\s+/g, " ");
    const line = /-v, --verbose (.*?) --concurrency/.exec(help)![1].trim();
    expect(line).toBe("list every skipped item, not only the first 10 of each reason");
    expect(readme).toContain("list every skipped item, not only the first 10 of each reason");
  });

  it("every flag of scan and sweep is in the README's flags table, and every format in its output section", () => {
    const table = readme.slice(readme.indexOf("### Flags"), readme.indexOf("### Exit codes"));
    for (const verb of ["scan", "sweep"]) {
      const flags = [...cli([verb, "--help"]).stdout.matchAll(/(--[a-z][a-z-]+)/g)].map((m) => m[1]);
      for (const flag of new Set(flags)) if (flag !== "--help") expect(table, `${verb} ${flag}`).toMatch(new RegExp(`${flag}(?![a-z-])`));
    }
    for (const format of ["table", "json", "ndjson", "csv", "sarif"]) expect(readme).toContain(`--format ${format}`);
  });
});
