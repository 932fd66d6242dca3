import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yazl from "yazl";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, scan, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import type { CoverageEntry, Finding } from "../../src/types.js";
import { gmailScanner } from "../../scanners/gmail.js";
import { sourceContract } from "../harness/source-contract.js";
import { GoogleEmulator, serviceAccountKeyFile, type EmuMessage } from "../emulators/google.js";

// gmail through the library API, with the real googleapis client against the
// emulator; a service account impersonates each mailbox's user.

const SUPPORT = "support@example.com";
const BILLING = "billing@example.com";
const NOMAIL = "room-4@example.com";
const ADMIN = "admin@example.com";
const BULK = "bulk@example.com";
const CUSTOMER = { emails: ["alice@example.com"], phones: ["+1 415 555 0132"], ids: ["cus_8Hq2LmZ4"] };

const emu = new GoogleEmulator();
let dir: string;
const msgs: Record<string, EmuMessage> = {};
let vip: string;

function zip(files: Record<string, string>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) z.addBuffer(Buffer.from(content), name);
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks))).on("error", reject);
  });
}

/** An RFC 822 message, with attachments as base64 parts of a multipart/mixed body. */
function mime(h: { from: string; to: string; subject: string; id: string; date: string }, body: string, attachments: { name: string; type: string; content: Buffer }[] = []): string {
  const head = [`From: ${h.from}`, `To: ${h.to}`, `Subject: ${h.subject}`, `Message-ID: <${h.id}>`, `Date: ${h.date}`, "MIME-Version: 1.0"];
  if (!attachments.length) return [...head, "Content-Type: text/plain; charset=utf-8", "", body, ""].join("\r\n");
  const b = "=-=straymap-test=-=";
  const parts = [`--${b}`, "Content-Type: text/plain; charset=utf-8", "", body];
  for (const a of attachments) {
    parts.push(`--${b}`, `Content-Type: ${a.type}; name="${a.name}"`, `Content-Disposition: attachment; filename="${a.name}"`, "Content-Transfer-Encoding: base64", "", a.content.toString("base64").replace(/.{76}/g, "$&\r\n"));
  }
  parts.push(`--${b}--`, "");
  return [...head, `Content-Type: multipart/mixed; boundary="${b}"`, "", ...parts].join("\r\n");
}

function config(extra: Record<string, unknown> = {}) {
  return buildConfig({ sources: [{ id: "support-mail", kind: "gmail", users: [SUPPORT, BILLING, NOMAIL], credentials: "${GTEST_GOOGLE_KEY}", endpoint: emu.url, ...extra }] }, "straymap.yaml", dir);
}

const of = (findings: Finding[], m: EmuMessage) => findings.filter((f) => f.location.gmailId === m.id);
const coverageOf = (items: CoverageEntry[], m: EmuMessage) => items.find((c) => c.gmailId === m.id && !c.member);

