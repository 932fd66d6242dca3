import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GaxiosError } from "gaxios";
import { DOC, EXPORT_LIMIT, GoogleEmulator, SCOPES, SHEET, XLSX } from "../emulators/google.js";

// The emulator is only worth what the real client says of it: every call here goes
// through googleapis 178 (its URL building, paging, partial responses, retries).

type Google = typeof import("googleapis").google;
let google: Google;
const emu = new GoogleEmulator();
const ALICE = "alice@example.com";
const BOB = "bob@example.com";
const NOMAIL = "nomail@example.com";
let finance: string;
let sheetId: string;

function clients(token: string, retry: object = { retry: 0 }) {
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: token });
  const opts = { auth, rootUrl: emu.url, retryConfig: retry };
  return {
    drive: google.drive({ version: "v3", ...opts }),
    gmail: google.gmail({ version: "v1", ...opts }),
    admin: google.admin({ version: "directory_v1", ...opts }),
  };
}

async function failure(p: Promise<unknown>): Promise<GaxiosError> {
  try {
    await p;
  } catch (e) {
    return e as GaxiosError;
  }
  throw new Error("expected the call to fail");
}

const reasonOf = (e: GaxiosError) => (e.response?.data as { error: { errors: { reason: string }[] } }).error.errors[0]!.reason;

