import { createHash, createPublicKey, randomBytes, randomUUID, verify, constants as cryptoConstants } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A Microsoft Graph v1.0 protocol emulator for tests: HTTPS on 127.0.0.1, speaking the documented REST API that
// @microsoft/microsoft-graph-client 3 and @azure/identity 4 (MSAL Node) send. One origin serves both the login host
// (OpenID discovery, instance discovery, the client-credentials token endpoint) and Graph under /v1.0; a SECOND
// origin serves pre-authenticated downloads (the /content redirect target), which refuses a bearer token as
// SharePoint does. State lives in memory and tests change it between runs (add, change, delete, recycle).
//
// Modelled: users (paging), OneDrives, SharePoint sites (by path, by search) and their document libraries,
// children and delta paging, items by path, drive search(q=), the site recycle bin, mail folders and child folders
// (paging), messages (paging, $select, $search), MIME $value, per-folder message delta; the JSON error shape with
// 401 (no or bad token), 403 (missing application permission), 404 (MailboxNotEnabledForRESTAPI for a user without
// a mailbox, ResourceNotFound for a user without a OneDrive), and 429/5xx injected on demand per path; latency per
// call; a request log. Only node built-ins are imported so the benchmark can run a transpiled copy.

export const GRAPH_PERMISSIONS = ["Files.Read.All", "Sites.Read.All", "Mail.Read", "User.Read.All"];

export interface EmulatorApp {
  clientId: string;
  clientSecret?: string;
  /** PEM certificate whose key signs the client assertion (ClientCertificateCredential). */
  certificate?: string;
  /** Application permissions granted by an admin; the default is GRAPH_PERMISSIONS. */
  roles?: string[];
}

export interface GraphEmulatorOptions {
  tls: { cert: string; key: string };
  tenantId?: string;
  apps?: EmulatorApp[];
  /** Caps every page (users, children, delta, folders, messages) whatever $top asks: tests use it to force paging. */
  maxPageSize?: number;
  latencyMs?: number;
  /** SharePoint host name used in webUrls and site ids. */
  sharePointHost?: string;
}

export interface LoggedRequest {
  origin: "login" | "graph" | "download";
  method: string;
  /** Path and query as received. */
  url: string;
  status: number;
  /** Whether an Authorization header came with it. */
  authorization: boolean;
  /** When it arrived and when it was answered (ms since the epoch). */
  at: number;
  done?: number;
}

export interface Fault {
  /** A substring of, or a pattern on, the path and query (e.g. "/mailFolders", /\/content$/). */
  match: string | RegExp;
  status: number;
  code?: string;
  message?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** How many matching calls fail (default 1; Infinity for always). */
  times?: number;
  method?: string;
}

interface DriveItemRecord {
  id: string;
  name: string;
  parentId?: string;
  folder: boolean;
  content?: Buffer;
  mimeType?: string;
  created: Date;
  modified: Date;
  /** Bumped on any change (eTag). */
  version: number;
  /** Bumped on content changes only (cTag). */
  contentVersion: number;
  /** The drive's change sequence when last changed (delta). */
  seq: number;
  deleted?: boolean;
}

interface DriveRecord {
  id: string;
  name: string;
  driveType: "business" | "documentLibrary";
  webUrl: string;
  owner: Record<string, unknown>;
  siteId: string;
  rootId: string;
  items: Map<string, DriveItemRecord>;
  seq: number;
}

interface RecycledRecord {
  id: string;
  name: string;
  size: number;
  deletedFromLocation: string;
  deletedDateTime: string;
}

interface SiteRecord {
  id: string;
  name: string;
  displayName: string;
  /** Server-relative path, e.g. /sites/Ops. */
  path: string;
  webUrl: string;
  drives: DriveRecord[];
  recycleBin: RecycledRecord[];
  personal: boolean;
}

interface MailFolderRecord {
  id: string;
  displayName: string;
  parentId: string;
  wellKnown?: string;
}

interface MessageRecord {
  id: string;
  folderId: string;
  mime: Buffer;
  internetMessageId: string;
  subject: string;
  from: string;
  to: string[];
  received: Date;
  changeKey: string;
  seq: number;
  deleted?: boolean;
}

interface UserRecord {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mailbox?: { rootId: string; folders: Map<string, MailFolderRecord>; messages: Map<string, MessageRecord>; seq: number };
  drive?: DriveRecord;
  site?: SiteRecord;
}

export interface AddUserOptions {
  userPrincipalName: string;
  displayName?: string;
  /** false: no Exchange Online licence (mail calls answer MailboxNotEnabledForRESTAPI). */
  mailbox?: boolean;
  /** false: no OneDrive provisioned. */
  drive?: boolean;
}

export interface DriveItemInfo {
  id: string;
  driveId: string;
  name: string;
  webUrl: string;
  cTag: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const WELL_KNOWN_FOLDERS: [string, string][] = [
  ["inbox", "Inbox"],
  ["drafts", "Drafts"],
  ["sentitems", "Sent Items"],
  ["deleteditems", "Deleted Items"],
  ["junkemail", "Junk Email"],
  ["archive", "Archive"],
  ["outbox", "Outbox"],
];

const DEFAULT_PAGE = { users: 100, children: 200, delta: 200, folders: 10, messages: 10, search: 25, sites: 100, recycle: 200 };

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");
const newId = (prefix = "01") => prefix + randomBytes(16).toString("base64url").replace(/[-_]/g, "X").toUpperCase().slice(0, 30);

function mimeTypeOf(name: string): string {
  const ext = name.toLowerCase().split(".").pop() ?? "";
  const types: Record<string, string> = {
    csv: "text/csv",
    txt: "text/plain",
    json: "application/json",
    xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    zip: "application/zip",
    gz: "application/gzip",
    eml: "message/rfc822",
    pdf: "application/pdf",
  };
  return types[ext] ?? "application/octet-stream";
}

/** The top-level headers of a MIME message (unfolded, lower-case names). */
function mimeHeaders(mime: Buffer): Map<string, string> {
  const text = mime.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !headers.has(line.slice(0, i).trim().toLowerCase())) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return headers;
}

