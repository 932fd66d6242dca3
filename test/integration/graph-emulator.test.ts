import { ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { Client, PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGraphEmulator, type GraphEmulator } from "../emulators/graph.js";
import { mime } from "../harness/mime.js";
import { clientCertificate, testTls } from "../harness/tls.js";

// The emulator, driven by the real @azure/identity and @microsoft/microsoft-graph-client: what it serves is what
// the scanners will see, so each Graph behaviour they rely on is checked here with the real clients.

const APP = { clientId: "5f0c1d7e-1111-4222-8333-944455556666", clientSecret: "emulator-secret-value-1" };
let graph: GraphEmulator;
let cert: Awaited<ReturnType<typeof clientCertificate>>;

function client(credential: TokenCredential): Client {
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [`${graph.url}/.default`] }),
    baseUrl: `${graph.url}/`,
    defaultVersion: "v1.0",
    customHosts: new Set(["127.0.0.1"]),
  });
}
const secretCredential = (secret = APP.clientSecret) =>
  new ClientSecretCredential(graph.tenantId, APP.clientId, secret, { authorityHost: graph.url, disableInstanceDiscovery: true });

/** Every value of a collection, following @odata.nextLink with the client's PageIterator. */
async function all<T>(c: Client, path: string): Promise<T[]> {
  const out: T[] = [];
  const first = (await c.api(path).get()) as PageCollection;
  await new PageIterator(c, first, (v) => {
    out.push(v as T);
    return true;
  }).iterate();
  return out;
}

/** A delta round: every page up to the @odata.deltaLink. */
async function pages(c: Client, path: string): Promise<{ value: any[]; pages: number; "@odata.deltaLink": string }> {
  let page = await c.api(path).get();
  const value = [...page.value];
  let count = 1;
  while (page["@odata.nextLink"]) {
    page = await c.api(page["@odata.nextLink"]).get();
    value.push(...page.value);
    count++;
  }
  return { value, pages: count, "@odata.deltaLink": page["@odata.deltaLink"] };
}

beforeAll(async () => {
  cert = await clientCertificate();
  graph = await startGraphEmulator({
    tls: testTls(),
    maxPageSize: 2,
    apps: [
      { ...APP },
      { clientId: "cert-app-0001", certificate: cert.cert },
      { clientId: "files-only-app", clientSecret: "files-only-secret", roles: ["Files.Read.All"] },
    ],
  });
  graph.addUser({ userPrincipalName: "finance@example.com" });
  graph.addUser({ userPrincipalName: "support@example.com" });
  graph.addUser({ userPrincipalName: "kiosk@example.com", mailbox: false, drive: false });
  graph.addSite({ name: "Ops", displayName: "Operations", libraries: ["Documents", "Exports"] });
  graph.addSite({ name: "Finance" });
  for (let i = 1; i <= 5; i++) graph.putFile("finance@example.com", `Exports/2026/file-${i}.csv`, `id,email\n${i},user${i}@example.com\n`);
  graph.putFile("finance@example.com", "notes.txt", "call alice@example.com back");
  graph.putFile("Ops/Exports", "Q3/customers.csv", "email\nalice@example.com\n");
});
afterAll(async () => {
  await graph?.close();
});
beforeEach(() => {
  graph.requests.length = 0;
});