function rfc822(subject: string, body: string, to = "support@example.com"): string {
  return [`From: Customer <carol@example.com>`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, "")}@example.com>`, `Date: Mon, 5 Jan 2026 10:00:00 +0000`, `Content-Type: text/plain; charset=utf-8`, ``, body, ``].join("\r\n");
}

beforeAll(async () => {
  ({ google } = await import("googleapis"));
  await emu.start();
  emu.addUser(ALICE, { admin: true });
  emu.addUser(BOB);
  emu.addUser(NOMAIL, { gmail: false });
  for (let i = 0; i < 7; i++) emu.addFile({ user: ALICE }, `Finance/Exports/subs-${i}.csv`, `email\ncust${i}@example.com\n`);
  emu.addFile({ user: ALICE }, "Finance/old.csv", "email\nold@example.com\n", { trashed: true });
  sheetId = emu.addNative({ user: ALICE }, "Customers 2025", SHEET, { [XLSX]: Buffer.from("PK-fake-xlsx"), "text/csv": "a,b\n" }).id;
  emu.addNative({ user: ALICE }, "Huge doc", DOC, { "text/plain": Buffer.alloc(EXPORT_LIMIT + 1, 0x61) });
  finance = emu.addSharedDrive("Finance Team", [ALICE]).id;
  emu.addFile({ drive: finance }, "Weekly/w1.csv", "email\nweekly@example.com\n");
  emu.addFile({ user: BOB }, "bob.txt", "bob's file");
});

afterAll(() => emu.stop());

describe("Drive v3 through googleapis", () => {
  it("lists a folder page by page with the requested fields, trashed files included unless filtered", async () => {
    const { drive } = clients(`token-${ALICE}`);
    const exportsFolder = emu.folder({ user: ALICE }, "Finance/Exports");
    const names: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const res = await drive.files.list({ q: `'${exportsFolder}' in parents`, pageSize: 3, pageToken, fields: "nextPageToken, files(id, name, size, md5Checksum, parents)" });
      pages++;
      for (const f of res.data.files ?? []) {
        names.push(f.name!);
        expect(Object.keys(f).sort()).toEqual(["id", "md5Checksum", "name", "parents", "size"]);
        expect(f.parents).toEqual([exportsFolder]);
      }
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `subs-${i}.csv`));

    const financeFolder = emu.folder({ user: ALICE }, "Finance");
    const all = await drive.files.list({ q: `'${financeFolder}' in parents`, fields: "files(name,trashed)" });
    expect(all.data.files).toContainEqual({ name: "old.csv", trashed: true });
    const live = await drive.files.list({ q: `'${financeFolder}' in parents and trashed = false and mimeType != 'application/vnd.google-apps.folder'` });
    expect(live.data.files).toEqual([]);
    // Without `fields`, Drive returns kind, id, name and mimeType per file.
    expect(Object.keys(all.data.files![0]!).sort()).toEqual(["name", "trashed"]);
    const dflt = await drive.files.list({ q: `'${financeFolder}' in parents` });
    expect(Object.keys(dflt.data.files![0]!).sort()).toEqual(["id", "kind", "mimeType", "name"]);
  });

  it("hides shared-drive items unless asked with the flags real Drive requires", async () => {
    const { drive } = clients(`token-${ALICE}`);
    const weekly = emu.folder({ drive: finance }, "Weekly");
    const silent = await drive.files.list({ q: `'${weekly}' in parents` });
    expect(silent.data.files).toEqual([]);

    const noInclude = await failure(drive.files.list({ corpora: "drive", driveId: finance, supportsAllDrives: true }));
    expect(noInclude.status).toBe(403);
    expect(noInclude.message).toMatch(/includeItemsFromAllDrives parameter must be set to true/);
    const noDriveId = await failure(drive.files.list({ corpora: "drive", includeItemsFromAllDrives: true, supportsAllDrives: true }));
    expect(reasonOf(noDriveId)).toBe("teamDriveIdRequiresTeamDriveCorpora");

    const res = await drive.files.list({ corpora: "drive", driveId: finance, includeItemsFromAllDrives: true, supportsAllDrives: true, fields: "files(name,driveId,webViewLink)" });
    expect(res.data.files).toContainEqual(expect.objectContaining({ name: "w1.csv", driveId: finance, webViewLink: expect.stringMatching(/^https:\/\/drive\.google\.com\/file\/d\//) }));

    const file = res.data.files!.find((f) => f.name === "w1.csv")!;
    const id = (await drive.files.list({ corpora: "drive", driveId: finance, includeItemsFromAllDrives: true, supportsAllDrives: true, q: "name = 'w1.csv'" })).data.files![0]!.id!;
    expect(file).toBeTruthy();
    const notFound = await failure(drive.files.get({ fileId: id }));
    expect(notFound.status).toBe(404);
    expect(notFound.message).toBe(`File not found: ${id}.`);
    const meta = await drive.files.get({ fileId: id, supportsAllDrives: true, fields: "id,name,size,driveId" });
    expect(meta.data).toEqual({ id, name: "w1.csv", size: "25", driveId: finance });

    const drives = await drive.drives.list({});
    expect(drives.data.drives).toEqual([{ kind: "drive#drive", id: finance, name: "Finance Team" }]);
    const bobDrives = await clients(`token-${BOB}`).drive.drives.list({});
    expect(bobDrives.data.drives).toEqual([]);
  });

  it("downloads binary files, exports native ones, and refuses what Drive refuses", async () => {
    const { drive } = clients(`token-${ALICE}`);
    const csv = [...emu.files.values()].find((f) => f.name === "subs-3.csv")!;
    const media = await drive.files.get({ fileId: csv.id, alt: "media" }, { responseType: "arraybuffer" });
    expect(Buffer.from(media.data as ArrayBuffer).toString()).toBe("email\ncust3@example.com\n");

    const notBinary = await failure(drive.files.get({ fileId: sheetId, alt: "media" }));
    expect(notBinary.status).toBe(403);
    expect(notBinary.message).toMatch(/Use Export with Docs Editors files/);
    const xlsx = await drive.files.export({ fileId: sheetId, mimeType: XLSX }, { responseType: "arraybuffer" });
    expect(Buffer.from(xlsx.data as ArrayBuffer).toString()).toBe("PK-fake-xlsx");
    const huge = [...emu.files.values()].find((f) => f.name === "Huge doc")!;
    const tooBig = await failure(drive.files.export({ fileId: huge.id, mimeType: "text/plain" }));
    expect(tooBig.status).toBe(403);
    expect(reasonOf(tooBig)).toBe("exportSizeLimitExceeded");

    const hits = await drive.files.list({ q: "fullText contains 'cust5@example.com' and trashed = false", fields: "files(name)" });
    expect(hits.data.files).toEqual([{ name: "subs-5.csv" }]);
    const bad = await failure(drive.files.list({ q: "name ~ 'x'" }));
    expect(bad.status).toBe(400);

    const about = await drive.about.get({ fields: "user(emailAddress)" });
    expect(about.data).toEqual({ user: { emailAddress: ALICE } });
    expect((await failure(drive.about.get({}))).message).toMatch(/'fields' parameter is required/);
  });

  it("reports changes from a start page token, removals included", async () => {
    const { drive } = clients(`token-${ALICE}`);
    const start = (await drive.changes.getStartPageToken({})).data.startPageToken!;
    const f = emu.addFile({ user: ALICE }, "Finance/new.csv", "email\nnew@example.com\n");
    emu.updateFile(f.id, { content: "email\nchanged@example.com\n" });
    const gone = [...emu.files.values()].find((x) => x.name === "subs-0.csv")!;
    emu.removeFile(gone.id);
    emu.addFile({ user: BOB }, "not-alices.csv", "x");
    const res = await drive.changes.list({ pageToken: start, fields: "newStartPageToken,nextPageToken,changes(fileId,removed,file(name,md5Checksum))" });
    expect(res.data.changes).toEqual([
      { fileId: f.id, removed: false, file: { name: "new.csv", md5Checksum: expect.stringMatching(/^[0-9a-f]{32}$/) } },
      { fileId: gone.id, removed: true },
    ]);
    expect(Number(res.data.newStartPageToken)).toBeGreaterThan(Number(start));
    const again = await drive.changes.list({ pageToken: res.data.newStartPageToken! });
    expect(again.data.changes).toEqual([]);
  });
});

describe("Gmail v1 through googleapis", () => {
  let spamId: string;
  beforeAll(() => {
    for (let i = 0; i < 5; i++) emu.addMessage(ALICE, rfc822(`Invoice ${i}`, `Hello, invoice ${i} for dave${i}@example.com`));
    spamId = emu.addMessage(ALICE, rfc822("You won", "claim now, erin@example.com"), ["SPAM"]).id;
    emu.addMessage(ALICE, rfc822("Old thread", "deleted stuff frank@example.com"), ["TRASH"]);
  });

  it("pages through a mailbox, leaving out SPAM and TRASH unless asked", async () => {
    const { gmail } = clients(`token-${ALICE}`);
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const res = await gmail.users.messages.list({ userId: "me", maxResults: 2, pageToken });
      ids.push(...(res.data.messages ?? []).map((m) => m.id!));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(ids).toHaveLength(5);
    const all = await gmail.users.messages.list({ userId: ALICE, includeSpamTrash: true });
    expect(all.data.messages).toHaveLength(7);
    const spam = await gmail.users.messages.list({ userId: "me", labelIds: ["SPAM"] });
    expect(spam.data.messages).toEqual([{ id: spamId, threadId: spamId }]);
    const q = await gmail.users.messages.list({ userId: "me", q: "dave3@example.com OR erin@example.com in:anywhere" });
    expect(q.data.messages).toHaveLength(2);
  });

  it("returns raw RFC 822 as base64url, metadata headers, profile, history and labels", async () => {
    const { gmail } = clients(`token-${ALICE}`);
    const raw = await gmail.users.messages.get({ userId: "me", id: spamId, format: "raw" });
    expect(Buffer.from(raw.data.raw!, "base64url").toString()).toBe(rfc822("You won", "claim now, erin@example.com"));
    expect(raw.data.labelIds).toEqual(["SPAM"]);
    const meta = await gmail.users.messages.get({ userId: "me", id: spamId, format: "metadata", metadataHeaders: ["Subject", "Message-ID"] });
    expect(meta.data.payload!.headers).toEqual([
      { name: "Subject", value: "You won" },
      { name: "Message-ID", value: "<Youwon@example.com>" },
    ]);
    const profile = await gmail.users.getProfile({ userId: "me" });
    const historyId = profile.data.historyId!;
    const added = emu.addMessage(ALICE, rfc822("Later", "later"));
    emu.relabel(ALICE, spamId, ["TRASH"], ["SPAM"]);
    const history = await gmail.users.history.list({ userId: "me", startHistoryId: historyId });
    expect(history.data.history!.flatMap((h) => h.messagesAdded ?? []).map((a) => a.message!.id)).toEqual([added.id]);
    expect(history.data.history!.flatMap((h) => h.labelsAdded ?? [])).toEqual([{ message: expect.objectContaining({ id: spamId }), labelIds: ["TRASH"] }]);
    expect(history.data.historyId).not.toBe(historyId);
    emu.expireHistory(ALICE);
    expect((await failure(gmail.users.history.list({ userId: "me", startHistoryId: historyId }))).status).toBe(404);
    const labels = await gmail.users.labels.list({ userId: "me" });
    expect(labels.data.labels!.map((l) => l.id)).toContain("SPAM");
    const missing = await failure(gmail.users.messages.get({ userId: "me", id: "ffff", format: "raw" }));
    expect(missing.status).toBe(404);
  });

  it("answers a user without Gmail and another user's mailbox as Gmail does", async () => {
    const noMail = await failure(clients(`token-${NOMAIL}`).gmail.users.messages.list({ userId: "me" }));
    expect(noMail.status).toBe(400);
    expect(noMail.message).toBe("Mail service not enabled");
    expect(reasonOf(noMail)).toBe("failedPrecondition");
    const other = await failure(clients(`token-${BOB}`).gmail.users.messages.list({ userId: ALICE }));
    expect(other.status).toBe(403);
  });
});

describe("Directory v1 through googleapis", () => {
  it("lists the customer's users page by page, for admins only", async () => {
    const { admin } = clients(`token-${ALICE}`);
    const emails: string[] = [];
    let pageToken: string | undefined;
    do {
      const res = await admin.users.list({ customer: "my_customer", maxResults: 2, pageToken, orderBy: "email" });
      emails.push(...res.data.users!.map((u) => u.primaryEmail!));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(emails).toEqual([ALICE, BOB, NOMAIL]);
    expect((await failure(clients(`token-${BOB}`).admin.users.list({ customer: "my_customer" }))).status).toBe(403);
  });
});

describe("auth, faults and the request log", () => {
  it("answers 401 without a token and with a wrong one", async () => {
    const drive = google.drive({ version: "v3", rootUrl: emu.url, retryConfig: { retry: 0 } });
    const none = await failure(drive.files.list({}));
    expect(none.status).toBe(401);
    expect(reasonOf(none)).toBe("required");
    const wrong = await failure(clients("not-a-token").drive.files.list({}));
    expect(wrong.status).toBe(401);
    expect(reasonOf(wrong)).toBe("authError");
  });

  it("injects 429 with Retry-After and rate-limit 403s, which the client's own retry rides out when configured", async () => {
    emu.fail({ path: "/drive/v3/about", status: 429, times: 2, retryAfter: 0 });
    const before = emu.requests.length;
    const { drive } = clients(`token-${ALICE}`, { retry: 3, retryDelay: 1, retryDelayMultiplier: 1 });
    const res = await drive.about.get({ fields: "user(emailAddress)" });
    expect(res.data.user!.emailAddress).toBe(ALICE);
    expect(emu.requests.slice(before).map((r) => r.status)).toEqual([429, 429, 200]);

    emu.fail({ path: /^\/drive\/v3\/files$/, status: 403, times: 1 });
    const e = await failure(clients(`token-${ALICE}`).drive.files.list({}));
    expect(e.status).toBe(403);
    expect(reasonOf(e)).toBe("userRateLimitExceeded");
    emu.fail({ path: "/gmail/", status: 500, times: 1 });
    expect((await failure(clients(`token-${ALICE}`).gmail.users.getProfile({ userId: "me" }))).status).toBe(500);
    const res429 = emu.requests.find((r) => r.status === 429);
    expect(res429?.path).toBe("/drive/v3/about");
  });

  it("adds latency per call", async () => {
    emu.latencyMs = 60;
    const t = Date.now();
    await clients(`token-${ALICE}`).drive.about.get({ fields: "user" });
    emu.latencyMs = 0;
    expect(Date.now() - t).toBeGreaterThanOrEqual(55);
  });

  it("mints tokens for service-account JWT grants with a subject (domain-wide delegation)", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    emu.addServiceAccount("scanner@proj.iam.gserviceaccount.com", publicKey);
    const jwt = new google.auth.JWT({ email: "scanner@proj.iam.gserviceaccount.com", key: privateKey, scopes: [SCOPES.drive], subject: BOB });
    // The token URL is fixed in google-auth-library; point it at the emulator.
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (String(config.url).startsWith("https://oauth2.googleapis.com/token")) config.url = new URL(`${emu.url}token`);
        return config;
      },
    });
    const drive = google.drive({ version: "v3", auth: jwt, rootUrl: emu.url, retryConfig: { retry: 0 } });
    const res = await drive.files.list({ fields: "files(name)", q: "trashed = false and mimeType != 'application/vnd.google-apps.folder'" });
    expect(res.data.files).toEqual([{ name: "bob.txt" }, { name: "not-alices.csv" }]);
    // The token carries only the scope asked for.
    const gmail = google.gmail({ version: "v1", auth: jwt, rootUrl: emu.url, retryConfig: { retry: 0 } });
    expect((await failure(gmail.users.getProfile({ userId: "me" }))).status).toBe(403);
  });

  it("logs method, path and query of every call, all GET but the token grant", () => {
    expect(emu.requests.length).toBeGreaterThan(30);
    expect(new Set(emu.requests.filter((r) => r.path !== "/token").map((r) => r.method))).toEqual(new Set(["GET"]));
    expect(emu.requests.some((r) => r.path === "/drive/v3/files" && r.query.includeItemsFromAllDrives === "true")).toBe(true);
    expect(emu.downloads().length).toBeGreaterThanOrEqual(3);
  });
});