/** What $search and drive search look at: the raw MIME or file plus any base64 parts decoded. */
function searchableText(data: Buffer): string {
  const text = data.toString("utf8");
  const decoded = [...text.matchAll(/(?:^|\n)((?:[A-Za-z0-9+/=]{16,}\r?\n)+)/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64").toString("utf8"));
  return [text, ...decoded].join("\n").toLowerCase();
}

const addressOf = (header: string | undefined) => (header ? (/<([^>]+)>/.exec(header)?.[1] ?? header).trim() : "");

export class GraphEmulator {
  readonly tenantId: string;
  readonly apps: EmulatorApp[];
  readonly requests: LoggedRequest[] = [];
  latencyMs: number;
  maxPageSize?: number;
  /** The Graph origin (also the login host): https://127.0.0.1:PORT. Use it as `endpoint` and `authorityHost`. */
  url = "";
  /** The origin pre-authenticated download URLs point at. */
  downloadUrl = "";
  /** Scopes asked for in token requests, in order. */
  readonly tokenScopes: string[] = [];

  private readonly sharePointHost: string;
  private readonly users: UserRecord[] = [];
  private readonly sites: SiteRecord[] = [];
  private readonly drives = new Map<string, DriveRecord>();
  private readonly tokens = new Map<string, { clientId: string; roles: string[]; expires: number }>();
  private readonly downloads = new Map<string, { driveId: string; itemId: string; expires: number }>();
  private readonly faults: (Fault & { left: number })[] = [];
  private graphServer?: Server;
  private downloadServer?: Server;

  constructor(private readonly options: GraphEmulatorOptions) {
    this.tenantId = options.tenantId ?? "9b1c4f7e-0000-4000-8000-00000000e1e1";
    this.apps = options.apps ?? [];
    this.latencyMs = options.latencyMs ?? 0;
    this.maxPageSize = options.maxPageSize;
    this.sharePointHost = options.sharePointHost ?? "example.sharepoint.com";
  }

  async start(): Promise<this> {
    const listen = (server: Server) =>
      new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`)));
    this.graphServer = createServer({ cert: this.options.tls.cert, key: this.options.tls.key, keepAlive: true }, (req, res) => void this.serve("graph", req, res));
    this.downloadServer = createServer({ cert: this.options.tls.cert, key: this.options.tls.key, keepAlive: true }, (req, res) => void this.serve("download", req, res));
    this.url = await listen(this.graphServer);
    this.downloadUrl = await listen(this.downloadServer);
    return this;
  }

  async close(): Promise<void> {
    for (const server of [this.graphServer, this.downloadServer]) {
      if (!server) continue;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  // ---- test-facing state -----------------------------------------------------------------------------------------

  addUser(o: AddUserOptions): UserRecord {
    const id = randomUUID();
    const user: UserRecord = { id, userPrincipalName: o.userPrincipalName, displayName: o.displayName ?? o.userPrincipalName.split("@")[0]! };
    if (o.mailbox !== false) {
      const rootId = newId("AAMk");
      const folders = new Map<string, MailFolderRecord>();
      for (const [wellKnown, displayName] of WELL_KNOWN_FOLDERS) {
        const folderId = newId("AAMk");
        folders.set(folderId, { id: folderId, displayName, parentId: rootId, wellKnown });
      }
      user.mailbox = { rootId, folders, messages: new Map(), seq: 0 };
    }
    if (o.drive !== false) {
      const personal = o.userPrincipalName.replace(/[@.]/g, "_");
      const siteWeb = `https://${this.sharePointHost.replace(".sharepoint.com", "-my.sharepoint.com")}/personal/${personal}`;
      const site: SiteRecord = {
        id: `${this.sharePointHost.replace(".sharepoint.com", "-my.sharepoint.com")},${randomUUID()},${randomUUID()}`,
        name: personal,
        displayName: user.displayName,
        path: `/personal/${personal}`,
        webUrl: siteWeb,
        drives: [],
        recycleBin: [],
        personal: true,
      };
      const drive = this.newDrive("OneDrive", "business", `${siteWeb}/Documents`, { user: { id, displayName: user.displayName, email: o.userPrincipalName } }, site.id);
      site.drives.push(drive);
      user.drive = drive;
      user.site = site;
    }
    this.users.push(user);
    return user;
  }

  addSite(o: { name: string; displayName?: string; libraries?: string[] }): SiteRecord {
    const path = `/sites/${o.name}`;
    const webUrl = `https://${this.sharePointHost}${path}`;
    const site: SiteRecord = {
      id: `${this.sharePointHost},${randomUUID()},${randomUUID()}`,
      name: o.name,
      displayName: o.displayName ?? o.name,
      path,
      webUrl,
      drives: [],
      recycleBin: [],
      personal: false,
    };
    for (const lib of o.libraries ?? ["Documents"]) {
      const urlName = lib === "Documents" ? "Shared Documents" : lib;
      site.drives.push(this.newDrive(lib, "documentLibrary", `${webUrl}/${encodeURI(urlName)}`, { group: { displayName: site.displayName } }, site.id));
    }
    this.sites.push(site);
    return site;
  }

  /** A drive by id, by a user's principal name (their OneDrive), or "Site/Library". */
  drive(ref: string): DriveRecord {
    const byId = this.drives.get(ref);
    if (byId) return byId;
    const user = this.users.find((u) => u.userPrincipalName === ref);
    if (user?.drive) return user.drive;
    const [siteName, lib] = ref.split("/");
    const site = this.sites.find((s) => s.name === siteName);
    const drive = site?.drives.find((d) => d.name === (lib ?? "Documents"));
    if (!drive) throw new Error(`emulator: no drive ${ref}`);
    return drive;
  }

  /** Create or replace a file (folders on the way are created). */
  putFile(driveRef: string, path: string, content: string | Buffer, modified = new Date()): DriveItemInfo {
    const drive = this.drive(driveRef);
    const parts = path.split("/").filter(Boolean);
    const name = parts.pop()!;
    let parent = drive.items.get(drive.rootId)!;
    for (const part of parts) parent = this.child(drive, parent, part) ?? this.addItem(drive, parent.id, part, true, undefined, modified);
    const existing = this.child(drive, parent, name);
    const data = Buffer.from(content);
    if (existing) {
      existing.content = data;
      existing.modified = modified;
      existing.version++;
      existing.contentVersion++;
      existing.seq = ++drive.seq;
      return this.info(drive, existing);
    }
    return this.info(drive, this.addItem(drive, parent.id, name, false, data, modified));
  }

  /** Delete an item for good (a delta tombstone remains). */
  removeItem(driveRef: string, path: string): void {
    const drive = this.drive(driveRef);
    const item = this.itemByPath(drive, path);
    for (const victim of this.subtree(drive, item)) {
      victim.deleted = true;
      victim.seq = ++drive.seq;
    }
  }

  /** Move an item (a folder moves with everything in it) under another folder, created when missing. As in Graph,
   *  only the moved item itself shows in the next delta. */
  moveItem(driveRef: string, path: string, toFolder: string): void {
    const drive = this.drive(driveRef);
    const item = this.itemByPath(drive, path);
    let parent = drive.items.get(drive.rootId)!;
    for (const part of toFolder.split("/").filter(Boolean)) parent = this.child(drive, parent, part) ?? this.addItem(drive, parent.id, part, true, undefined, new Date());
    item.parentId = parent.id;
    item.version++;
    item.seq = ++drive.seq;
  }

  /** Move an item to its site's recycle bin (deleted from the drive; listed in /sites/{id}/recycleBin/items). */
  recycle(driveRef: string, path: string, deletedDateTime = new Date()): void {
    const drive = this.drive(driveRef);
    const item = this.itemByPath(drive, path);
    const site = this.siteOf(drive);
    const parentPath = this.pathOf(drive, item).split("/").slice(0, -1).join("/");
    const library = new URL(drive.webUrl).pathname.replace(/^\//, "");
    site.recycleBin.push({
      id: randomUUID(),
      name: item.name,
      size: item.content?.length ?? 0,
      deletedFromLocation: decodeURI([library, parentPath].filter(Boolean).join("/")),
      deletedDateTime: deletedDateTime.toISOString(),
    });
    this.removeItem(driveRef, path);
  }

  /** Add a message (MIME) to a folder by display path, e.g. "Inbox/Customers" (folders on the way are created). */
  addMessage(upn: string, folderPath: string, mime: string | Buffer, received = new Date("2026-11-02T09:30:00Z")): MessageRecord {
    const user = this.user(upn);
    const mailbox = user.mailbox!;
    const folder = this.ensureFolder(user, folderPath);
    const data = Buffer.from(mime);
    const headers = mimeHeaders(data);
    const message: MessageRecord = {
      id: newId("AAMkAGI"),
      folderId: folder.id,
      mime: data,
      internetMessageId: headers.get("message-id") ?? `<${randomUUID()}@example.com>`,
      subject: headers.get("subject") ?? "",
      from: addressOf(headers.get("from")),
      to: (headers.get("to") ?? "").split(",").map(addressOf).filter(Boolean),
      received,
      changeKey: b64url(randomBytes(12)),
      seq: ++mailbox.seq,
    };
    mailbox.messages.set(message.id, message);
    return message;
  }

  removeMessage(upn: string, id: string): void {
    const mailbox = this.user(upn).mailbox!;
    const message = mailbox.messages.get(id)!;
    message.deleted = true;
    message.seq = ++mailbox.seq;
  }

  /** Make the next matching calls fail (429 with Retry-After, 5xx, 403, …), in Graph's JSON error shape. */
  fail(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Forget the faults not yet used up. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests to Graph and the download host other than GET (the token endpoint aside). */
  writes(): LoggedRequest[] {
    return this.requests.filter((r) => r.origin !== "login" && r.method !== "GET");
  }

  /** The most requests that were being answered at the same moment. */
  peakConcurrency(from = 0): number {
    const events = this.requests.slice(from).flatMap((r) => [[r.at, 1], [r.done ?? r.at, -1]] as [number, number][]);
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let peak = 0;
    for (const [, d] of events) peak = Math.max(peak, (now += d));
    return peak;
  }

  /** Content downloads served (200 or 206 from the download host). */
  downloadCount(): number {
    return this.requests.filter((r) => r.origin === "download" && r.status < 300).length;
  }

  // ---- the HTTP side -------------------------------------------------------------------------------------------

  private async serve(side: "graph" | "download", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const path = decodeURIComponent(url.split("?")[0]!);
    const origin: LoggedRequest["origin"] = side === "download" ? "download" : path.startsWith("/v1.0/") ? "graph" : "login";
    const entry: LoggedRequest = { origin, method: req.method ?? "GET", url, status: 0, authorization: req.headers.authorization !== undefined, at: Date.now() };
    this.requests.push(entry);
    const body = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks)));
    });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const requestId = randomUUID();
    const send = (status: number, payload: Buffer | string | object, headers: Record<string, string> = {}) => {
      entry.status = status;
      entry.done = Date.now();
      const isJson = !(Buffer.isBuffer(payload) || typeof payload === "string");
      const data = isJson ? JSON.stringify(payload) : payload;
      res.writeHead(status, {
        "request-id": requestId,
        "client-request-id": String(req.headers["client-request-id"] ?? requestId),
        ...(isJson ? { "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8" } : {}),
        ...headers,
      });
      res.end(data);
    };
    try {
      const fault = this.faults.find((f) => f.left > 0 && (!f.method || f.method === entry.method) && (typeof f.match === "string" ? url.includes(f.match) : f.match.test(url)));
      if (fault) {
        fault.left--;
        throw new HttpError(fault.status, fault.code ?? defaultCode(fault.status), fault.message ?? defaultMessage(fault.status), fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {});
      }
      if (side === "download") return this.serveDownload(path, req, send);
      if (origin === "login") return this.serveLogin(path, entry.method, body, send);
      if (entry.method !== "GET") throw new HttpError(405, "Request_BadRequest", `The ${entry.method} method is not served by this emulator (read-only clients send GET).`);
      const caller = this.authenticate(req.headers.authorization);
      const params = new URL(url, "https://x").searchParams;
      const result = this.route(path.slice("/v1.0".length), params, caller, req);
      if (result.kind === "json") return send(200, result.body);
      if (result.kind === "redirect") return send(302, "", { Location: result.location });
      return send(200, result.body, { "content-type": result.contentType });
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.code.startsWith("AADSTS") || e.code === "invalid_client" || e.code === "unauthorized_client" || e.code === "invalid_request" || e.code === "invalid_scope") {
          return send(e.status, { error: e.code, error_description: e.message, error_codes: [Number(/AADSTS(\d+)/.exec(e.message)?.[1] ?? 0)], timestamp: new Date().toISOString(), trace_id: requestId }, e.headers);
        }
        return send(e.status, { error: { code: e.code, message: e.message, innerError: { date: new Date().toISOString(), "request-id": requestId, "client-request-id": requestId } } }, e.headers);
      }
      return send(500, { error: { code: "generalException", message: `emulator bug: ${(e as Error).stack}` } });
    }
  }

  private serveLogin(path: string, method: string, body: Buffer, send: (status: number, payload: object) => void): void {
    const base = this.url;
    if (method === "GET" && path === "/common/discovery/instance") {
      const host = new URL(base).host;
      return send(200, {
        tenant_discovery_endpoint: `${base}/${this.tenantId}/v2.0/.well-known/openid-configuration`,
        "api-version": "1.1",
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(path);
    if (!m) throw new HttpError(404, "invalid_request", `AADSTS90002: ${path} is not a login endpoint of this emulator.`);
    const tenant = m[1]!;
    if (tenant !== this.tenantId && tenant !== "organizations") {
      throw new HttpError(400, "invalid_request", `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`);
    }
    if (m[2]!.startsWith("v2.0")) {
      if (method !== "GET") throw new HttpError(405, "invalid_request", "AADSTS900561: The endpoint only accepts GET requests.");
      return send(200, {
        token_endpoint: `${base}/${this.tenantId}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/${this.tenantId}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/${this.tenantId}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/${this.tenantId}/discovery/v2.0/keys`,
        issuer: `${base}/${this.tenantId}/v2.0`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        tenant_region_scope: "EU",
        cloud_instance_name: "microsoftonline.com",
      });
    }
    if (method !== "POST") throw new HttpError(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.");
    const form = new URLSearchParams(body.toString("utf8"));
    const scope = form.get("scope") ?? "";
    this.tokenScopes.push(scope);
    if (form.get("grant_type") !== "client_credentials") throw new HttpError(400, "invalid_request", "AADSTS70003: This emulator only grants client_credentials.");
    const app = this.apps.find((a) => a.clientId === form.get("client_id"));
    if (!app) throw new HttpError(400, "unauthorized_client", `AADSTS700016: Application with identifier '${form.get("client_id")}' was not found in the directory '${this.tenantId}'.`);
    if (!scope.split(" ").includes(`${base}/.default`)) {
      throw new HttpError(400, "invalid_scope", `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (${base}/.default).`);
    }
    if (form.has("client_secret")) {
      if (!app.clientSecret || form.get("client_secret") !== app.clientSecret) {
        throw new HttpError(401, "invalid_client", `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
      }
    } else if (form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      this.checkAssertion(app, form.get("client_assertion") ?? "", `${base}/${this.tenantId}/oauth2/v2.0/token`);
    } else {
      throw new HttpError(401, "invalid_client", "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const token = b64url(randomBytes(32));
    this.tokens.set(token, { clientId: app.clientId, roles: app.roles ?? GRAPH_PERMISSIONS, expires: Date.now() + 3600_000 });
    return send(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }

  /** A client assertion JWT signed with the key of the app's registered certificate. */
  private checkAssertion(app: EmulatorApp, jwt: string, audience: string): void {
    const invalid = (why: string) => new HttpError(401, "invalid_client", `AADSTS700027: Client assertion failed signature validation: ${why}.`);
    if (!app.certificate) throw invalid("no certificate is registered for this application");
    const [h, p, s] = jwt.split(".");
    if (!h || !p || !s) throw invalid("malformed JWT");
    const header = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg: string; "x5t#S256"?: string; x5t?: string };
    const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as { aud: string; iss: string; sub: string; exp: number };
    const der = Buffer.from(app.certificate.replace(/-----[^-]+-----|\s/g, ""), "base64");
    const thumb256 = createHash("sha256").update(der).digest("base64url");
    const thumb1 = createHash("sha1").update(der).digest("base64url");
    if (header["x5t#S256"] !== thumb256 && header.x5t !== thumb1) throw invalid("the certificate thumbprint is not registered");
    const key = createPublicKey(app.certificate);
    const data = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, "base64url");
    const ok =
      header.alg === "PS256"
        ? verify("sha256", data, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
        : header.alg === "RS256" && verify("sha256", data, key, sig);
    if (!ok) throw invalid("bad signature");
    if (payload.aud !== audience || payload.iss !== app.clientId || payload.sub !== app.clientId) throw invalid("aud, iss or sub do not match");
    if (payload.exp * 1000 < Date.now()) throw invalid("expired");
  }

  private authenticate(header: string | undefined): { roles: string[] } {
    if (!header) throw new HttpError(401, "InvalidAuthenticationToken", "Access token is empty.");
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const known = token ? this.tokens.get(token) : undefined;
    if (!known) throw new HttpError(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).");
    if (known.expires < Date.now()) throw new HttpError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
    return known;
  }

  private serveDownload(path: string, req: IncomingMessage, send: (status: number, payload: Buffer | object, headers?: Record<string, string>) => void): void {
    // SharePoint refuses a bearer token on a pre-authenticated URL.
    if (req.headers.authorization) throw new HttpError(401, "unauthenticated", "Unsupported app only token: a pre-authenticated download URL takes no Authorization header.");
    const token = /^\/download\/([^/]+)$/.exec(path)?.[1];
    const ticket = token ? this.downloads.get(token) : undefined;
    if (!ticket || ticket.expires < Date.now()) throw new HttpError(401, "unauthenticated", "The download URL is not valid or has expired.");
    const item = this.drives.get(ticket.driveId)?.items.get(ticket.itemId);
    if (!item || item.deleted) throw new HttpError(404, "itemNotFound", "The resource could not be found.");
    const data = item.content ?? Buffer.alloc(0);
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : data.length - 1, data.length - 1);
      return send(206, data.subarray(start, end + 1), { "content-type": item.mimeType!, "content-range": `bytes ${start}-${end}/${data.length}` });
    }
    send(200, data, { "content-type": item.mimeType! });
  }

  // ---- Graph routes --------------------------------------------------------------------------------------------

  private route(
    path: string,
    q: URLSearchParams,
    caller: { roles: string[] },
    req: IncomingMessage,
  ): { kind: "json"; body: object } | { kind: "redirect"; location: string } | { kind: "bytes"; body: Buffer; contentType: string } {
    const need = (...anyOf: string[]) => {
      if (!anyOf.some((r) => caller.roles.includes(r))) {
        throw new HttpError(403, anyOf.includes("Mail.Read") ? "ErrorAccessDenied" : anyOf.includes("User.Read.All") ? "Authorization_RequestDenied" : "accessDenied",
          anyOf.includes("User.Read.All") ? "Insufficient privileges to complete the operation." : "Either scp or roles claim need to be present in the token.");
      }
    };
    const json = (body: object) => ({ kind: "json" as const, body });
    let m: RegExpExecArray | null;

    // Users
    if (path === "/users") {
      need("User.Read.All", "Directory.Read.All");
      return json(this.page(`/users`, q, this.users.map((u) => this.userJson(u)), DEFAULT_PAGE.users));
    }
    if ((m = /^\/users\/([^/]+)$/.exec(path))) {
      need("User.Read.All", "Directory.Read.All");
      return json(this.select(this.userJson(this.user(m[1]!)), q));
    }
    if ((m = /^\/users\/([^/]+)\/drive$/.exec(path))) {
      need("Files.Read.All", "Sites.Read.All");
      const user = this.user(m[1]!);
      if (!user.drive) throw new HttpError(404, "ResourceNotFound", "User's mysite not found.");
      return json(this.driveJson(user.drive));
    }
    if ((m = /^\/users\/([^/]+)\/(mailFolders|messages)(\/.*)?$/.exec(path))) {
      need("Mail.Read", "Mail.ReadBasic.All");
      return this.routeMail(this.user(m[1]!), `/${m[2]}${m[3] ?? ""}`, q, caller, req);
    }

    // Sites
    if (path === "/sites" && q.has("search")) {
      need("Sites.Read.All");
      const term = (q.get("search") ?? "").toLowerCase();
      const hits = this.sites.filter((s) => !s.personal && (s.name.toLowerCase().includes(term) || s.displayName.toLowerCase().includes(term)));
      return json(this.page(`/sites`, q, hits.map((s) => this.siteJson(s)), DEFAULT_PAGE.sites));
    }
    if ((m = /^\/sites\/([^/:]+):(\/[^:]*?):?$/.exec(path))) {
      need("Sites.Read.All");
      const [host, rel] = [m[1]!, m[2]!.replace(/\/$/, "")];
      const site = this.sites.find((s) => new URL(s.webUrl).host === host && s.path.toLowerCase() === rel.toLowerCase());
      if (!site) throw new HttpError(404, "itemNotFound", "Requested site could not be found");
      return json(this.siteJson(site));
    }
    if ((m = /^\/sites\/([^/]+)(\/drives|\/drive|\/recycleBin\/items)?$/.exec(path))) {
      need("Sites.Read.All");
      const site = this.allSites().find((s) => s.id === m![1]);
      if (!site) throw new HttpError(404, "itemNotFound", "Requested site could not be found");
      if (!m[2]) return json(this.siteJson(site));
      if (m[2] === "/drive") return json(this.driveJson(site.drives[0]!));
      if (m[2] === "/drives") return json(this.page(`/sites/${site.id}/drives`, q, site.drives.map((d) => this.driveJson(d)), DEFAULT_PAGE.sites));
      return json(this.page(`/sites/${site.id}/recycleBin/items`, q, site.recycleBin.map((r) => ({ ...r, title: r.name, "@odata.type": "#microsoft.graph.recycleBinItem" })), DEFAULT_PAGE.recycle));
    }

    // Drives
    if ((m = /^\/drives\/([^/]+)(\/.*)?$/.exec(path))) {
      need("Files.Read.All", "Sites.Read.All");
      const drive = this.drives.get(m[1]!);
      if (!drive) throw new HttpError(404, "itemNotFound", "The resource could not be found.");
      return this.routeDrive(drive, m[2] ?? "", q);
    }
    throw new HttpError(400, "BadRequest", `Resource not found for the segment '${path.split("/")[1] ?? ""}'.`);
  }

  private routeDrive(drive: DriveRecord, rest: string, q: URLSearchParams) {
    const json = (body: object) => ({ kind: "json" as const, body });
    const base = `/drives/${drive.id}`;
    if (rest === "") return json(this.driveJson(drive));
    if (rest === "/root/delta") return json(this.driveDelta(drive, q));
    let m: RegExpExecArray | null;
    if ((m = /^\/(?:root|items\/([^/]+))\/search\(q='(.*)'\)$/.exec(rest))) {
      const term = m[2]!.replace(/''/g, "'").toLowerCase();
      const hits = [...drive.items.values()].filter(
        (i) => !i.deleted && i.id !== drive.rootId && (i.name.toLowerCase().includes(term) || (i.content && searchableText(i.content).includes(term))),
      );
      // Like Graph, search results carry no parentReference.path.
      return json(this.page(`${base}${rest}`, q, hits.map((i) => this.itemJson(drive, i, false)), DEFAULT_PAGE.search));
    }
    // Address an item: /root, /items/{id}, /root:/a/b: (then an optional /children or /content)
    if ((m = /^\/(root|items\/([^/:]+))(?::\/?(.*?):?)?(\/children|\/content)?$/.exec(rest))) {
      let item = m[1] === "root" ? drive.items.get(drive.rootId) : drive.items.get(m[2]!);
      if (!item || item.deleted) throw new HttpError(404, "itemNotFound", "The resource could not be found.");
      if (m[3]) item = this.itemByPath(drive, m[3], item);
      if (m[4] === "/children") {
        if (!item.folder) throw new HttpError(400, "invalidRequest", "The item is not a folder.");
        const kids = [...drive.items.values()].filter((i) => i.parentId === item!.id && !i.deleted).sort((a, b) => a.name.localeCompare(b.name));
        return json(this.page(`${base}/items/${item.id}/children`, q, kids.map((i) => this.itemJson(drive, i, true)), DEFAULT_PAGE.children));
      }
      if (m[4] === "/content") {
        if (item.folder) throw new HttpError(404, "itemNotFound", "A folder has no content.");
        return { kind: "redirect" as const, location: this.downloadLink(drive, item) };
      }
      return json(this.select(this.itemJson(drive, item, true), q));
    }
    throw new HttpError(400, "BadRequest", `Resource not found for the segment '${rest.split("/")[1] ?? ""}'.`);
  }

  private routeMail(user: UserRecord, rest: string, q: URLSearchParams, caller: { roles: string[] }, req: IncomingMessage) {
    const json = (body: object) => ({ kind: "json" as const, body });
    if (!user.mailbox) throw new HttpError(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
    const mailbox = user.mailbox;
    const base = `/users/${user.id}`;
    const live = [...mailbox.messages.values()].filter((x) => !x.deleted).sort((a, b) => b.received.getTime() - a.received.getTime() || a.id.localeCompare(b.id));
    let m: RegExpExecArray | null;
    if (rest === "/mailFolders") {
      const top = [...mailbox.folders.values()].filter((f) => f.parentId === mailbox.rootId);
      return json(this.page(`${base}/mailFolders`, q, top.map((f) => this.folderJson(user, f)), DEFAULT_PAGE.folders));
    }
    if (rest === "/messages") {
      const term = q.get("$search")?.replace(/^"|"$/g, "").toLowerCase();
      const hits = term ? live.filter((x) => searchableText(x.mime).includes(term)) : live;
      return json(this.page(`${base}/messages`, q, hits.map((x) => this.select(this.messageJson(user, x), q)), term ? DEFAULT_PAGE.search : DEFAULT_PAGE.messages));
    }
    if ((m = /^\/messages\/([^/]+)(\/\$value)?$/.exec(rest)) || (m = /^\/mailFolders\/[^/]+\/messages\/(?!delta$)([^/]+)(\/\$value)?$/.exec(rest))) {
      if (m[2] && !caller.roles.includes("Mail.Read")) throw new HttpError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
      const message = mailbox.messages.get(m[1]!);
      if (!message || message.deleted) throw new HttpError(404, "ErrorItemNotFound", "The specified object was not found in the store.");
      if (m[2]) return { kind: "bytes" as const, body: message.mime, contentType: "text/plain" };
      return json(this.select(this.messageJson(user, message), q));
    }
    if ((m = /^\/mailFolders\/([^/]+)(\/childFolders|\/messages|\/messages\/delta)?$/.exec(rest))) {
      const folder = this.folder(user, m[1]!);
      if (!m[2]) return json(this.folderJson(user, folder));
      if (m[2] === "/childFolders") {
        const kids = [...mailbox.folders.values()].filter((f) => f.parentId === folder.id);
        return json(this.page(`${base}/mailFolders/${folder.id}/childFolders`, q, kids.map((f) => this.folderJson(user, f)), DEFAULT_PAGE.folders));
      }
      if (m[2] === "/messages") {
        const inFolder = live.filter((x) => x.folderId === folder.id);
        return json(this.page(`${base}/mailFolders/${folder.id}/messages`, q, inFolder.map((x) => this.select(this.messageJson(user, x), q)), DEFAULT_PAGE.messages));
      }
      return json(this.messageDelta(user, folder, q, req));
    }
    throw new HttpError(400, "BadRequest", `Resource not found for the segment '${rest.split("/")[1] ?? ""}'.`);
  }

  // ---- paging and delta ----------------------------------------------------------------------------------------

  private pageSize(q: URLSearchParams, fallback: number, prefer?: string): number {
    const asked = Number(q.get("$top") ?? /odata\.maxpagesize=(\d+)/.exec(prefer ?? "")?.[1] ?? fallback);
    return Math.max(1, Math.min(asked, 999, this.maxPageSize ?? Infinity));
  }

  /** One page of `all`, with an @odata.nextLink carrying $skiptoken (other query options kept) when more remain. */
  private page(path: string, q: URLSearchParams, all: object[], fallback: number): object {
    const size = this.pageSize(q, fallback);
    const offset = q.has("$skiptoken") ? Number(Buffer.from(q.get("$skiptoken")!, "base64url").toString()) : 0;
    const value = all.slice(offset, offset + size);
    const out: Record<string, unknown> = { "@odata.context": `${this.url}/v1.0/$metadata#${path.split("/").pop()}`, value };
    if (offset + size < all.length) {
      const next = new URLSearchParams(q);
      next.set("$skiptoken", b64url(String(offset + size)));
      out["@odata.nextLink"] = `${this.url}/v1.0${encodePath(path)}?${next.toString()}`;
    }
    return out;
  }

  /** /drives/{id}/root/delta: every change since the token (all items at first), then a deltaLink. */
  private driveDelta(drive: DriveRecord, q: URLSearchParams): object {
    const base = `${this.url}/v1.0/drives/${drive.id}/root/delta`;
    if (q.get("token") === "latest") return { value: [], "@odata.deltaLink": `${base}?token=${b64url(JSON.stringify({ since: drive.seq }))}` };
    const state = q.has("token") ? (JSON.parse(Buffer.from(q.get("token")!, "base64url").toString()) as { since: number; until?: number; offset?: number }) : { since: 0 };
    const until = state.until ?? drive.seq;
    const changed = [...drive.items.values()]
      .filter((i) => i.seq > state.since && i.seq <= until && !(state.since === 0 && i.deleted))
      .sort((a, b) => a.seq - b.seq);
    // Parents before children on a first listing, as Graph promises.
    if (state.since === 0) changed.sort((a, b) => this.depth(drive, a) - this.depth(drive, b) || a.seq - b.seq);
    const size = this.pageSize(q, DEFAULT_PAGE.delta);
    const offset = state.offset ?? 0;
    const value = changed.slice(offset, offset + size).map((i) =>
      i.deleted ? { id: i.id, name: i.name, parentReference: { driveId: drive.id, driveType: drive.driveType, id: i.parentId }, deleted: { state: "deleted" } } : this.itemJson(drive, i, false),
    );
    const out: Record<string, unknown> = { "@odata.context": `${this.url}/v1.0/$metadata#Collection(driveItem)`, value };
    if (offset + size < changed.length) out["@odata.nextLink"] = `${base}?token=${b64url(JSON.stringify({ since: state.since, until, offset: offset + size }))}`;
    else out["@odata.deltaLink"] = `${base}?token=${b64url(JSON.stringify({ since: until }))}`;
    return out;
  }

  /** /mailFolders/{id}/messages/delta: messages added, changed or removed in one folder since the $deltatoken. */
  private messageDelta(user: UserRecord, folder: MailFolderRecord, q: URLSearchParams, req: IncomingMessage): object {
    const mailbox = user.mailbox!;
    const base = `${this.url}/v1.0/users/${user.id}/mailFolders/${folder.id}/messages/delta`;
    const token = q.get("$deltatoken") ?? q.get("$skiptoken");
    const state = token ? (JSON.parse(Buffer.from(token, "base64url").toString()) as { since: number; until?: number; offset?: number }) : { since: 0 };
    const until = state.until ?? mailbox.seq;
    const changed = [...mailbox.messages.values()]
      .filter((x) => x.folderId === folder.id && x.seq > state.since && x.seq <= until && !(state.since === 0 && x.deleted))
      .sort((a, b) => a.seq - b.seq);
    const size = this.pageSize(q, DEFAULT_PAGE.messages, String(req.headers.prefer ?? ""));
    const offset = state.offset ?? 0;
    const value = changed
      .slice(offset, offset + size)
      .map((x) => (x.deleted ? { "@odata.type": "#microsoft.graph.message", id: x.id, "@removed": { reason: "deleted" } } : this.select(this.messageJson(user, x), q)));
    const keep = new URLSearchParams();
    if (q.has("$select")) keep.set("$select", q.get("$select")!);
    const out: Record<string, unknown> = { "@odata.context": `${this.url}/v1.0/$metadata#Collection(message)`, value };
    if (offset + size < changed.length) {
      keep.set("$skiptoken", b64url(JSON.stringify({ since: state.since, until, offset: offset + size })));
      out["@odata.nextLink"] = `${base}?${keep.toString()}`;
    } else {
      keep.set("$deltatoken", b64url(JSON.stringify({ since: until })));
      out["@odata.deltaLink"] = `${base}?${keep.toString()}`;
    }
    return out;
  }

  // ---- JSON shapes ---------------------------------------------------------------------------------------------

  private select(obj: Record<string, unknown>, q: URLSearchParams): Record<string, unknown> {
    const fields = q.get("$select")?.split(",").map((f) => f.trim()).filter(Boolean);
    if (!fields?.length) return obj;
    return Object.fromEntries(Object.entries(obj).filter(([k]) => k === "id" || k.startsWith("@odata.") || fields.includes(k)));
  }

  private userJson(u: UserRecord): Record<string, unknown> {
    return { id: u.id, userPrincipalName: u.userPrincipalName, displayName: u.displayName, mail: u.mailbox ? u.userPrincipalName : null };
  }

  private siteJson(s: SiteRecord): Record<string, unknown> {
    return { id: s.id, name: s.name, displayName: s.displayName, webUrl: s.webUrl, siteCollection: { hostname: new URL(s.webUrl).host } };
  }

  private driveJson(d: DriveRecord): Record<string, unknown> {
    const site = this.siteOf(d);
    return { id: d.id, name: d.name, driveType: d.driveType, webUrl: d.webUrl, owner: d.owner, sharePointIds: { siteId: site.id, siteUrl: site.webUrl } };
  }

  private itemJson(drive: DriveRecord, i: DriveItemRecord, withPath: boolean): Record<string, unknown> {
    const parent = i.parentId ? drive.items.get(i.parentId) : undefined;
    const relPath = this.pathOf(drive, i);
    const out: Record<string, unknown> = {
      id: i.id,
      name: i.id === drive.rootId ? "root" : i.name,
      eTag: `"{${i.id.slice(-8)}-etag},${i.version}"`,
      cTag: `"c:{${i.id.slice(-8)}-ctag},${i.contentVersion}"`,
      createdDateTime: i.created.toISOString(),
      lastModifiedDateTime: i.modified.toISOString(),
      size: i.folder ? this.subtree(drive, i).reduce((n, x) => n + (x.content?.length ?? 0), 0) : (i.content?.length ?? 0),
      webUrl: relPath ? `${drive.webUrl}/${relPath.split("/").map(encodeURIComponent).join("/")}` : drive.webUrl,
      createdBy: { user: { displayName: "Example Admin" } },
      lastModifiedBy: { user: { displayName: "Example Admin" } },
    };
    if (parent) {
      const parentPath = this.pathOf(drive, parent);
      out.parentReference = {
        driveType: drive.driveType,
        driveId: drive.id,
        id: parent.id,
        ...(withPath ? { path: `/drives/${drive.id}/root:${parentPath ? `/${parentPath}` : ""}` } : {}),
      };
    } else {
      out.root = {};
      out.parentReference = { driveType: drive.driveType, driveId: drive.id };
    }
    if (i.folder) out.folder = { childCount: [...drive.items.values()].filter((x) => x.parentId === i.id && !x.deleted).length };
    else {
      out.file = { mimeType: i.mimeType, hashes: { quickXorHash: createHash("sha1").update(i.content ?? "").digest("base64").slice(0, 28) } };
      out["@microsoft.graph.downloadUrl"] = this.downloadLink(drive, i);
    }
    return out;
  }

  private folderJson(user: UserRecord, f: MailFolderRecord): Record<string, unknown> {
    const mailbox = user.mailbox!;
    const messages = [...mailbox.messages.values()].filter((x) => x.folderId === f.id && !x.deleted);
    return {
      id: f.id,
      displayName: f.displayName,
      parentFolderId: f.parentId,
      childFolderCount: [...mailbox.folders.values()].filter((x) => x.parentId === f.id).length,
      unreadItemCount: messages.length,
      totalItemCount: messages.length,
      sizeInBytes: messages.reduce((n, x) => n + x.mime.length, 0),
      isHidden: false,
    };
  }

  private messageJson(user: UserRecord, x: MessageRecord): Record<string, unknown> {
    const text = x.mime.toString("utf8");
    return {
      "@odata.etag": `W/"${x.changeKey}"`,
      id: x.id,
      createdDateTime: x.received.toISOString(),
      lastModifiedDateTime: x.received.toISOString(),
      changeKey: x.changeKey,
      receivedDateTime: x.received.toISOString(),
      sentDateTime: x.received.toISOString(),
      hasAttachments: /content-disposition:\s*attachment/i.test(text),
      internetMessageId: x.internetMessageId,
      subject: x.subject,
      bodyPreview: "",
      parentFolderId: x.folderId,
      isRead: false,
      from: { emailAddress: { address: x.from, name: x.from } },
      toRecipients: x.to.map((address) => ({ emailAddress: { address, name: address } })),
      webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(x.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    };
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private newDrive(name: string, driveType: DriveRecord["driveType"], webUrl: string, owner: Record<string, unknown>, siteId: string): DriveRecord {
    const id = `b!${randomBytes(24).toString("base64url")}`;
    const rootId = newId();
    const now = new Date("2026-01-01T00:00:00Z");
    const drive: DriveRecord = { id, name, driveType, webUrl, owner, siteId, rootId, items: new Map(), seq: 1 };
    drive.items.set(rootId, { id: rootId, name: "root", folder: true, created: now, modified: now, version: 1, contentVersion: 1, seq: 1 });
    this.drives.set(id, drive);
    return drive;
  }

  private addItem(drive: DriveRecord, parentId: string, name: string, folder: boolean, content: Buffer | undefined, modified: Date): DriveItemRecord {
    const item: DriveItemRecord = {
      id: newId(),
      name,
      parentId,
      folder,
      content,
      mimeType: folder ? undefined : mimeTypeOf(name),
      created: modified,
      modified,
      version: 1,
      contentVersion: 1,
      seq: ++drive.seq,
    };
    drive.items.set(item.id, item);
    return item;
  }

  private child(drive: DriveRecord, parent: DriveItemRecord, name: string): DriveItemRecord | undefined {
    return [...drive.items.values()].find((i) => i.parentId === parent.id && !i.deleted && i.name.toLowerCase() === name.toLowerCase());
  }

  private itemByPath(drive: DriveRecord, path: string, from = drive.items.get(drive.rootId)!): DriveItemRecord {
    let item = from;
    for (const part of path.split("/").filter(Boolean)) {
      const next = this.child(drive, item, part);
      if (!next) throw new HttpError(404, "itemNotFound", "The resource could not be found.");
      item = next;
    }
    return item;
  }

  /** Path inside the drive ("" for the root). */
  private pathOf(drive: DriveRecord, item: DriveItemRecord): string {
    const parts: string[] = [];
    for (let i: DriveItemRecord | undefined = item; i && i.id !== drive.rootId; i = i.parentId ? drive.items.get(i.parentId) : undefined) parts.unshift(i.name);
    return parts.join("/");
  }

  private depth(drive: DriveRecord, item: DriveItemRecord): number {
    return item.id === drive.rootId ? 0 : this.pathOf(drive, item).split("/").length;
  }

  private subtree(drive: DriveRecord, item: DriveItemRecord): DriveItemRecord[] {
    const out = [item];
    for (const x of drive.items.values()) if (x.parentId === item.id && !x.deleted) out.push(...this.subtree(drive, x));
    return out;
  }

  private downloadLink(drive: DriveRecord, item: DriveItemRecord): string {
    const token = b64url(randomBytes(18));
    this.downloads.set(token, { driveId: drive.id, itemId: item.id, expires: Date.now() + 3600_000 });
    return `${this.downloadUrl}/download/${token}`;
  }

  private info(drive: DriveRecord, i: DriveItemRecord): DriveItemInfo {
    const json = this.itemJson(drive, i, true);
    return { id: i.id, driveId: drive.id, name: i.name, webUrl: String(json.webUrl), cTag: String(json.cTag) };
  }

  private allSites(): SiteRecord[] {
    return [...this.sites, ...this.users.flatMap((u) => (u.site ? [u.site] : []))];
  }

  private siteOf(drive: DriveRecord): SiteRecord {
    return this.allSites().find((s) => s.id === drive.siteId)!;
  }

  private user(ref: string): UserRecord {
    const user = this.users.find((u) => u.id === ref || u.userPrincipalName.toLowerCase() === ref.toLowerCase());
    if (!user) throw new HttpError(404, "Request_ResourceNotFound", `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`);
    return user;
  }

  private folder(user: UserRecord, ref: string): MailFolderRecord {
    const folders = user.mailbox!.folders;
    const folder = folders.get(ref) ?? [...folders.values()].find((f) => f.wellKnown === ref.toLowerCase());
    if (!folder) throw new HttpError(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    return folder;
  }

  private ensureFolder(user: UserRecord, displayPath: string): MailFolderRecord {
    const mailbox = user.mailbox!;
    let parentId = mailbox.rootId;
    let folder: MailFolderRecord | undefined;
    for (const name of displayPath.split("/").filter(Boolean)) {
      folder = [...mailbox.folders.values()].find((f) => f.parentId === parentId && f.displayName.toLowerCase() === name.toLowerCase());
      if (!folder) {
        folder = { id: newId("AAMk"), displayName: name, parentId };
        mailbox.folders.set(folder.id, folder);
      }
      parentId = folder.id;
    }
    if (!folder) throw new Error("emulator: empty folder path");
    return folder;
  }
}

const encodePath = (path: string) => path.split("/").map((s) => encodeURIComponent(s).replace(/%3A/g, ":").replace(/%24/g, "$")).join("/");

function defaultCode(status: number): string {
  return ({ 401: "InvalidAuthenticationToken", 403: "accessDenied", 404: "itemNotFound", 429: "TooManyRequests", 500: "generalException", 502: "BadGateway", 503: "serviceNotAvailable", 504: "GatewayTimeout" } as Record<number, string>)[status] ?? "generalException";
}

function defaultMessage(status: number): string {
  return ({ 401: "Access token validation failure.", 403: "Access denied", 404: "The resource could not be found.", 429: "Too many requests", 500: "An unexpected error occurred.", 503: "The service is temporarily unavailable." } as Record<number, string>)[status] ?? "An error occurred.";
}

export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  return new GraphEmulator(options).start();
}
