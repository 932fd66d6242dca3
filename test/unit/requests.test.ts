import { afterEach, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { Store } from "../../src/store/store.js";
import { DataMap } from "../../src/map/data-map.js";
import { UsageError } from "../../src/errors.js";
import { cancelRequest, closeRequest, extendRequest, identifiersOf, openRequest, recordFoundAgain, recordRun, reopenRequest, setTask, stateOf } from "../../src/requests/requests.js";
import { deadlineStatus, parseDue } from "../../src/requests/deadlines.js";
import { verifyRequest } from "../../src/requests/verify.js";
import { buildReport } from "../../src/requests/report.js";
import type { RunResult } from "../../src/index.js";
import type { Finding } from "../../src/types.js";

const MAP = new DataMap([
  { id: "crm", name: "CRM exports", owner: "crm@example.com", data: ["email"], action: "delete", retention: "13 months", locations: [{ source: "share", path: "crm/**" }] },
  { id: "backups", name: "Nightly backups", owner: "ops@example.com", data: [], action: "expire", retention: "35 days", locations: [] },
]);
const ALICE = { emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4"] };

const finding = (path: string, system: string | null): Extract<Finding, { kind: "customer-match" }> => ({
  kind: "customer-match",
  source: "share",
  location: { uri: `file:///srv/${path}`, path },
  identifier: "email",
  match: "exact",
  count: 1,
  confidence: 0.98,
  evidence: "a****@example.com",
  system,
});

function run(findings: Finding[], failed = 0): RunResult {
  const items = [
    ...findings.map((f) => ({ source: f.source, uri: f.location.uri, path: f.location.path, status: "scanned" as const })),
    ...Array.from({ length: failed }, (_, i) => ({ source: "share", uri: `file:///srv/broken-${i}`, path: `broken-${i}`, status: "failed" as const, error: "truncated" })),
  ];
  return { findings, coverage: { summary: { total: items.length, scanned: findings.length, skipped: 0, failed, gaps: 0, skippedReasons: {} }, items }, warnings: [] };
}

let store: Store;
afterEach(() => store?.close());

const open = (extra = {}) => openRequest(store, MAP, ALICE, { owner: "dana@example.com", ...extra });

describe("requests on an in-memory store", () => {
  it("allocates ids, keeps identifiers aside and hashes in the log, builds the checklist from the map", () => {
    store = new Store(":memory:");
    expect(open()).toBe("REQ-0001");
    expect(open()).toBe("REQ-0002");
    const s = stateOf(store, "REQ-0001");
    expect(s.tasks.map((t) => [t.system, t.sources])).toEqual([["backups", []], ["crm", ["share"]]]);
    expect(s.identifierHashes.map((h) => [h.kind, h.masked])).toEqual([["email", "a****@example.com"], ["id", "cus_****"]]);
    expect(identifiersOf(store, "REQ-0001")).toMatchObject(ALICE);
    expect(verifyRequest(store, "REQ-0001").ok).toBe(true);
  });

  it("refuses to close without outcomes, without a scan, and without a verification scan after deletion", () => {
    store = new Store(":memory:");
    const id = open();
    expect(() => closeRequest(store, id)).toThrow(/2 tasks without an outcome.*never scanned/);
    recordRun(store, id, ["share"], run([finding("crm/a.csv", "crm"), finding("tmp/x.csv", null)]), new Date());
    expect(stateOf(store, id).tasks.map((t) => t.system)).toContain("unmapped:share:tmp/x.csv");
    setTask(store, MAP, id, "crm", { outcome: "done" });
    setTask(store, MAP, id, "unmapped:share:tmp/x.csv", { outcome: "done" });
    setTask(store, MAP, id, "backups", { outcome: "expiring" });
    // Marked done, but nothing looked again.
    expect(() => closeRequest(store, id)).toThrow(/crm is marked done but no scan reached it since/);
    // Looked again: still there.
    recordRun(store, id, ["share"], run([finding("crm/a.csv", "crm")]), new Date());
    expect(() => closeRequest(store, id)).toThrow(/crm is marked done but the verification scan \(run 2\) still finds her there in 1 place/);
    expect(stateOf(store, id).runs.map((r) => r.phase)).toEqual(["before deletion", "verification"]);
    // Gone now.
    recordRun(store, id, ["share"], run([]), new Date());
    expect(closeRequest(store, id)).toEqual({ outcome: "completed with exceptions" });
    expect(() => identifiersOf(store, id)).toThrow(/purged/);
    expect(() => setTask(store, MAP, id, "crm", { outcome: "done" })).toThrow(UsageError);
    expect(() => closeRequest(store, id)).toThrow(/already closed/);
  });

  it("accepts gaps only with a reason, and says so in the outcome", () => {
    store = new Store(":memory:");
    const id = open();
    recordRun(store, id, ["share"], run([], 2), new Date());
    setTask(store, MAP, id, "crm", { outcome: "not-found" });
    setTask(store, MAP, id, "backups", { outcome: "not-found" });
    expect(() => closeRequest(store, id)).toThrow(/the last scan could not read 2 places/);
    expect(closeRequest(store, id, "two test files, no customer data").outcome).toBe("completed with exceptions");
    expect(stateOf(store, id).acceptedGaps).toBe("two test files, no customer data");
  });

  it("cancels and reopens with the reasons kept in the log; reopening checks the identifiers against the hashes", () => {
    store = new Store(":memory:");
    const id = open();
    expect(() => cancelRequest(store, id, "withdrawn", " ")).toThrow(/needs --reason/);
    cancelRequest(store, id, "withdrawn", "customer changed their mind");
    expect(stateOf(store, id)).toMatchObject({ status: "cancelled", cancel: { kind: "withdrawn", reason: "customer changed their mind" } });
    expect(() => reopenRequest(store, id, "wrong", { emails: ["bob@example.com"] })).toThrow(/the email given is not one this request was opened for/);
    const s = reopenRequest(store, id, "customer asked again", { emails: ["alice@example.com"] });
    expect(s.status).toBe("open");
    expect(identifiersOf(store, id).emails).toEqual(["alice@example.com"]);
    expect(store.events.list(id).map((e) => e.type)).toEqual(["opened", "cancelled", "reopened"]);
  });

  it("records restore-check finds as events, and reopening adds a task per place", () => {
    store = new Store(":memory:");
    const id = open();
    recordRun(store, id, ["share"], run([]), new Date());
    setTask(store, MAP, id, "crm", { outcome: "not-found" });
    setTask(store, MAP, id, "backups", { outcome: "not-found" });
    closeRequest(store, id);
    const found = { ...finding("restored/crm.csv", null), request: id };
    expect(recordFoundAgain(store, ["restored"], run([found]), new Date())).toEqual([id]);
    expect(stateOf(store, id).foundAgain[0].places).toEqual([{ source: "share", where: "restored/crm.csv", system: null, task: "found-again:share:restored/crm.csv" }]);
    const s = reopenRequest(store, id, "found again after the March restore");
    expect(s.tasks.find((t) => t.origin === "found-again")).toMatchObject({ system: "found-again:share:restored/crm.csv", outcome: null });
    expect(() => closeRequest(store, id)).toThrow(/1 task without an outcome/);
  });

  it("verify: tables equal to the replayed log, tampered tables and truncated logs detected", () => {
    store = new Store(":memory:");
    const id = open();
    setTask(store, MAP, id, "crm", { outcome: "retained", reason: "tax law" });
    const head = verifyRequest(store, id);
    expect(head.ok).toBe(true);
    // The report's anchor holds while the log only grows.
    setTask(store, MAP, id, "backups", { outcome: "expiring" });
    expect(verifyRequest(store, id, { head: head.head, events: head.events }).ok).toBe(true);
    expect(buildReport(store, id).log).toMatchObject({ events: 3, intact: true });
  });

  it("parses --due strictly and derives the deadline from the jurisdiction", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(parseDue("2026-04-01", now)).toBe("2026-04-01");
    expect(parseDue("30d", now)).toBe("2026-04-09");
    expect(() => parseDue("2026-02-30", now)).toThrow(/a date that exists/);
    expect(() => parseDue("2026-03-01", now)).toThrow(/has passed/);
    expect(() => parseDue("99999999d", now)).toThrow(UsageError);
    expect(() => parseDue("soon", now)).toThrow(UsageError);
    store = new Store(":memory:");
    const gdpr = open({ jurisdiction: "gdpr", received: "2026-01-31" });
    expect(stateOf(store, gdpr)).toMatchObject({ due: "2026-03-03", dueFrom: "jurisdiction", legalBasis: "GDPR Art. 17 (right to erasure)" });
    const ccpa = open({ jurisdiction: "ccpa", due: "90d" });
    expect(stateOf(store, ccpa)).toMatchObject({ dueFrom: "given", jurisdiction: "ccpa" });
    expect(() => open({ jurisdiction: "mars" })).toThrow(/known are gdpr, ccpa/);
  });

  it("extends a deadline as far as the jurisdiction allows, with the reason kept and told", () => {
    store = new Store(":memory:");
    const id = open({ jurisdiction: "gdpr" });
    const first = stateOf(store, id).due!;
    expect(() => extendRequest(store, id, " ")).toThrow(/needs --reason/);
    expect(() => extendRequest(store, id, "many systems", "400d")).toThrow(/a delay between 1 day and 3 years|past what GDPR allows/);
    const s = extendRequest(store, id, "the request covers many systems");
    const limit = new Date(`${first}T00:00:00Z`);
    limit.setUTCMonth(limit.getUTCMonth() + 2);
    expect(s).toMatchObject({ due: limit.toISOString().slice(0, 10), dueFrom: "extended" });
    expect(() => extendRequest(store, id, "again")).toThrow(/not later than the current deadline/);
    expect(buildReport(store, id).reply.join(" ")).toMatch(/We extended the time to answer to \{date:\d{4}-\d\d-\d\d\}: the request covers many systems\./);
    const custom = open();
    expect(() => extendRequest(store, custom, "why")).toThrow(/no jurisdiction to extend by: give --to DATE/);
  });

  it("says where a request stands against its deadline (list flags the overdue ones)", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(deadlineStatus("2026-03-08", "open", null, now)).toEqual({ overdue: true, text: "OVERDUE by 2 days (due 2026-03-08)" });
    expect(deadlineStatus("2026-03-10", "open", null, now)).toEqual({ overdue: false, text: "due today (2026-03-10)" });
    expect(deadlineStatus("2026-03-08", "closed", "2026-03-07T10:00:00Z", now).text).toBe("met (answered 2026-03-07, due 2026-03-08)");
    expect(deadlineStatus("2026-03-08", "closed", "2026-03-09T10:00:00Z", now).text).toBe("missed by 1 day (answered 2026-03-09, due 2026-03-08)");
  });
});

