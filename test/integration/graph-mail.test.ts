import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, scan, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { startGraphEmulator, type GraphEmulator } from "../emulators/graph.js";
import { sourceContract } from "../harness/source-contract.js";
import { ROOT } from "../harness/helpers.js";
import { mime } from "../harness/mime.js";
import { clientCertificate, testTls } from "../harness/tls.js";
import { writeFileSync } from "node:fs";

// graph-mail through the library API, against the Graph emulator with the real @azure/identity and Graph client.

const alice = { emails: ["alice@example.com"] };
let graph: GraphEmulator;
let tmp: string;
let certPath: string;
process.env.STRAYMAP_TEST_MAIL_SECRET = "mail-test-secret-2270";

const configFor = (extra: Record<string, unknown> = {}) =>
  buildConfig(
    {
      sources: [
        { id: "m365-mail", kind: "graph-mail", tenantId: graph.tenantId, clientId: "mail-app", clientSecret: "${STRAYMAP_TEST_MAIL_SECRET}", endpoint: graph.url, authorityHost: graph.url, users: ["support@example.com"], ...extra },
      ],
    },
    "straymap.yaml",
    tmp,
  );
const run = (extra: Record<string, unknown> = {}, narrow = false) => collect(scan({ config: configFor(extra), customer: alice, narrow }));

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "straymap-graph-mail-"));
  const cert = await clientCertificate();
  certPath = join(tmp, "app.pem");
  writeFileSync(certPath, cert.pem, { mode: 0o600 });
  graph = await startGraphEmulator({
    tls: testTls(),
    maxPageSize: 2,
    apps: [
      { clientId: "mail-app", clientSecret: "mail-test-secret-2270" },
      { clientId: "mail-cert-app", certificate: cert.cert },
    ],
  });
  graph.addUser({ userPrincipalName: "support@example.com" });
  graph.addUser({ userPrincipalName: "kiosk@example.com", mailbox: false });
  for (let i = 1; i <= 3; i++) graph.addMessage("support@example.com", "Inbox", mime({ from: `c${i}@example.com`, to: "support@example.com", subject: `Ticket ${i}`, text: `ticket ${i}` }));
  graph.addMessage("support@example.com", "Inbox", mime({ from: "Alice <alice@example.com>", to: "support@example.com", subject: "Refund", text: "Please refund me.", messageId: "<refund-1@mail.example.com>", date: new Date("2026-11-03T10:00:00Z") }), new Date("2026-11-03T10:00:00Z"));
  graph.addMessage(
    "support@example.com",
    "Inbox/Customers/VIP",
    mime({
      from: "ops@example.com",
      to: "support@example.com",
      subject: "VIP export",
      text: "attached",
      messageId: "<vip-1@mail.example.com>",
      date: new Date("2026-11-04T10:00:00Z"),
      attachments: [{ filename: "vip.csv", contentType: "text/csv", content: "full_name,email\nAlice Example,alice@example.com\n" }],
    }),
    new Date("2026-11-04T10:00:00Z"),
  );
  graph.addMessage("support@example.com", "Deleted Items", mime({ from: "x@example.com", to: "support@example.com", subject: "old", text: "forwarded from alice@example.com", messageId: "<old-1@mail.example.com>", date: new Date("2026-10-01T10:00:00Z") }), new Date("2026-10-01T10:00:00Z"));
});
afterAll(async () => {
  await graph?.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  graph.requests.length = 0;
  graph.clearFaults();
});

