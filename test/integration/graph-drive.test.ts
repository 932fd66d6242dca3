import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, scan, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { startGraphEmulator, type GraphEmulator } from "../emulators/graph.js";
import { sourceContract } from "../harness/source-contract.js";
import { ROOT } from "../harness/helpers.js";
import { testTls } from "../harness/tls.js";

// graph-drive through the library API, against the Graph emulator with the real @azure/identity and Graph client.

const SECRET = "drive-test-secret-8841";
const alice = { emails: ["alice@example.com"] };
let graph: GraphEmulator;
let tmp: string;

process.env.STRAYMAP_TEST_GRAPH_SECRET = SECRET;
process.env.STRAYMAP_TEST_GRAPH_WRONG = "wrong-secret-value-3310";

const settingsFor = (extra: Record<string, unknown> = {}) => ({
  id: "m365-files",
  kind: "graph-drive",
  tenantId: graph.tenantId,
  clientId: "drive-app",
  clientSecret: "${STRAYMAP_TEST_GRAPH_SECRET}",
  endpoint: graph.url,
  authorityHost: graph.url,
  ...extra,
});
const configFor = (extra: Record<string, unknown> = {}) => buildConfig({ sources: [settingsFor(extra)] }, "straymap.yaml", ROOT);
const run = (extra: Record<string, unknown> = {}, options: { narrow?: boolean } = {}) => collect(scan({ config: configFor(extra), customer: alice, ...options }));

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "straymap-graph-drive-"));
  graph = await startGraphEmulator({ tls: testTls(), maxPageSize: 3, apps: [{ clientId: "drive-app", clientSecret: SECRET }] });
  graph.addUser({ userPrincipalName: "finance@example.com" });
  graph.addUser({ userPrincipalName: "nodrive@example.com", drive: false });
  graph.addSite({ name: "Ops", displayName: "Operations", libraries: ["Documents", "Exports"] });
  graph.putFile("finance@example.com", "Exports/2026/subs.csv", "id,email,plan\n1,bob@example.com,Free\n2,alice@example.com,Pro\n");
  graph.putFile("finance@example.com", "Exports/2026/other.csv", "id,email\n1,carol@example.com\n");
  graph.putFile("finance@example.com", "Exports/tmp/scratch.csv", "email\nalice@example.com\n");
  graph.putFile("finance@example.com", "notes.txt", "call alice@example.com back");
  for (let i = 0; i < 7; i++) graph.putFile("Ops/Exports", `daily/part-${i}.csv`, `email\nuser${i}@example.com\n`);
  graph.putFile("Ops/Documents", "crm/contacts.csv", "name,email\nAlice,alice@example.com\n");
  graph.putFile("Ops/Documents", "old/dump.csv", "email\nalice@example.com\n");
  graph.recycle("Ops/Documents", "old/dump.csv", new Date("2026-11-20T08:00:00Z"));
});
afterAll(async () => {
  await graph?.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  graph.requests.length = 0;
});