describe("requests on a file store", () => {
  it("verify finds edited tables, edited events and removed events", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "straymap-test-"));
    const file = join(dir, ".straymap/straymap.db");
    store = new Store(file);
    const id = open();
    recordRun(store, id, ["share"], run([finding("crm/a.csv", "crm")]), new Date());
    setTask(store, MAP, id, "crm", { outcome: "done" });
    setTask(store, MAP, id, "backups", { outcome: "expiring" });
    const anchor = verifyRequest(store, id);
    expect(anchor.ok).toBe(true);
    store.close();
    // Someone rewrites a stored finding (to hide where she was): the run no longer matches its logged digest.
    const raw0 = new Database(file);
    raw0.prepare("UPDATE findings SET data = replace(data, 'crm/a.csv', 'crm/other.csv')").run();
    raw0.close();
    store = new Store(file);
    expect(verifyRequest(store, id).problems).toEqual(["run 1 was changed after it was logged (its findings or coverage differ from their digest)"]);
    store.close();
    const raw00 = new Database(file);
    raw00.prepare("UPDATE findings SET data = replace(data, 'crm/other.csv', 'crm/a.csv')").run();
    raw00.close();
    const raw = new Database(file);
    // Someone edits the tasks table: the report would change, verify must say so.
    raw.prepare("UPDATE tasks SET outcome = 'not-found' WHERE system = 'backups'").run();
    raw.close();
    store = new Store(file);
    expect(verifyRequest(store, id).problems).toEqual([expect.stringMatching(/tasks\(backups\)\.outcome is "not-found", the log says "expiring"/)]);
    store.requests.save(stateOf(store, id));
    store.close();
    // Someone removes the last event: the chain alone still holds, the report's anchor does not.
    const raw2 = new Database(file);
    raw2.prepare("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)").run();
    raw2.close();
    store = new Store(file);
    expect(verifyRequest(store, id, anchor).problems).toEqual(expect.arrayContaining([expect.stringMatching(/the log has 3 events, but a report showed 4: events were removed/)]));
    store.close();
    // Someone edits an event and recomputes a plain SHA-256 chain: the keyed links do not hold.
    const raw3 = new Database(file);
    raw3.prepare("UPDATE events SET data = replace(data, 'done', 'anonymized') WHERE type = 'task'").run();
    raw3.close();
    store = new Store(file);
    expect(verifyRequest(store, id).problems[0]).toMatch(/does not match its keyed hash/);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