describe("Graph emulator: sign-in through @azure/identity", () => {
  it("issues an app-only token to a client secret, at the authority host, for <endpoint>/.default", async () => {
    const token = await secretCredential().getToken(`${graph.url}/.default`);
    expect(token?.token).toMatch(/^[\w-]{20,}$/);
    const login = graph.requests.filter((r) => r.origin === "login");
    expect(login.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual([
      `GET /${graph.tenantId}/v2.0/.well-known/openid-configuration`,
      `POST /${graph.tenantId}/oauth2/v2.0/token`,
    ]);
    expect(graph.tokenScopes.at(-1)).toBe(`${graph.url}/.default`);
  });

  it("refuses a wrong secret with AADSTS7000215 and never echoes the secret", async () => {
    const e = await secretCredential("not-the-secret").getToken(`${graph.url}/.default`).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect(String((e as Error).message)).toContain("AADSTS7000215");
    expect(String((e as Error).message)).not.toContain("not-the-secret");
  });

  it("accepts a certificate-signed client assertion (ClientCertificateCredential) and refuses another key", async () => {
    const ok = new ClientCertificateCredential(graph.tenantId, "cert-app-0001", { certificate: cert.pem }, { authorityHost: graph.url, disableInstanceDiscovery: true });
    expect((await ok.getToken(`${graph.url}/.default`))?.token).toBeTruthy();
    const other = await clientCertificate("someone-else");
    const bad = new ClientCertificateCredential(graph.tenantId, "cert-app-0001", { certificate: other.pem }, { authorityHost: graph.url, disableInstanceDiscovery: true });
    await expect(bad.getToken(`${graph.url}/.default`)).rejects.toThrow(/AADSTS700027/);
  });
});

describe("Graph emulator: drives and sites through @microsoft/microsoft-graph-client", () => {
  it("pages users with @odata.nextLink", async () => {
    const users = await all<{ userPrincipalName: string }>(client(secretCredential()), "/users?$select=id,userPrincipalName");
    expect(users.map((u) => u.userPrincipalName)).toEqual(["finance@example.com", "support@example.com", "kiosk@example.com"]);
    expect(graph.requests.filter((r) => r.url.startsWith("/v1.0/users"))).toHaveLength(2);
  });

  it("finds sites by path and by search, and lists their document libraries", async () => {
    const c = client(secretCredential());
    const ops = await c.api("/sites/example.sharepoint.com:/sites/Ops").get();
    expect(ops).toMatchObject({ name: "Ops", displayName: "Operations", webUrl: "https://example.sharepoint.com/sites/Ops" });
    const found = await c.api("/sites").query({ search: "Finance" }).get();
    expect(found.value.map((s: { name: string }) => s.name)).toEqual(["Finance"]);
    const drives = await all<{ name: string; driveType: string; webUrl: string }>(c, `/sites/${ops.id}/drives`);
    expect(drives.map((d) => [d.name, d.driveType, d.webUrl])).toEqual([
      ["Documents", "documentLibrary", "https://example.sharepoint.com/sites/Ops/Shared%20Documents"],
      ["Exports", "documentLibrary", "https://example.sharepoint.com/sites/Ops/Exports"],
    ]);
    await expect(c.api("/sites/example.sharepoint.com:/sites/Nope").get()).rejects.toMatchObject({ statusCode: 404, code: "itemNotFound" });
  });

  it("pages children, addresses items by path, and redirects /content to a second origin that gets no bearer token", async () => {
    const c = client(secretCredential());
    const drive = await c.api("/users/finance@example.com/drive").get();
    expect(drive).toMatchObject({ name: "OneDrive", driveType: "business" });
    const folder = await c.api(`/drives/${drive.id}/root:/Exports/2026`).get();
    const kids = await all<{ id: string; name: string; parentReference: { path: string }; cTag: string; webUrl: string }>(c, `/drives/${drive.id}/items/${folder.id}/children`);
    expect(kids.map((k) => k.name)).toEqual(["file-1.csv", "file-2.csv", "file-3.csv", "file-4.csv", "file-5.csv"]);
    expect(kids[0]!.parentReference.path).toBe(`/drives/${drive.id}/root:/Exports/2026`);
    expect(kids[0]!.webUrl).toBe("https://example-my.sharepoint.com/personal/finance_example_com/Documents/Exports/2026/file-1.csv");
    expect(graph.requests.filter((r) => r.url.includes("/children"))).toHaveLength(3);

    graph.requests.length = 0;
    const body = (await c.api(`/drives/${drive.id}/items/${kids[2]!.id}/content`).getStream()) as ReadableStream<Uint8Array>;
    expect(await new Response(body).text()).toBe("id,email\n3,user3@example.com\n");
    const [content, download] = graph.requests;
    expect(content).toMatchObject({ origin: "graph", status: 302, authorization: true });
    expect(download).toMatchObject({ origin: "download", status: 200, authorization: false });
    expect(graph.downloadCount()).toBe(1);
  });

  it("refuses a download that carries an Authorization header", async () => {
    const drive = graph.drive("finance@example.com");
    const c = client(secretCredential());
    const item = await c.api(`/drives/${drive.id}/root:/notes.txt`).get();
    const res = await fetch(item["@microsoft.graph.downloadUrl"], { headers: { Authorization: "Bearer x" } });
    expect(res.status).toBe(401);
    expect(await (await fetch(item["@microsoft.graph.downloadUrl"], { headers: { Range: "bytes=0-3" } })).text()).toBe("call");
  });

  it("gives a delta listing, then only what changed (with deletions) through the deltaLink", async () => {
    const c = client(secretCredential());
    const drive = graph.drive("Ops/Exports");
    const first = await pages(c, `/drives/${drive.id}/root/delta`);
    expect(first.pages).toBe(2);
    expect(first.value.map((i: { name: string }) => i.name)).toEqual(["root", "Q3", "customers.csv"]);
    const deltaLink = first["@odata.deltaLink"];
    expect(deltaLink).toMatch(/\/root\/delta\?token=/);
    graph.putFile("Ops/Exports", "Q3/customers.csv", "email\nbob@example.com\n");
    graph.putFile("Ops/Exports", "Q4/new.csv", "email\n");
    graph.removeItem("Ops/Exports", "Q3");
    const changes = await pages(c, deltaLink);
    expect(changes.value.map((i: { name: string; deleted?: object }) => `${i.name}${i.deleted ? " (deleted)" : ""}`)).toEqual([
      "Q4",
      "new.csv",
      "Q3 (deleted)",
      "customers.csv (deleted)",
    ]);
    const again = await c.api(changes["@odata.deltaLink"]).get();
    expect(again.value).toEqual([]);
  });

  it("searches a drive with search(q=) and lists a site's recycle bin", async () => {
    const c = client(secretCredential());
    const drive = graph.drive("finance@example.com");
    const hits = await c.api(`/drives/${drive.id}/root/search(q='alice@example.com')`).get();
    expect(hits.value.map((i: { name: string }) => i.name)).toEqual(["notes.txt"]);
    graph.putFile("Finance", "old/dump.csv", "email\nalice@example.com\n");
    graph.recycle("Finance", "old/dump.csv", new Date("2026-11-20T08:00:00Z"));
    const site = await c.api("/sites/example.sharepoint.com:/sites/Finance").get();
    const bin = await c.api(`/sites/${site.id}/recycleBin/items`).get();
    expect(bin.value).toEqual([expect.objectContaining({ name: "dump.csv", deletedFromLocation: "sites/Finance/Shared Documents/old", deletedDateTime: "2026-11-20T08:00:00.000Z", size: 24 })]);
  });
});

describe("Graph emulator: mail", () => {
  beforeAll(() => {
    for (let i = 1; i <= 3; i++) graph.addMessage("support@example.com", "Inbox", mime({ from: `c${i}@example.com`, to: "support@example.com", subject: `Ticket ${i}`, text: `ticket ${i}` }));
    graph.addMessage(
      "support@example.com",
      "Inbox/Customers/VIP",
      mime({ from: "alice@example.com", to: "support@example.com", subject: "Export", text: "see attachment", messageId: "<vip-1@mail.example.com>", attachments: [{ filename: "x.csv", contentType: "text/csv", content: "email\ncarol@example.com\n" }] }),
    );
  });

  it("lists folders and child folders (paged), messages with $select (paged), and MIME through $value", async () => {
    const c = client(secretCredential());
    const folders = await all<{ id: string; displayName: string; childFolderCount: number }>(c, "/users/support@example.com/mailFolders");
    expect(folders.map((f) => f.displayName)).toEqual(["Inbox", "Drafts", "Sent Items", "Deleted Items", "Junk Email", "Archive", "Outbox"]);
    const inbox = folders[0]!;
    expect(inbox.childFolderCount).toBe(1);
    const [customers] = await all<{ id: string; displayName: string }>(c, `/users/support@example.com/mailFolders/${inbox.id}/childFolders`);
    expect(customers!.displayName).toBe("Customers");
    const [vip] = await all<{ id: string; displayName: string }>(c, `/users/support@example.com/mailFolders/${customers!.id}/childFolders`);
    const inboxMessages = await all<Record<string, unknown>>(c, `/users/support@example.com/mailFolders/inbox/messages?$select=id,internetMessageId,receivedDateTime`);
    expect(inboxMessages).toHaveLength(3);
    expect(Object.keys(inboxMessages[0]!).sort()).toEqual(["@odata.etag", "id", "internetMessageId", "receivedDateTime"]);
    const [message] = await all<{ id: string; internetMessageId: string }>(c, `/users/support@example.com/mailFolders/${vip!.id}/messages`);
    expect(message!.internetMessageId).toBe("<vip-1@mail.example.com>");
    const raw = await new Response((await c.api(`/users/support@example.com/messages/${message!.id}/$value`).getStream()) as ReadableStream).text();
    expect(raw).toContain("Message-ID: <vip-1@mail.example.com>");
    expect(raw).toContain(Buffer.from("email\ncarol@example.com\n").toString("base64"));
  });

  it("searches messages with $search (attachments included) and gives per-folder message deltas", async () => {
    const c = client(secretCredential());
    const hits = await c.api("/users/support@example.com/messages").search('"carol@example.com"').get();
    expect(hits.value.map((m: { subject: string }) => m.subject)).toEqual(["Export"]);
    const round = await pages(c, "/users/support@example.com/mailFolders/inbox/messages/delta?$select=id,subject");
    const seen: { id: string; subject: string }[] = round.value;
    expect(round.pages).toBe(2);
    expect(seen.map((m) => m.subject).sort()).toEqual(["Ticket 1", "Ticket 2", "Ticket 3"]);
    graph.removeMessage("support@example.com", seen[0]!.id);
    graph.addMessage("support@example.com", "Inbox", mime({ from: "d@example.com", to: "support@example.com", subject: "Ticket 4", text: "4" }));
    const changes = await pages(c, round["@odata.deltaLink"]);
    expect(Object.keys(changes.value[1]).sort()).toEqual(["@odata.etag", "id", "subject"]);
    expect(changes.value).toEqual([{ "@odata.type": "#microsoft.graph.message", id: seen[0]!.id, "@removed": { reason: "deleted" } }, expect.objectContaining({ subject: "Ticket 4" })]);
  });

  it("answers MailboxNotEnabledForRESTAPI for a user without a mailbox and ResourceNotFound for one without a OneDrive", async () => {
    const c = client(secretCredential());
    await expect(c.api("/users/kiosk@example.com/mailFolders").get()).rejects.toMatchObject({ statusCode: 404, code: "MailboxNotEnabledForRESTAPI" });
    await expect(c.api("/users/kiosk@example.com/drive").get()).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });
});

describe("Graph emulator: errors, throttling, latency and the request log", () => {
  it("answers 401 without a token and 403 to an app lacking the permission", async () => {
    const res = await fetch(`${graph.url}/v1.0/users`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "InvalidAuthenticationToken", message: "Access token is empty." } });
    const filesOnly = client(new ClientSecretCredential(graph.tenantId, "files-only-app", "files-only-secret", { authorityHost: graph.url, disableInstanceDiscovery: true }));
    await expect(filesOnly.api("/users/support@example.com/mailFolders").get()).rejects.toMatchObject({ statusCode: 403, code: "ErrorAccessDenied" });
    await expect(filesOnly.api("/users").get()).rejects.toMatchObject({ statusCode: 403, code: "Authorization_RequestDenied" });
  });

  it("injects 429 with Retry-After (retried by the client's RetryHandler) and 500 on demand", async () => {
    const c = client(secretCredential());
    graph.fail({ match: "/v1.0/users/finance@example.com/drive", status: 429, retryAfter: 1 });
    const started = Date.now();
    const drive = await c.api("/users/finance@example.com/drive").get();
    expect(drive.name).toBe("OneDrive");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(graph.requests.filter((r) => r.url === "/v1.0/users/finance@example.com/drive").map((r) => r.status)).toEqual([429, 200]);
    graph.fail({ match: /\/sites\?search=/, status: 500, times: 1 });
    await expect(c.api("/sites").query({ search: "Ops" }).get()).rejects.toMatchObject({ statusCode: 500, code: "generalException" });
    expect((await c.api("/sites").query({ search: "Ops" }).get()).value).toHaveLength(1);
  });

  it("adds latency to every call and logs nothing but GET besides the token POST", async () => {
    const c = client(secretCredential());
    await c.api("/users").get();
    graph.latencyMs = 150;
    try {
      const started = Date.now();
      await c.api("/users").get();
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      graph.latencyMs = 0;
    }
    await expect(c.api("/users/finance@example.com").patch({ displayName: "x" })).rejects.toMatchObject({ statusCode: 405 });
    expect(graph.writes().map((r) => `${r.method} ${r.url}`)).toEqual(["PATCH /v1.0/users/finance@example.com"]);
    expect(graph.requests.filter((r) => r.origin === "login").every((r) => r.method === "GET" || r.url.split("?")[0]!.endsWith("/oauth2/v2.0/token"))).toBe(true);
  });
});