describe("graph-drive", () => {
  it("reads every file of a OneDrive and of each library of a site, with exact locations, and lists the recycle bin", async () => {
    const r = await run({ users: ["finance@example.com", "nodrive@example.com"], sites: ["Operations"] });
    const byPlace = (a: { drive?: string; path: string }, b: { drive?: string; path: string }) => `${a.drive}|${a.path}`.localeCompare(`${b.drive}|${b.path}`);
    const found = r.findings.map((f) => ({ path: f.location.path, drive: f.location.drive, row: f.location.row, column: f.location.column, line: f.location.line, uri: f.location.uri, itemId: f.location.itemId })).sort(byPlace);
    const finance = graph.drive("finance@example.com");
    const ops = graph.drive("Ops/Documents");
    expect(found).toEqual([
      { path: "Exports/2026/subs.csv", drive: "OneDrive of finance@example.com", row: 3, column: "email", line: 3, uri: "https://example-my.sharepoint.com/personal/finance_example_com/Documents/Exports/2026/subs.csv", itemId: expect.any(String) },
      { path: "Exports/tmp/scratch.csv", drive: "OneDrive of finance@example.com", row: 2, column: "email", line: 2, uri: "https://example-my.sharepoint.com/personal/finance_example_com/Documents/Exports/tmp/scratch.csv", itemId: expect.any(String) },
      { path: "notes.txt", drive: "OneDrive of finance@example.com", row: undefined, column: undefined, line: 1, uri: "https://example-my.sharepoint.com/personal/finance_example_com/Documents/notes.txt", itemId: expect.any(String) },
      { path: "crm/contacts.csv", drive: "Operations / Documents", row: 2, column: "email", line: 2, uri: "https://example.sharepoint.com/sites/Ops/Shared%20Documents/crm/contacts.csv", itemId: expect.any(String) },
    ]);
    // The item id is the drive item's, the one an admin looks up.
    const subs = r.findings.find((f) => f.location.path === "Exports/2026/subs.csv")!;
    expect(subs.location.itemId).toBe([...finance.items.values()].find((i) => i.name === "subs.csv")!.id);
    expect(subs.location.container).toEqual([
      { kind: "drive", name: "OneDrive of finance@example.com", id: finance.id },
      { kind: "folder", name: "Exports", id: expect.any(String) },
      { kind: "folder", name: "2026", id: expect.any(String) },
    ]);
    expect(ops.name).toBe("Documents");
    const c = r.coverage;
    // 4 OneDrive files + 7 + 2 library files (crm, and none in old) + the recycled one + the user without a OneDrive.
    expect(c.summary).toMatchObject({ total: 14, scanned: 12, skipped: 2, failed: 0 });
    expect(c.items.find((e) => e.trashed)).toMatchObject({
      status: "skipped",
      path: "sites/Ops/Shared Documents/old/dump.csv",
      drive: "Operations",
      reason: expect.stringMatching(/^in the recycle bin \(deleted 2026-11-20\): Graph gives no content for recycled files/),
    });
    expect(c.items.find((e) => e.path === "OneDrive of nodrive@example.com")).toMatchObject({ status: "skipped", reason: "no OneDrive for this user (Graph 404 ResourceNotFound: User's mysite not found.)" });
    // Read-only: nothing but GET went to Graph or the download host, and the bearer token never left Graph.
    expect(graph.writes()).toEqual([]);
    expect(graph.requests.filter((q) => q.origin === "download").every((q) => !q.authorization)).toBe(true);
    expect(graph.downloadCount()).toBe(12);
    // Token requests went to the configured authority host, for the configured endpoint's scope.
    expect(graph.tokenScopes.at(-1)).toBe(`${graph.url}/.default`);
  });

  it("applies folder and include/exclude globs, saying why each file was left out", async () => {
    const r = await run({ users: ["finance@example.com"], folder: "Exports", exclude: ["**/tmp/**"] });
    expect(r.findings.map((f) => f.location.path)).toEqual(["Exports/2026/subs.csv"]);
    expect(r.coverage.items.map((e) => [e.path, e.status, e.reason ?? ""]).sort()).toEqual([
      ["Exports/2026/other.csv", "scanned", ""],
      ["Exports/2026/subs.csv", "scanned", ""],
      ["Exports/tmp", "skipped", "excluded by **/tmp/**"],
    ]);
  });

  it("retries 429 (Retry-After) and 5xx with the client's retry handler; a file that keeps failing is one failed entry", async () => {
    graph.fail({ match: "/children", status: 429, retryAfter: 1, times: 1 });
    graph.fail({ match: /\/download\//, status: 503, times: 2 });
    const subs = [...graph.drive("finance@example.com").items.values()].find((i) => i.name === "other.csv")!;
    graph.fail({ match: `/items/${subs.id}/content`, status: 500, times: Infinity });
    try {
      const r = await run({ users: ["finance@example.com"] });
      expect(r.findings.map((f) => f.location.path).sort()).toEqual(["Exports/2026/subs.csv", "Exports/tmp/scratch.csv", "notes.txt"]);
      expect(r.coverage.summary).toMatchObject({ total: 4, scanned: 3, failed: 1 });
      expect(r.coverage.items.find((e) => e.status === "failed")).toMatchObject({ path: "Exports/2026/other.csv", error: "Graph 500 Internal Server Error" });
      // 5 tries in all for the failing file (RETRY.attempts), and one retry after the 429.
      expect(graph.requests.filter((q) => q.url.includes(`/items/${subs.id}/content`))).toHaveLength(5);
      expect(graph.requests.filter((q) => q.status === 429)).toHaveLength(1);
      expect(graph.requests.filter((q) => q.origin === "download" && q.status === 503)).toHaveLength(2);
    } finally {
      graph.clearFaults();
    }
  }, 90_000);

  it("a second sweep lists only changes (delta) and downloads nothing unchanged; changed, new, moved and deleted files are followed", async () => {
    const cacheFile = join(tmp, "sweep-cache.json");
    const config = configFor({ users: ["finance@example.com"], sites: ["https://example.sharepoint.com/sites/Ops"], recycleBin: false });
    const sorted = (r: Awaited<ReturnType<typeof collect>>) => r.findings.map((f) => JSON.stringify(f)).sort();
    const paths = (r: Awaited<ReturnType<typeof collect>>) => r.coverage.items.filter((e) => e.member === undefined).map((e) => `${e.drive}: ${e.path}`).sort();
    const first = await collect(sweep({ config, cacheFile }));
    expect(first.coverage.summary.failed).toBe(0);
    expect(graph.downloadCount()).toBe(12); // the CSV files, and notes.txt (a .txt may hold a table: its bytes decide)
    expect(paths(first)).toContain("Operations / Exports: daily/part-3.csv");

    graph.requests.length = 0;
    const second = await collect(sweep({ config, cacheFile }));
    expect(graph.downloadCount()).toBe(0);
    expect(sorted(second)).toEqual(sorted(first));
    expect(paths(second)).toEqual(paths(first));
    // One delta call per drive (3 drives), no folder walk.
    expect(graph.requests.filter((q) => q.url.includes("/root/delta"))).toHaveLength(3);
    expect(graph.requests.filter((q) => q.url.includes("/children"))).toHaveLength(0);

    graph.putFile("Ops/Exports", "daily/part-3.csv", "email,phone\nx@example.com,+1 415 555 0101\n");
    graph.putFile("Ops/Exports", "weekly/new.csv", "email\ny@example.com\n");
    graph.removeItem("Ops/Exports", "daily/part-4.csv");
    graph.moveItem("finance@example.com", "Exports/tmp", "Old");
    graph.requests.length = 0;
    const third = await collect(sweep({ config, cacheFile }));
    expect(paths(third)).toEqual(
      [...paths(first).filter((p) => !/daily\/part-4.csv|Exports\/tmp/.test(p)), "Operations / Exports: weekly/new.csv", "OneDrive of finance@example.com: Old/tmp/scratch.csv"].sort(),
    );
    expect(third.findings.filter((f) => f.location.path === "daily/part-3.csv").map((f) => f.piiType).sort()).toEqual(["email", "phone"]);
    const moved = third.coverage.items.find((e) => e.path === "Old/tmp/scratch.csv")!;
    expect(moved.uri).toBe("https://example-my.sharepoint.com/personal/finance_example_com/Documents/Old/tmp/scratch.csv");
    // The changed file, the new one, and the moved one (its place changed, so its findings are located anew).
    expect(graph.downloadCount()).toBe(3);
    expect(graph.requests.filter((q) => q.url.includes("/children"))).toHaveLength(0);
    // Put things back for the tests after this one.
    graph.moveItem("finance@example.com", "Old/tmp", "Exports");
    graph.putFile("Ops/Exports", "daily/part-4.csv", "email\nuser4@example.com\n");
  });

  it("an expired delta link (410) lists the drive again from scratch", async () => {
    const cacheFile = join(tmp, "sweep-cache-410.json");
    const config = configFor({ users: ["finance@example.com"], recycleBin: false });
    const first = await collect(sweep({ config, cacheFile }));
    graph.fail({ match: /\/root\/delta\?token=/, status: 410, code: "resyncRequired", message: "Resync required. Replace any local items with the server's version.", times: 1 });
    graph.requests.length = 0;
    const second = await collect(sweep({ config, cacheFile }));
    expect(second.coverage.summary).toEqual(first.coverage.summary);
    const deltas = graph.requests.filter((q) => q.url.includes("/root/delta"));
    expect(deltas.map((q) => q.status)).toEqual([410, ...deltas.slice(1).map(() => 200)]);
    expect(deltas[1]!.url).not.toContain("token="); // listed again from the start, page by page
    expect(graph.downloadCount()).toBe(0);
  });

  it("scan --fast asks Microsoft Search and says what it cannot see", async () => {
    const r = await run({ users: ["finance@example.com"], sites: ["Ops"] }, { narrow: true });
    expect(r.findings.map((f) => `${f.location.drive}: ${f.location.path}`).sort()).toEqual([
      "OneDrive of finance@example.com: Exports/2026/subs.csv",
      "OneDrive of finance@example.com: Exports/tmp/scratch.csv",
      "OneDrive of finance@example.com: notes.txt",
      "Operations / Documents: crm/contacts.csv",
    ]);
    expect(graph.downloadCount()).toBe(4);
    expect(r.coverage.items.find((e) => e.path === "" && e.status === "scanned")?.method).toMatch(/^candidates from Microsoft Search .*: the search index matches whole words .* phone numbers/);
  });

  it("a wrong client secret is one failed entry without the secret", async () => {
    const r = await run({ users: ["finance@example.com"], clientSecret: "${STRAYMAP_TEST_GRAPH_WRONG}" });
    expect(r.findings).toEqual([]);
    expect(r.coverage.items).toHaveLength(1);
    expect(r.coverage.items[0]!.error).toMatch(/AADSTS7000215: Invalid client secret provided/);
    expect(JSON.stringify(r)).not.toContain("wrong-secret-value-3310");
  });

  sourceContract(
    () => ({
      create: () => configFor({ users: ["finance@example.com"], sites: ["Ops"] }).sources[0]!,
      minItems: 10,
      withWrongSecret: () => ({ source: configFor({ users: ["finance@example.com"], clientSecret: "${STRAYMAP_TEST_GRAPH_WRONG}" }).sources[0]!, secret: "wrong-secret-value-3310" }),
    }),
    { secrets: true },
  );
});