let mark = 0;
const log = () => emu.requests.slice(mark);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "straymap-test-gmail-"));
  await emu.start();
  for (const u of [SUPPORT, BILLING, ADMIN]) emu.addUser(u, { admin: u === ADMIN });
  emu.addUser(NOMAIL, { gmail: false });
  emu.addUser(BULK);
  for (let i = 0; i < 30; i++) emu.addMessage(BULK, mime({ from: "x@example.com", to: BULK, subject: `Bulk ${i}`, id: `bulk-${i}@example.com`, date: "Mon, 12 Jan 2026 06:00:00 +0000" }, `message ${i}`));
  process.env.GTEST_GOOGLE_KEY = serviceAccountKeyFile(emu, dir);
  vip = emu.addLabel(SUPPORT, "Customers/VIP");

  msgs.refund = emu.addMessage(SUPPORT, mime({ from: "Alice <alice@example.com>", to: SUPPORT, subject: "Refund please", id: "refund-1@example.com", date: "Mon, 05 Jan 2026 10:00:00 +0000" }, "Hi, please refund my last invoice.\r\nThanks"), ["INBOX", "UNREAD", vip], { threadId: "thread-refund" });
  const exportZip = await zip({ "exports/customers.csv": "id,email,plan\n1,bob@example.org,pro\n2,alice@example.com,team\n" });
  msgs.zip = emu.addMessage(SUPPORT, mime({ from: "ops@example.com", to: SUPPORT, subject: "Weekly export", id: "export-7@example.com", date: "Tue, 06 Jan 2026 08:30:00 +0000" }, "Attached is this week's export.", [{ name: "export.zip", type: "application/zip", content: exportZip }]), ["INBOX"]);
  msgs.spam = emu.addMessage(SUPPORT, mime({ from: "prize@example.net", to: SUPPORT, subject: "You won", id: "spam-1@example.net", date: "Wed, 07 Jan 2026 12:00:00 +0000" }, "Forwarding what we have on alice@example.com"), ["SPAM"]);
  msgs.trash = emu.addMessage(SUPPORT, mime({ from: "sales@example.com", to: SUPPORT, subject: "Call back", id: "trash-1@example.com", date: "Thu, 08 Jan 2026 09:00:00 +0000" }, "Call her back on (415) 555-0132"), ["TRASH"]);
  msgs.clean = emu.addMessage(SUPPORT, mime({ from: "news@example.org", to: SUPPORT, subject: "Newsletter", id: "news-1@example.org", date: "Fri, 09 Jan 2026 07:00:00 +0000" }, "Nothing personal here."), ["INBOX", "CATEGORY_UPDATES"]);
  msgs.archived = emu.addMessage(BILLING, mime({ from: "stripe@example.com", to: BILLING, subject: "Payment failed", id: "pay-9@example.com", date: "Sat, 10 Jan 2026 06:00:00 +0000" }, "Customer cus_8Hq2LmZ4: card declined."), []);
});

afterAll(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.GTEST_GOOGLE_KEY;
});

beforeEach(() => {
  emu.clearFaults();
  mark = emu.requests.length;
});

