import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readdirSync, statSync } from "node:fs";
import { cli, FIXTURES, tempTree } from "../harness/helpers.js";

const EXPORTS = join(FIXTURES, "exports");
const who = ["--customer", "alice@example.com", "--phone", "+1 415 555 0132", "--id", "cus_8Hq2LmZ4"];

describe("straymap CLI", () => {
  it("scan of the demo fixtures: every place she appears, bad files listed, exit 5 (found + incomplete)", () => {
    const r = cli(["scan", EXPORTS, ...who, "--format", "json"]);
    expect(r.code).toBe(5);
    const out = JSON.parse(r.stdout);
    const places = out.findings.map((f: any) => `${f.location.path}${f.location.member ? `!/${f.location.member}` : ""}|${f.location.cell ?? f.location.jsonPath ?? f.location.part ?? `line ${f.location.line}`}|${f.identifier}`);
    for (const want of [
      "subs-2026-11.csv|B3|email",
      "subs-2026-11.csv|A3|id",
      "subs-2026-11.csv|B6|email",
      "finance/payouts.csv|C3|email",
      "crm-contacts.txt.tsv|B3|phone",
      "customers.xlsx|Customers!B3|email",
      "customers.xlsx|Notes!B2|email",
      "customers.xlsx|Notes!C2|email",
      "customers.xlsx|Notes!A2|id",
      "events.ndjson|$.user.email|email",
      "users.json|$[1].contacts[0].email|email",
      "dump.sql|line 3|email",
      "app.log|line 1|email",
      "app.log|line 6|id",
      "archive/old-exports.zip!/2026-q3/subs.csv|A2|email",
      "archive/old-exports.zip!/inner.zip!/phones.csv|B2|phone",
      "archive/subs-2026-10.csv.gz!/subs-2026-10.csv|A3|email",
      "support/ticket-4411.eml|header:to|email",
      "support/ticket-4411.eml!/ticket.csv|B2|id",
      "support/inbox.mbox|header:to|email",
    ]) {
      expect(places, want).toContain(want);
    }
    // Exact boundaries: these are other people.
    expect(out.findings.filter((f: any) => f.location.path === "subs-2026-11.csv").map((f: any) => f.location.row)).toEqual([3, 3, 6]);
    expect(out.coverage.summary).toMatchObject({ failed: 2, skipped: 4 });
    const failed = out.coverage.items.filter((e: any) => e.status === "failed").map((e: any) => `${e.path}: ${e.error}`);
    expect(failed).toEqual(expect.arrayContaining([expect.stringMatching(/^bad\/corrupt.xlsx: corrupt XLSX/), "bad/truncated.csv.gz: truncated gzip: unexpected end of file"]));
  });

  it("every enumerated file is accounted for in coverage", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : files.push(join(d, n).slice(EXPORTS.length + 1));
    };
    walk(EXPORTS);
    const out = JSON.parse(cli(["scan", EXPORTS, ...who, "--format", "json"]).stdout);
    const top = new Set(out.coverage.items.filter((e: any) => !e.member).map((e: any) => e.path));
    const withMembers = new Set(out.coverage.items.map((e: any) => e.path));
    for (const f of files) expect(top.has(f) || withMembers.has(f), f).toBe(true);
  });

  it("never prints the raw identifiers unless --show-values", () => {
    for (const format of ["table", "json", "ndjson"]) {
      const r = cli(["scan", EXPORTS, ...who, "--format", format]);
      expect(r.stdout + r.stderr).not.toMatch(/alice@example\.com|cus_8Hq2LmZ4|555[ -]?0132/i);
    }
    const shown = cli(["scan", join(EXPORTS, "subs-2026-11.csv"), "--customer", "alice@example.com", "--show-values"]);
    expect(shown.stdout).toContain("alice@example.com");
  });

  it("table output lists matches and the coverage summary; exit 1 when found and complete", () => {
    const r = cli(["scan", join(EXPORTS, "subs-2026-11.csv"), "--customer", "alice@example.com"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/subs-2026-1/);
    expect(r.stdout).toMatch(/B3 \(email\)/);
    expect(r.stdout).toMatch(/Searched 1 item: 1 scanned, 0 skipped, 0 failed\./);
  });

  it("ndjson: one record per line on stdout (findings, coverage, summary), nothing on stderr", () => {
    const r = cli(["scan", join(EXPORTS, "subs-2026-11.csv"), "--customer", "alice@example.com", "--format", "ndjson"]);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const findings = lines.filter((l) => l.type === "finding");
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({ kind: "customer-match", source: "fs", identifier: "email", location: { cell: "B3" } });
    expect(lines.at(-1)).toMatchObject({ type: "summary", coverage: { total: 1, scanned: 1 } });
    expect(r.stderr).toBe("");
  });

  it("exit 0 when nothing is found and everything was read", () => {
    const dir = tempTree({ "a.csv": "email\nbob@example.com\n" });
    const r = cli(["scan", dir, "--customer", "alice@example.com"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No match found/);
  });

  it("exit 4 when nothing is found but something could not be read", () => {
    const r = cli(["scan", join(EXPORTS, "bad"), "--customer", "alice@example.com"]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/INCOMPLETE/);
  });

  it("exit 2 for usage and config errors, with a message naming the problem", () => {
    expect(cli(["scan", EXPORTS]).code).toBe(2);
    expect(cli(["scan", EXPORTS]).stderr).toMatch(/--customer EMAIL/);
    expect(cli(["scan", EXPORTS, "--customer", "not-an-email"]).stderr).toMatch(/is not an email address/);
    expect(cli(["scan", EXPORTS, "--customer", "a@example.com", "--format", "xml"]).code).toBe(2);
    expect(cli(["frobnicate"]).code).toBe(2);
    const dir = tempTree({ "straymap.yaml": "sources:\n  - id: x\n    kind: ftp\n" });
    const bad = cli(["scan", "--customer", "a@example.com"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/sources\[0\]\.kind: unknown kind "ftp"/);
    expect(cli(["scan", "--customer", "a@example.com"], tempTree({})).stderr).toMatch(/nothing to search/);
  });

  it("runs configured sources, or only those named by --source, and tags findings with data-map systems", () => {
    const all = JSON.parse(cli(["scan", ...who, "--format", "json"], FIXTURES).stdout);
    expect(new Set(all.findings.map((f: any) => f.source))).toEqual(new Set(["finance-share", "support-mail"]));
    const subs = all.findings.find((f: any) => f.location.path === "subs-2026-11.csv");
    expect(subs.system).toBe("finance-exports");
    expect(all.findings.find((f: any) => f.location.path === "app.log").system).toBeNull();
    expect(all.coverage.items.some((e: any) => e.path === "bad" && e.reason === "excluded by bad/**")).toBe(true);
    const one = cli(["scan", "--source", "support-mail", ...who, "--format", "json"], FIXTURES);
    expect(new Set(JSON.parse(one.stdout).findings.map((f: any) => f.source))).toEqual(new Set(["support-mail"]));
    const unknown = cli(["scan", "--source", "nope", ...who], FIXTURES);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--source nope: no such source/);
  });

  it("sweep lists PII columns with type, confidence and why; exit 1, plus 8 while the discoveries are new", () => {
    const here = tempTree({ "straymap.yaml": `sources:\n  - id: share\n    kind: fs\n    path: ${JSON.stringify(join(FIXTURES, "sweep"))}\n` });
    // A PATH on the command line: the same findings, but no discovery recorded.
    const adHoc = cli(["sweep", join(FIXTURES, "sweep"), "--format", "json"], here);
    expect(adHoc.code).toBe(1);
    expect(JSON.parse(adHoc.stdout).note).toMatch(/nothing recorded for the review queue/);
    const r = cli(["sweep", "--format", "json"], here);
    expect(r.code).toBe(9);
    const out = JSON.parse(r.stdout);
    const col3 = out.findings.find((f: any) => f.location.path === "no-header.csv");
    expect(col3).toMatchObject({ kind: "pii-column", piiType: "email", reason: "values", location: { column: "col3" } });
    expect(col3.confidence).toBeGreaterThan(0.8);
    expect(out.note).toMatch(/^7 new discoveries, 0 known/);
    const again = cli(["sweep"], here);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/card_number/);
    expect(again.stdout).toMatch(/header\+values/);
    expect(again.stdout).toMatch(/0 new discoveries, 7 known/);
  });

  it("--help documents every verb and the exit codes", () => {
    const r = cli(["--help"]);
    expect(r.code).toBe(0);
    for (const word of ["scan", "sweep", "rules", "check", "Exit codes", "incomplete"]) expect(r.stdout).toContain(word);
    expect(cli(["scan", "--help"]).stdout).toMatch(/--customer <email>[\s\S]*--phone[\s\S]*Exit codes/);
  });

  it("check validates the config and lists sources", () => {
    const r = cli(["check"], FIXTURES);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/finance-share \(fs/);
  });
});
