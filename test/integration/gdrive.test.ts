import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, scan, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import type { CoverageEntry, Finding } from "../../src/types.js";
import { gdriveScanner } from "../../scanners/gdrive.js";
import { sourceContract } from "../harness/source-contract.js";
import { DOC, EXPORT_LIMIT, GoogleEmulator, SHEET, XLSX, serviceAccountKeyFile, type EmuFile } from "../emulators/google.js";

// gdrive through the library API, with the real googleapis client against the
// emulator: a service account impersonates each user (domain-wide delegation).

const FINANCE = "finance@example.com";
const OPS = "ops@example.com";
const GONE = "former@example.com";
const ADMIN = "admin@example.com";
const CUSTOMER = { emails: ["alice@example.com"], phones: ["+1 415 555 0132"], ids: ["cus_8Hq2LmZ4"] };

const emu = new GoogleEmulator();
let dir: string;
const files: Record<string, EmuFile> = {};
let teamDrive: string;

async function workbook(sheets: Record<string, string[][]>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) wb.addWorksheet(name).addRows(rows);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function config(extra: Record<string, unknown> = {}) {
  return buildConfig({ sources: [{ id: "team-drive", kind: "gdrive", users: [FINANCE, OPS], credentials: "${GTEST_GOOGLE_KEY}", endpoint: emu.url, ...extra }] }, "straymap.yaml", dir);
}

const find = (findings: Finding[], path: string) => findings.filter((f) => f.location.path === path);
const entry = (items: CoverageEntry[], path: string) => items.find((c) => c.path === path && !c.member);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "straymap-test-gdrive-"));
  await emu.start();
  for (const u of [FINANCE, OPS, ADMIN]) emu.addUser(u, { admin: u === ADMIN });
  emu.addUser(GONE, { suspended: true });
  process.env.GTEST_GOOGLE_KEY = serviceAccountKeyFile(emu, dir);

  files.csv = emu.addFile({ user: FINANCE }, "Finance/Exports/subs-2026-11.csv", "id,email,plan\n1,bob@example.org,pro\n2,alice@example.com,team\n");
  files.clean = emu.addFile({ user: FINANCE }, "Finance/Exports/summary.txt", "no personal data here\n");
  files.trashed = emu.addFile({ user: FINANCE }, "Finance/old-export.csv", "email\nalice@example.com\n", { trashed: true });
  files.sheet = emu.addNative({ user: FINANCE }, "Finance/Customers 2025", SHEET, {
    [XLSX]: await workbook({ Active: [["Name", "Email"], ["Bob", "bob@example.org"]], Churned: [["Name", "Email"], ["Carol", "carol@example.org"], ["Alice", "alice@example.com"]] }),
    "text/csv": "Name,Email\nBob,bob@example.org\n",
  });
  files.doc = emu.addNative({ user: OPS }, "Notes/Call notes", DOC, { "text/plain": "Monday call\nCustomer cus_8Hq2LmZ4 asked for a refund\n" });
  files.huge = emu.addNative({ user: OPS }, "Notes/Giant log", DOC, { "text/plain": Buffer.alloc(EXPORT_LIMIT + 10, 0x61) });
  files.tmp = emu.addFile({ user: OPS }, "tmp/scratch.csv", "email\nalice@example.com\n");
  teamDrive = emu.addSharedDrive("Finance Team", [FINANCE, OPS]).id;
  files.weekly = emu.addFile({ drive: teamDrive }, "Weekly/subs-2026-11.csv", "email,phone\nalice@example.com,+1 (415) 555-0132\n");
  emu.addSharedDrive("Legal", [OPS]);
  emu.addFile({ drive: [...emu.drives.values()].find((d) => d.name === "Legal")!.id }, "contracts.txt", "nothing\n");
});

afterAll(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.GTEST_GOOGLE_KEY;
});

let mark = 0;
/** This test's requests. */
const log = () => emu.requests.slice(mark);
beforeEach(() => {
  emu.clearFaults();
  mark = emu.requests.length;
});

