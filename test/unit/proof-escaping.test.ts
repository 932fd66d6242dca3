import { describe, expect, it } from "vitest";
import { reportPrinter } from "../../src/requests/printers/index.js";
import { HOSTILE, hostileReports } from "../harness/hostile.js";

const unescaped = (pattern: string) => new RegExp(`(?<!\\\\)${pattern}`);

describe("reports escape every value for their format", () => {
  const reports = hostileReports();

  it("Markdown: a value adds no heading, link, image, HTML, list, quote or table cell", () => {
    for (const r of reports) {
      const md = reportPrinter("md").print(r);
      const headings = md.split("\n").filter((l) => /^#{1,6}\s/.test(l));
      // Only the report's own headings.
      expect(headings.every((h) => /^# Erasure request REQ-\d{4}|^## (Who|When|What was searched|What was found|Systems and outcomes|What remains|Found again after a restore|Reply to the customer|Answer sheet for support \(internal\)|Event log)( \(DRAFT\))?$/.test(h)), headings.join("\n")).toBe(true);
      expect(md).not.toMatch(unescaped("\\]\\("));
      expect(md).not.toMatch(unescaped("<[A-Za-z/!]"));
      expect(md).not.toMatch(/https?:\/\//);
      expect(md).not.toMatch(/\bwww\.[a-z]/i);
      expect(md).not.toMatch(unescaped("&[a-z]+;"));
      // No line a value starts: every line is one the printer wrote.
      for (const line of md.split("\n")) expect(line, line).toMatch(/^$|^#|^- |^  - |^> |^>$|^\| |^\*\*|^Log head|^Head |^Nothing|^No |^Not known|^Check this record/);
      // Table rows keep their column count.
      for (const block of md.split("\n\n").filter((b) => b.startsWith("| "))) {
        const rows = block.split("\n");
        const cells = (l: string) => l.split(/(?<!\\)\|/).length;
        for (const row of rows) expect(cells(row), row).toBe(cells(rows[0]));
      }
    }
  });

  it("JSON: every value comes back exactly as typed", () => {
    const [closed, cancelled] = reports.map((r) => JSON.parse(reportPrinter("json").print(r)));
    expect(closed.request.owner).toBe(HOSTILE);
    expect(closed.request.verified).toBe(HOSTILE);
    expect(closed.request.acceptedGaps).toBe(HOSTILE);
    expect(closed.controller).toEqual({ name: HOSTILE, contact: HOSTILE, dpo: HOSTILE });
    expect(closed.systems.find((s: { system: string }) => s.system === "crm").detail).toMatchObject({ reason: HOSTILE, note: HOSTILE });
    expect(closed.remaining.vendors[0].ref).toBe(HOSTILE);
    expect(cancelled.request.cancel).toEqual({ kind: "refused", reason: HOSTILE });
  });

  it("a closed report's reply follows its outcomes; a refused one says so; an open one is a draft", () => {
    const [closed, cancelled, open] = reports;
    expect(closed.draft).toBe(false);
    expect(closed.reply.join(" ")).toMatch(/keep some of your data in CRM .* \(a legal hold applies\)/s);
    expect(closed.reply.join(" ")).toMatch(/A copy remains in Backups until \{date:2030-01-31\}/);
    expect(closed.reply.join(" ")).toMatch(/Some places could not be searched completely/);
    expect(closed.reply.join(" ")).not.toMatch(/no copy left/i);
    expect(cancelled.reply.join(" ")).toMatch(/did not carry out your request/);
    expect(open.draft).toBe(true);
    expect(open.legal).toMatchObject({ jurisdiction: "gdpr", basis: "GDPR Art. 17 (right to erasure)" });
    expect(reportPrinter("md").print(open)).toMatch(/DRAFT/);
    expect(reportPrinter("md").print(closed)).toMatch(/Times in Europe\/Paris/);
  });
});
