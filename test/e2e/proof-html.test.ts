import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { Store } from "../../src/store/store.js";
import { DataMap } from "../../src/map/data-map.js";
import { closeRequest, openRequest, recordRun, setTask } from "../../src/requests/requests.js";
import { buildReport } from "../../src/requests/report.js";
import { renderHtml } from "../../src/requests/printers/html.js";
import type { Finding } from "../../src/types.js";
import { ROOT } from "../harness/helpers.js";
import { HOSTILE, hostileReports } from "../harness/hostile.js";

const OUTPUT = join(ROOT, "test", "output");
const MM = 96 / 25.4;
/** Printable widths in CSS pixels: the paper less the report's 14 mm side margins. */
const PAPER = { A4: (210 - 28) * MM, Letter: (215.9 - 28) * MM };

/** A closed request with what makes layouts break: long unbroken paths, long evidence, many rows. */
function longReportHtml(): string {
  const store = new Store(":memory:");
  try {
    const map = new DataMap([
      { id: "finance-exports", name: "Finance exports share", owner: "finance-lead@example.com", data: [], action: "delete", locations: [{ source: "finance-share", path: "**" }] },
      { id: "nightly-backups", name: "Nightly database backups", owner: "ops@example.com", data: [], action: "expire", retention: "35 days", locations: [] },
    ]);
    const id = openRequest(store, map, { emails: ["alice@example.com"] }, { owner: "dana@example.com", jurisdiction: "gdpr", verified: "reply from the account's address" });
    const deep = `exports/${"very-long-folder-name-without-any-spaces_".repeat(6)}/subscriptions-2026-11-final-final-v2.csv`;
    const findings: Finding[] = Array.from({ length: 12 }, (_, i) => ({
      kind: "customer-match",
      source: "finance-share",
      location: { uri: `file:///srv/${deep}`, path: deep, member: i % 2 ? `inner/${"nested-archive-member-".repeat(4)}${i}.json` : undefined, cell: `B${i + 2}`, column: "Email" },
      identifier: "email",
      match: "exact",
      count: 1,
      confidence: 0.98,
      evidence: `Email: ${"x".repeat(120)},a****@example.com,${"y".repeat(80)}`,
      system: "finance-exports",
    }));
    const coverage = { summary: { total: 12, scanned: 12, skipped: 0, failed: 0, gaps: 0, skippedReasons: {} }, items: findings.map((f) => ({ source: f.source, uri: f.location.uri, path: f.location.path, status: "scanned" as const })) };
    recordRun(store, id, ["finance-share"], { findings, coverage, warnings: [] }, new Date());
    setTask(store, map, id, "finance-exports", { outcome: "done", note: "removed by the finance team" });
    setTask(store, map, id, "nightly-backups", { outcome: "expiring" });
    recordRun(store, id, ["finance-share"], { findings: [], coverage: { ...coverage, items: [] }, warnings: [] }, new Date());
    closeRequest(store, id);
    return renderHtml(buildReport(store, id, { organisation: { name: "Example Ltd", contact: "privacy@example.com", dpo: "dpo@example.com" }, timezone: "Europe/Paris" }));
  } finally {
    store.close();
  }
}

/** Elements wider than their container, or whose content overflows them (the decorative draft mark aside). */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).split(" ").join(".")}` : ""}: ${(e.textContent ?? "").slice(0, 60)}`;
    if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push(`page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
    for (const e of Array.from(document.body.querySelectorAll("*"))) {
      if (e.closest("[aria-hidden=true]") || getComputedStyle(e).display === "none") continue;
      const parent = e.parentElement!;
      const r = e.getBoundingClientRect();
      const p = parent.getBoundingClientRect();
      if (r.width > 0 && (r.right > p.right + 1 || r.left < p.left - 1)) bad.push(`${name(e)} sticks out of its container by ${Math.round(Math.max(r.right - p.right, p.left - r.left))}px`);
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) bad.push(`${name(e)} overflows: content ${e.scrollWidth}px in ${e.clientWidth}px`);
    }
    return bad;
  });
}

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  mkdirSync(OUTPUT, { recursive: true });
}, 60_000);
afterAll(async () => browser?.close());

describe("the HTML report in a real browser", () => {
  it("nothing overflows at 800 px, nor on A4 or Letter paper; a screenshot and PDFs are kept for people to look at", async () => {
    const html = longReportHtml();
    writeFileSync(join(OUTPUT, "request-report.html"), html);
    const page = await browser.newPage({ viewport: { width: 800, height: 1000 } });
    await page.setContent(html);
    expect(await overflowing(page)).toEqual([]);
    // Narrow: wide tables became labelled stacked rows.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector("table.wide td")!).display)).toBe("grid");
    await page.screenshot({ path: join(OUTPUT, "request-report-800px.png"), fullPage: true });
    await page.emulateMedia({ media: "print" });
    for (const [format, width] of Object.entries(PAPER)) {
      await page.setViewportSize({ width: Math.floor(width), height: 1100 });
      expect(await overflowing(page), format).toEqual([]);
      const pdf = await page.pdf({ format: format as "A4" | "Letter", path: join(OUTPUT, `request-report-${format}.pdf`) });
      expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    }
    await page.close();
  }, 60_000);

  it("a draft says so on every printed page; hostile values stay text", async () => {
    const [closed, , open] = hostileReports();
    const page = await browser.newPage({ viewport: { width: 800, height: 1000 } });
    for (const r of [closed, open]) {
      await page.setContent(renderHtml(r));
      const counts = await page.evaluate(() => ({
        scripts: document.querySelectorAll("script").length,
        images: document.querySelectorAll("img").length,
        links: document.querySelectorAll("a").length,
        h1: document.querySelectorAll("h1").length,
        tables: document.querySelectorAll("table").length,
        text: document.body.textContent ?? "",
      }));
      expect(counts).toMatchObject({ scripts: 0, images: 0, links: 0, h1: 1 });
      // Only the report's own tables: searches, findings (when there are), systems, events.
      expect(counts.tables).toBe((r.searches.length ? 1 : 0) + (r.found.length ? 1 : 0) + 2);
      for (const piece of ["<script>alert(1)</script>", "[click](https://evil.example/)", "</td></tr></table><h1>x</h1>"]) expect(counts.text).toContain(piece);
      expect(await overflowing(page)).toEqual([]);
    }
    // The draft: a banner, a mark repeated on each page (fixed), and the @page header.
    const html = renderHtml(open);
    expect(html).toMatch(/@top-center\{content:"DRAFT - not a final answer"/);
    expect(html).toMatch(/class="draft-mark"/);
    expect(html).toMatch(/@bottom-right\{content:"Page " counter\(page\) " of " counter\(pages\)/);
    expect(html).toContain(`log head ${open.log.head}`);
    await page.setContent(html);
    const pdf = await page.pdf({ format: "A4", path: join(OUTPUT, "request-report-draft-A4.pdf") });
    expect(pdf.length).toBeGreaterThan(1000);
    expect(HOSTILE).toContain("<script>");
    await page.close();
  }, 60_000);
});