describe("gdrive scan", () => {
  it("finds her in My Drives, a native Sheet's second sheet, a Doc, the trash and a shared drive, with exact locations", async () => {
    const r = await collect(scan({ config: config({ exclude: ["tmp/**"] }), customer: CUSTOMER }));

    const [csv] = find(r.findings, "Finance/Exports/subs-2026-11.csv");
    expect(csv!.location).toMatchObject({ row: 3, column: "email", drive: `My Drive of ${FINANCE}`, fileId: files.csv!.id, uri: `https://drive.google.com/file/d/${files.csv!.id}/view?usp=drivesdk` });
    expect(csv!.location.trashed).toBeUndefined();

    const [sheet] = find(r.findings, "Finance/Customers 2025");
    expect(sheet!.location).toMatchObject({ sheet: "Churned", row: 3, column: "Email", cell: "Churned!B3", fileId: files.sheet!.id, uri: `https://docs.google.com/spreadsheets/d/${files.sheet!.id}/edit?usp=drivesdk` });

    const [trashed] = find(r.findings, "Finance/old-export.csv");
    expect(trashed!.location).toMatchObject({ trashed: true, drive: `My Drive of ${FINANCE}`, row: 2 });

    const [doc] = find(r.findings, "Notes/Call notes");
    expect(doc!.location).toMatchObject({ line: 2, drive: `My Drive of ${OPS}`, fileId: files.doc!.id });
    expect(doc!.identifier).toBe("id");

    const weekly = find(r.findings, "Weekly/subs-2026-11.csv");
    expect(weekly.map((f) => f.identifier).sort()).toEqual(["email", "phone"]);
    expect(weekly[0]!.location).toMatchObject({ drive: "Finance Team", fileId: files.weekly!.id });
    expect(weekly[0]!.location.container?.[0]).toEqual({ kind: "drive", name: "Finance Team", id: teamDrive });

    // Nothing else: the summary and the shared "Legal" drive hold nothing of hers; tmp/ is excluded.
    expect(new Set(r.findings.map((f) => f.location.path))).toEqual(new Set(["Finance/Exports/subs-2026-11.csv", "Finance/Customers 2025", "Finance/old-export.csv", "Notes/Call notes", "Weekly/subs-2026-11.csv"]));
    expect(JSON.stringify(r.findings)).not.toContain("alice@example.com");
  });

  it("accounts for every file: scanned, skipped with a reason, or failed with its cause", async () => {
    const r = await collect(scan({ config: config({ exclude: ["tmp/**"] }), customer: CUSTOMER }));
    const items = r.coverage.items;
    expect(entry(items, "Notes/Giant log")).toMatchObject({ status: "failed", drive: `My Drive of ${OPS}` });
    expect(entry(items, "Notes/Giant log")!.error).toMatch(/too large to be exported.*10 MB.*403 exportSizeLimitExceeded/);
    expect(entry(items, "tmp")).toMatchObject({ status: "skipped", reason: "excluded by tmp/**" });
    expect(entry(items, "tmp/scratch.csv")).toBeUndefined();
    expect(entry(items, "Finance/old-export.csv")).toMatchObject({ status: "scanned", trashed: true });
    expect(entry(items, "contracts.txt")).toMatchObject({ status: "scanned", drive: "Legal" });
    // 8 files in all (folders are not items); a shared drive two users see is read once.
    expect(r.coverage.summary).toMatchObject({ total: 9, scanned: 7, skipped: 1, failed: 1 });
    expect(items.filter((c) => c.path === "Weekly/subs-2026-11.csv")).toHaveLength(1);
  });

  it("lists users through the Directory API with users: all, skipping the suspended one", async () => {
    const r = await collect(scan({ config: config({ users: "all", admin: ADMIN, sharedDrives: "none", include: ["**/*.csv"] }), customer: CUSTOMER }));
    expect(r.coverage.items.find((c) => c.drive === `My Drive of ${GONE}`)).toMatchObject({ status: "skipped", reason: "suspended user: not read" });
    expect(r.findings.map((f) => f.location.path).sort()).toEqual(["Finance/Exports/subs-2026-11.csv", "Finance/old-export.csv", "tmp/scratch.csv"]);
    expect(entry(r.coverage.items, "Finance/Customers 2025")).toMatchObject({ status: "skipped", reason: "not matched by include" });
    expect(log().some((x) => x.path === "/admin/directory/v1/users" && x.principal === ADMIN)).toBe(true);
  });

  it("reads only under folder:, only the shared drives named, and leaves the trash out with trash: false", async () => {
    const r = await collect(scan({ config: config({ users: [FINANCE], folder: "Finance", sharedDrives: ["Finance Team"], trash: false }), customer: CUSTOMER }));
    const paths = r.coverage.items.map((c) => c.path).sort();
    expect(paths).toEqual(["Finance", "Finance/Customers 2025", "Finance/Exports/subs-2026-11.csv", "Finance/Exports/summary.txt"]);
    // The shared drive has no Finance folder: said so, not silently empty.
    expect(r.coverage.items.find((c) => c.drive === "Finance Team")).toMatchObject({ status: "skipped", reason: "no folder Finance in Finance Team" });
    expect(log().filter((x) => x.path === "/drive/v3/files").every((x) => String(x.query.q).endsWith("and trashed = false"))).toBe(true);
  });

  it("rides out throttling (429 with Retry-After, rate-limit 403) and reports a folder it may not list", async () => {
    emu.fail({ path: `/drive/v3/files/${files.csv!.id}`, status: 429, times: 2, retryAfter: 0 });
    emu.fail({ path: /^\/drive\/v3\/files$/, status: 403, times: 1, reason: "userRateLimitExceeded", retryAfter: 0 });
    const notes = emu.folder({ user: OPS }, "Notes");
    emu.fail({ path: /^\/drive\/v3\/files$/, query: new RegExp(`'${notes}' in parents`), status: 403, times: Infinity, reason: "insufficientFilePermissions", message: "The user does not have sufficient permissions for this file." });
    const r = await collect(scan({ config: config({ sharedDrives: "none" }), customer: CUSTOMER }));
    expect(log().filter((x) => x.path === `/drive/v3/files/${files.csv!.id}`).map((x) => x.status)).toEqual([429, 429, 200]);
    expect(log().filter((x) => x.status === 403 && x.path === "/drive/v3/files" && !String(x.query.q).includes(notes))).toHaveLength(1);
    expect(find(r.findings, "Finance/Exports/subs-2026-11.csv")).toHaveLength(1);
    // The unlistable folder is one failed entry (not retried: that 403 is not a rate limit); the rest is read.
    expect(entry(r.coverage.items, "Notes")).toMatchObject({ status: "failed", fileId: notes, drive: `My Drive of ${OPS}` });
    expect(entry(r.coverage.items, "Notes")!.error).toMatch(/listing Notes in My Drive of ops@example\.com: The user does not have sufficient permissions for this file\. \[403 insufficientFilePermissions\]/);
    expect(log().filter((x) => String(x.query.q ?? "").includes(notes))).toHaveLength(1);
    expect(find(r.findings, "Notes/Call notes")).toEqual([]);
    expect(r.coverage.summary).toMatchObject({ failed: 1, skipped: 0 });
    expect(entry(r.coverage.items, "tmp/scratch.csv")).toMatchObject({ status: "scanned" });
  });

  it("skips a file removed between listing and download, with that cause", async () => {
    const doomed = emu.addFile({ user: OPS }, "tmp/doomed.csv", "email\nalice@example.com\n");
    emu.fail({ path: `/drive/v3/files/${doomed.id}`, status: 404, times: Infinity, message: `File not found: ${doomed.id}.` });
    try {
      const r = await collect(scan({ config: config({ users: [OPS], sharedDrives: "none", include: ["tmp/**"] }), customer: CUSTOMER }));
      expect(entry(r.coverage.items, "tmp/doomed.csv")).toMatchObject({
        status: "skipped",
        reason: `removed or no longer shared since it was listed (downloading tmp/doomed.csv from My Drive of ${OPS}: File not found: ${doomed.id}. [404 notFound])`,
      });
    } finally {
      emu.removeFile(doomed.id);
    }
  });

  it("fails one user's drive with its cause, and never puts a secret in an error", async () => {
    const r = await collect(scan({ config: config({ users: [FINANCE, "nobody@example.com"], sharedDrives: "none" }), customer: CUSTOMER }));
    const failed = r.coverage.items.find((c) => c.drive === "My Drive of nobody@example.com");
    expect(failed).toMatchObject({ status: "failed" });
    expect(failed!.error).toMatch(/opening My Drive of nobody@example\.com: invalid_grant: Invalid email or User ID/);
    expect(find(r.findings, "Finance/Exports/subs-2026-11.csv")).toHaveLength(1);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/PRIVATE KEY|ya29\.|Bearer/);
  });

  it("says which key file it cannot read", async () => {
    process.env.GTEST_GOOGLE_MISSING = join(dir, "no-such-key.json");
    const r = await collect(scan({ config: config({ credentials: "${GTEST_GOOGLE_MISSING}" }), customer: CUSTOMER }));
    expect(r.coverage.items).toEqual([
      expect.objectContaining({ status: "failed", error: `gdrive source "team-drive" stopped: credentials: cannot read the service-account key file ${join(dir, "no-such-key.json")} (ENOENT)` }),
    ]);
    delete process.env.GTEST_GOOGLE_MISSING;
  });

  it("answers a wrong access token with 401 per drive, without the token in the message", async () => {
    process.env.GTEST_GOOGLE_TOKEN = "ya29.not-a-valid-token-0123456789";
    const cfg = buildConfig({ sources: [{ id: "token-drive", kind: "gdrive", accessToken: "${GTEST_GOOGLE_TOKEN}", endpoint: emu.url }] }, "straymap.yaml", dir);
    const r = await collect(scan({ config: cfg, customer: CUSTOMER }));
    expect(r.coverage.items).toHaveLength(1);
    expect(r.coverage.items[0]).toMatchObject({ status: "failed" });
    expect(r.coverage.items[0]!.error).toMatch(/401/);
    expect(JSON.stringify(r)).not.toContain("not-a-valid-token");
    delete process.env.GTEST_GOOGLE_TOKEN;
  });

  it("reads the token's own drive with accessToken", async () => {
    process.env.GTEST_GOOGLE_TOKEN = `token-${OPS}`;
    const cfg = buildConfig({ sources: [{ id: "token-drive", kind: "gdrive", accessToken: "${GTEST_GOOGLE_TOKEN}", endpoint: emu.url, sharedDrives: "none" }] }, "straymap.yaml", dir);
    const r = await collect(scan({ config: cfg, customer: CUSTOMER }));
    expect(find(r.findings, "Notes/Call notes")[0]!.location.drive).toBe(`My Drive of ${OPS}`);
    delete process.env.GTEST_GOOGLE_TOKEN;
  });

  it("--fast asks Drive's full-text index, reads only the candidates, and says what it cannot see", async () => {
    const r = await collect(scan({ config: config({ sharedDrives: "all" }), customer: CUSTOMER, narrow: true }));
    const method = r.coverage.items.find((c) => c.uri === "team-drive");
    expect(method!.method).toMatch(/^searched by provider index \(Drive fullText contains\): variants \(plus tags, encodings, other phone formats\) not covered/);
    // Drive indexes the CSVs and the Doc's text; the Sheet's XLSX export is not text the emulator's index holds.
    expect(new Set(r.findings.map((f) => f.location.path))).toEqual(new Set(["Finance/Exports/subs-2026-11.csv", "Finance/old-export.csv", "Notes/Call notes", "tmp/scratch.csv", "Weekly/subs-2026-11.csv"]));
    expect(find(r.findings, "Finance/old-export.csv")[0]!.location.trashed).toBe(true);
    const read = emu.downloads(mark).map((x) => x.path);
    expect(read).not.toContain(`/drive/v3/files/${files.clean!.id}`);
    expect(log().some((x) => String(x.query.q ?? "").includes("fullText contains 'alice@example.com'"))).toBe(true);
  });
});