describe("graph-mail", () => {
  it("reads every message of every folder (child folders too) as MIME, with exact locations", async () => {
    const r = await run({ users: ["support@example.com", "kiosk@example.com"] });
    const found = r.findings.map((f) => ({ ...f.location, graphId: f.location.graphId ? "id" : undefined, container: undefined, uri: undefined }));
    const refund = r.findings.find((f) => f.location.messageId === "<refund-1@mail.example.com>")!;
    expect(refund.location.uri).toBe(`${graph.url}/v1.0/users/support@example.com/messages/${refund.location.graphId}`);
    expect(found.sort((a, b) => `${a.messageId}${a.part}`.localeCompare(`${b.messageId}${b.part}`))).toEqual([
      { user: "support@example.com", folder: "Deleted Items", messageId: "<old-1@mail.example.com>", graphId: "id", date: "2026-10-01T10:00:00.000Z", path: expect.stringMatching(/^support@example.com\/Deleted Items\//), part: "text", line: 1, offset: 15, container: undefined, uri: undefined },
      { user: "support@example.com", folder: "Inbox", messageId: "<refund-1@mail.example.com>", graphId: "id", date: "2026-11-03T10:00:00.000Z", path: expect.stringMatching(/^support@example.com\/Inbox\//), part: "header:from", container: undefined, uri: undefined },
      {
        user: "support@example.com",
        folder: "Inbox/Customers/VIP",
        messageId: "<vip-1@mail.example.com>",
        graphId: "id",
        date: "2026-11-04T10:00:00.000Z",
        path: expect.stringMatching(/^support@example.com\/Inbox\/Customers\/VIP\//),
        part: "attachment:vip.csv",
        member: "vip.csv",
        row: 2,
        column: "email",
        cell: "B2",
        line: 2,
        container: undefined,
        uri: undefined,
      },
    ]);
    const vip = r.findings.find((f) => f.location.messageId === "<vip-1@mail.example.com>")!;
    expect(vip.location.container).toEqual([
      { kind: "mailbox", name: "support@example.com" },
      { kind: "folder", name: "Inbox" },
      { kind: "folder", name: "Customers" },
      { kind: "folder", name: "VIP", id: expect.any(String) },
    ]);
    // 6 messages (+ the attachment read inside one), and the user without a mailbox said as such.
    expect(r.coverage.items.filter((e) => e.member === undefined)).toHaveLength(7);
    expect(r.coverage.summary).toMatchObject({ failed: 0 });
    expect(r.coverage.items.find((e) => e.user === "kiosk@example.com")).toMatchObject({
      status: "skipped",
      reason: "no Exchange Online mailbox (Graph 404 MailboxNotEnabledForRESTAPI: The mailbox is either inactive, soft-deleted, or is hosted on-premise.)",
    });
    expect(graph.writes()).toEqual([]);
    expect(graph.requests.filter((q) => q.url.endsWith("/$value"))).toHaveLength(6);
  });

  it("reads a message too big to fetch ahead (over 4 MB) when its turn comes", async () => {
    graph.addUser({ userPrincipalName: "big@example.com" });
    const filler = "lorem ipsum dolor sit amet\n".repeat(200_000); // 5.4 MB
    graph.addMessage("big@example.com", "Inbox", mime({ from: "x@example.com", to: "big@example.com", subject: "big", text: `${filler}write to alice@example.com\n`, messageId: "<big-1@mail.example.com>" }));
    for (let i = 0; i < 3; i++) graph.addMessage("big@example.com", "Inbox", mime({ from: "y@example.com", to: "big@example.com", subject: `small ${i}`, text: "hello" }));
    const r = await run({ users: ["big@example.com"] });
    expect(r.findings.map((f) => `${f.location.messageId} ${f.location.part} ${f.location.line}`)).toEqual(["<big-1@mail.example.com> text 200001"]);
    expect(r.coverage.summary).toMatchObject({ total: 4, scanned: 4, failed: 0 });
  });

  it("signs in with a certificate (ClientCertificateCredential) from certificatePath", async () => {
    const r = await run({ clientId: "mail-cert-app", clientSecret: undefined, certificatePath: "app.pem" });
    expect(r.coverage.summary).toMatchObject({ scanned: 7, failed: 0 });
    expect(r.findings).toHaveLength(3);
  });

  it("a folder that fails is one failed entry naming it; throttling is retried; the rest is read", async () => {
    graph.fail({ match: "/childFolders", status: 403, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again.", times: 1 });
    graph.fail({ match: "/$value", status: 429, retryAfter: 1, times: 2 });
    const r = await run();
    const failed = r.coverage.items.filter((e) => e.status === "failed");
    expect(failed).toEqual([
      expect.objectContaining({ path: "support@example.com/Inbox", folder: "Inbox", error: "could not list the folders inside Inbox: Graph 403 ErrorAccessDenied: Access is denied. Check credentials and try again." }),
    ]);
    expect(r.findings.map((f) => f.location.messageId).sort()).toEqual(["<old-1@mail.example.com>", "<refund-1@mail.example.com>"]);
    expect(graph.requests.filter((q) => q.status === 429)).toHaveLength(2);
  });

  it("scan --fast uses $search and says what it cannot see", async () => {
    const r = await run({}, true);
    expect(r.findings.map((f) => `${f.location.folder} ${f.location.messageId}`).sort()).toEqual([
      "Deleted Items <old-1@mail.example.com>",
      "Inbox <refund-1@mail.example.com>",
      "Inbox/Customers/VIP <vip-1@mail.example.com>",
    ]);
    expect(graph.requests.filter((q) => q.url.endsWith("/$value"))).toHaveLength(3);
    expect(r.coverage.items.find((e) => e.path === "")?.method).toMatch(/^candidates from Microsoft Search \(\$search on messages\).*: the mailbox search index/);
  });

  it("a sweep reads each message once (the table attached to one is classified); the next sweep downloads none", async () => {
    const cacheFile = join(tmp, "sweep-cache.json");
    const config = configFor();
    const first = await collect(sweep({ config, cacheFile }));
    expect(first.coverage.summary).toMatchObject({ total: 7, scanned: 7, failed: 0 });
    expect(first.findings.map((f) => `${f.location.folder} ${f.location.member}: ${f.piiType} in ${f.location.column}`).sort()).toEqual(["Inbox/Customers/VIP vip.csv: email in email", "Inbox/Customers/VIP vip.csv: name in full_name"]);
    expect(graph.requests.filter((q) => q.url.endsWith("/$value"))).toHaveLength(6);
    graph.requests.length = 0;
    const second = await collect(sweep({ config, cacheFile }));
    expect(graph.requests.filter((q) => q.url.endsWith("/$value"))).toHaveLength(0);
    expect(second.findings.map((f) => f.location.messageId)).toEqual(["<vip-1@mail.example.com>", "<vip-1@mail.example.com>"]);
    expect(second.coverage.summary).toEqual(first.coverage.summary);
    // Each folder's messages come from its delta link: no message listing again.
    expect(graph.requests.filter((q) => /\/messages\?/.test(q.url))).toEqual([]);
    expect(graph.requests.filter((q) => q.url.includes("/messages/delta")).length).toBeGreaterThanOrEqual(9);

    // A message arrives, one leaves, and one folder's delta link has expired: only the new one is downloaded.
    const ticket1 = first.coverage.items.find((e) => e.folder === "Inbox" && e.status === "scanned" && e.member === undefined)!;
    graph.removeMessage("support@example.com", ticket1.graphId!);
    graph.addMessage("support@example.com", "Inbox/Customers", mime({ from: "z@example.com", to: "support@example.com", subject: "new", text: "hello" }));
    graph.fail({ match: /Deleted Items|\/messages\/delta\?.*deltatoken/, status: 410, code: "SyncStateNotFound", message: "The sync state is no longer valid.", times: 1 });
    graph.requests.length = 0;
    const third = await collect(sweep({ config, cacheFile }));
    expect(graph.requests.filter((q) => q.url.endsWith("/$value"))).toHaveLength(1);
    expect(graph.requests.filter((q) => q.status === 410)).toHaveLength(1);
    expect(third.coverage.summary).toMatchObject({ total: 7, failed: 0 });
    expect(third.coverage.items.some((e) => e.graphId === ticket1.graphId)).toBe(false);
    expect(third.coverage.items.filter((e) => e.folder === "Inbox/Customers")).toHaveLength(1);
  });

  sourceContract(
    () => ({
      create: () => configFor().sources[0]!,
      minItems: 6,
    }),
  );
});