describe("gmail scan", () => {
  it("finds her in headers, bodies, a zip attached to a message, SPAM, TRASH and archived mail, with exact locations", async () => {
    const r = await collect(scan({ config: config(), customer: CUSTOMER }));

    const [from] = of(r.findings, msgs.refund!);
    expect(from!.location).toMatchObject({
      uri: `https://mail.google.com/mail/u/${encodeURIComponent(SUPPORT)}/#all/${msgs.refund!.id}`,
      path: `${SUPPORT}/${msgs.refund!.id}`,
      user: SUPPORT,
      messageId: "<refund-1@example.com>",
      gmailId: msgs.refund!.id,
      threadId: "thread-refund",
      labels: ["Customers/VIP", "INBOX", "UNREAD"],
      date: "2026-01-05T10:00:00.000Z",
      part: "header:from",
    });

    const [inZip] = of(r.findings, msgs.zip!);
    expect(inZip!.location).toMatchObject({ part: "attachment:export.zip", member: "export.zip!/exports/customers.csv", row: 3, column: "email", messageId: "<export-7@example.com>", labels: ["INBOX"] });

    expect(of(r.findings, msgs.spam!)[0]!.location).toMatchObject({ labels: ["SPAM"], part: "text", line: 1 });
    expect(of(r.findings, msgs.trash!)[0]!).toMatchObject({ identifier: "phone", location: { labels: ["TRASH"], part: "text" } });
    expect(of(r.findings, msgs.archived!)[0]!).toMatchObject({ identifier: "id", location: { user: BILLING, labels: [] } });
    expect(of(r.findings, msgs.clean!)).toEqual([]);
    expect(r.findings).toHaveLength(5);
    expect(JSON.stringify(r.findings)).not.toContain("alice@example.com");
  });

  it("accounts for every message and for the mailbox that does not exist", async () => {
    const r = await collect(scan({ config: config(), customer: CUSTOMER }));
    const items = r.coverage.items.filter((c) => !c.member);
    expect(items.find((c) => c.user === NOMAIL)).toMatchObject({ status: "skipped", reason: "no Gmail mailbox (Mail service not enabled)", uri: `gmail://${NOMAIL}` });
    expect(coverageOf(items, msgs.zip!)).toMatchObject({ status: "scanned", labels: ["INBOX"], threadId: msgs.zip!.threadId });
    // 6 messages and one mailbox-less user.
    expect(items).toHaveLength(7);
    expect(r.coverage.summary).toMatchObject({ failed: 0 });
    // One GET per message for its content; labels come from id-only listings.
    expect(emu.downloads(mark)).toHaveLength(6);
    expect(log().filter((x) => x.path.includes("/messages/")).every((x) => x.query.format === "raw")).toBe(true);
  });

  it("reads only the labels asked for", async () => {
    const r = await collect(scan({ config: config({ users: [SUPPORT], labels: ["Customers/VIP", "SPAM"] }), customer: CUSTOMER }));
    expect(new Set(r.coverage.items.map((c) => c.gmailId))).toEqual(new Set([msgs.refund!.id, msgs.spam!.id]));
    const missing = await collect(scan({ config: config({ users: [SUPPORT], labels: ["No such label"] }), customer: CUSTOMER }));
    expect(missing.coverage.items).toEqual([expect.objectContaining({ status: "failed", error: `no label "No such label" in the mailbox of ${SUPPORT}` })]);
  });

  it("lists mailboxes through the Directory API with users: all", async () => {
    const r = await collect(scan({ config: config({ users: "all", admin: ADMIN }), customer: CUSTOMER }));
    // The admin's mailbox is empty: no item, no entry.
    expect(new Set(r.coverage.items.map((c) => c.user))).toEqual(new Set([SUPPORT, BILLING, NOMAIL, BULK]));
    expect(r.findings).toHaveLength(5);
    expect(log().filter((x) => x.path === "/admin/directory/v1/users").map((x) => [x.principal, x.query.customer])).toEqual([[ADMIN, "my_customer"]]);
    expect(log().some((x) => x.path === `/gmail/v1/users/${ADMIN}/profile` && x.principal === ADMIN)).toBe(true);
  });

  it("rides out throttling: 429 with Retry-After, a rate-limit 403 and a 500", async () => {
    emu.fail({ path: `/messages/${msgs.refund!.id}`, status: 429, times: 2, retryAfter: 1 });
    emu.fail({ path: /\/messages$/, status: 403, reason: "rateLimitExceeded", times: 1, retryAfter: 0 });
    emu.fail({ path: `/messages/${msgs.zip!.id}`, status: 500, times: 1 });
    const t = Date.now();
    const r = await collect(scan({ config: config({ users: [SUPPORT] }), customer: CUSTOMER }));
    expect(log().filter((x) => x.path.endsWith(`/messages/${msgs.refund!.id}`)).map((x) => x.status)).toEqual([429, 429, 200]);
    expect(log().filter((x) => x.path.endsWith(`/messages/${msgs.zip!.id}`)).map((x) => x.status)).toEqual([500, 200]);
    expect(log().filter((x) => x.status === 403)).toHaveLength(1);
    // Retry-After: 1 was honoured, twice.
    expect(Date.now() - t).toBeGreaterThanOrEqual(2000);
    expect(r.coverage.summary.failed).toBe(0);
    expect(r.findings).toHaveLength(4);
  });

  it("fails a message that stays unavailable with its cause, and goes on", async () => {
    emu.fail({ path: `/messages/${msgs.spam!.id}`, status: 403, reason: "forbidden", message: "Access denied by policy", times: Infinity });
    const r = await collect(scan({ config: config({ users: [SUPPORT] }), customer: CUSTOMER }));
    expect(coverageOf(r.coverage.items, msgs.spam!)).toMatchObject({ status: "failed", error: `fetching message ${msgs.spam!.id} of ${SUPPORT}: Access denied by policy [403 forbidden]` });
    expect(r.findings).toHaveLength(3);
  });

  it("reads the token's own mailbox with accessToken, and keeps the token out of errors", async () => {
    process.env.GTEST_GOOGLE_TOKEN = `token-${BILLING}`;
    const cfg = buildConfig({ sources: [{ id: "token-mail", kind: "gmail", accessToken: "${GTEST_GOOGLE_TOKEN}", endpoint: emu.url }] }, "straymap.yaml", dir);
    const r = await collect(scan({ config: cfg, customer: CUSTOMER }));
    expect(r.findings.map((f) => f.location.user)).toEqual([BILLING]);
    process.env.GTEST_GOOGLE_TOKEN = "ya29.expired-token-abcdef";
    const bad = await collect(scan({ config: buildConfig({ sources: [{ id: "token-mail", kind: "gmail", accessToken: "${GTEST_GOOGLE_TOKEN}", endpoint: emu.url }] }, "straymap.yaml", dir), customer: CUSTOMER }));
    expect(bad.coverage.items).toEqual([expect.objectContaining({ status: "failed", error: expect.stringMatching(/opening the mailbox of me: Request had invalid authentication credentials.* \[401 authError\]/) })]);
    expect(JSON.stringify(bad)).not.toContain("expired-token");
    delete process.env.GTEST_GOOGLE_TOKEN;
  });

  it("--fast asks Gmail's search and says what it cannot see", async () => {
    const r = await collect(scan({ config: config(), customer: CUSTOMER, narrow: true }));
    const note = r.coverage.items.find((c) => c.uri === "support-mail");
    expect(note!.method).toBe("searched by provider index (Gmail q): variants (plus tags, encodings, other phone formats) not covered; Gmail search does not look inside most attachments");
    const q = log().find((x) => x.path.endsWith("/messages") && x.query.q)!.query.q;
    expect(q).toBe('{"alice@example.com" "cus_8Hq2LmZ4" "+1 415 555 0132"} in:anywhere');
    // The index finds the header, SPAM and the archived id; the zipped CSV and the reformatted phone stay unseen.
    expect(new Set(r.findings.map((f) => f.location.gmailId))).toEqual(new Set([msgs.refund!.id, msgs.spam!.id, msgs.archived!.id]));
    expect(emu.downloads(mark)).toHaveLength(3);
  });
});