describe("gdrive sweep", () => {
  it("finds PII columns, then a second sweep downloads nothing unchanged and reads a changed file again", async () => {
    const cacheFile = join(dir, "sweep-cache.json");
    const first = await collect(sweep({ config: config({ sharedDrives: "all" }), cacheFile }));
    expect(first.findings.some((f) => f.kind === "pii-column" && f.location.path === "Weekly/subs-2026-11.csv" && f.location.column === "email")).toBe(true);
    expect(emu.downloads(mark).length).toBeGreaterThanOrEqual(4);

    const second0 = emu.requests.length;
    const second = await collect(sweep({ config: config({ sharedDrives: "all" }), cacheFile }));
    expect(emu.downloads(second0)).toEqual([]);
    expect(second.findings.length).toBe(first.findings.length);

    emu.updateFile(files.csv!.id, { content: "id,email,plan\n1,bob@example.org,pro\n2,alice@example.com,team\n3,zed@example.org,pro\n" });
    emu.removeFile(files.clean!.id);
    const third0 = emu.requests.length;
    const third = await collect(sweep({ config: config({ sharedDrives: "all" }), cacheFile }));
    expect(emu.downloads(third0).map((x) => x.path)).toEqual([`/drive/v3/files/${files.csv!.id}`]);
    // The removed file is noted, from the changes API and the page token the last sweep kept.
    expect(third.coverage.items.filter((c) => c.reason === "removed from Drive since the last sweep")).toEqual([
      expect.objectContaining({ status: "skipped", fileId: files.clean!.id, drive: `My Drive of ${FINANCE}` }),
    ]);
    expect(log().some((x) => x.path === "/drive/v3/changes" && x.query.driveId === teamDrive && x.query.includeItemsFromAllDrives === "true")).toBe(true);
  });

  it("sent nothing but GET in this whole file (besides the OAuth token grants)", () => {
    expect(emu.requests.length).toBeGreaterThan(100);
    expect(emu.requests.filter((x) => x.path !== "/token").map((x) => x.method)).toEqual(emu.requests.filter((x) => x.path !== "/token").map(() => "GET"));
    expect(emu.requests.filter((x) => x.path === "/token").every((x) => x.method === "POST")).toBe(true);
  });
});

describe("gdrive source contract", () => {
  const make = (settings: Record<string, unknown>) => gdriveScanner.create("contract", gdriveScanner.settings().parse({ endpoint: emu.url, ...settings }), { configDir: dir });
  sourceContract(
    () => ({
      create: () => make({ users: [FINANCE, OPS], credentials: process.env.GTEST_GOOGLE_KEY }),
      minItems: 6,
      withWrongSecret: () => ({ source: make({ accessToken: "ya29.wrong-secret-3f9a7c" }), secret: "wrong-secret-3f9a7c" }),
    }),
    { secrets: true },
  );
});