describe("gmail sweep", () => {
  it("classifies the columns of tables attached to messages, reads each message once, and keeps the history id", async () => {
    const cacheFile = join(dir, "sweep-cache.json");
    const r = await collect(sweep({ config: config(), cacheFile }));
    const messages = r.coverage.items.filter((c) => c.gmailId && c.member === undefined);
    expect(messages).toHaveLength(6);
    expect(messages.every((c) => c.status === "scanned")).toBe(true);
    // The CSV inside the zip attached to the weekly export is a table like any other.
    const column = r.findings.find((f) => f.kind === "pii-column" && f.piiType === "email");
    expect(column?.location).toMatchObject({ member: "export.zip!/exports/customers.csv", column: "email", gmailId: msgs.zip!.id, user: SUPPORT });
    expect(emu.downloads(mark)).toHaveLength(6);
    // Unchanged messages are not downloaded again.
    const again = emu.requests.length;
    const second = await collect(sweep({ config: config(), cacheFile }));
    expect(second.findings.filter((f) => f.kind === "pii-column").length).toBe(r.findings.filter((f) => f.kind === "pii-column").length);
    expect(emu.downloads(again)).toEqual([]);
    const { readFileSync } = await import("node:fs");
    const saved = JSON.parse(readFileSync(cacheFile, "utf8")) as { sources: Record<string, Record<string, string>> };
    expect(saved.sources["support-mail"]![`historyId:${SUPPORT}`]).toMatch(/^\d+$/);

    // A message deleted for good is noted by the next sweep, from Gmail's history since the kept id.
    emu.deleteMessage(SUPPORT, msgs.clean!.id);
    const next = await collect(sweep({ config: config(), cacheFile }));
    expect(next.coverage.items.filter((c) => c.reason === "deleted from the mailbox since the last sweep")).toEqual([
      expect.objectContaining({ status: "skipped", user: SUPPORT, gmailId: msgs.clean!.id }),
    ]);
  });

  it("sent nothing but GET in this whole file (besides the OAuth token grants)", () => {
    const api = emu.requests.filter((x) => x.path !== "/token");
    expect(api.length).toBeGreaterThan(50);
    expect(api.filter((x) => x.method !== "GET")).toEqual([]);
  });
});

describe("gmail source contract", () => {
  const make = (settings: Record<string, unknown>) => gmailScanner.create("contract", gmailScanner.settings().parse({ endpoint: emu.url, ...settings }), { configDir: dir });
  sourceContract(
    () => ({
      create: () => make({ users: [BULK], credentials: process.env.GTEST_GOOGLE_KEY }),
      minItems: 30,
      withWrongSecret: () => ({ source: make({ accessToken: "ya29.wrong-secret-3f9a7c" }), secret: "wrong-secret-3f9a7c" }),
    }),
    { secrets: true },
  );
});
