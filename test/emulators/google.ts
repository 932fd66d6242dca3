import { createHash, createPublicKey, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

// A protocol emulator of the Google APIs straymap reads: Drive v3, Gmail v1 and
// Admin SDK Directory v1, over HTTP on loopback, with an in-memory model a test
// fills. It speaks the documented REST API that the real `googleapis` client
// sends (paths, query parameters, `fields`, paging tokens, Google's JSON error
// shape), including the traps real Google sets: shared-drive items stay invisible
// without includeItemsFromAllDrives / supportsAllDrives, trashed files are listed
// unless the query says `trashed = false`, Docs Editors files cannot be
// downloaded (only exported, up to 10 MB), rate limits come as 403 as well as 429.
// It also serves the OAuth token endpoint for service-account JWT grants, so
// domain-wide delegation (one `sub` per user) can be exercised end to end.

export const FOLDER = "application/vnd.google-apps.folder";
export const SHEET = "application/vnd.google-apps.spreadsheet";
export const DOC = "application/vnd.google-apps.document";
export const SLIDES = "application/vnd.google-apps.presentation";
export const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Google's documented limit on the size of an exported Docs Editors file. */
export const EXPORT_LIMIT = 10 * 1024 * 1024;

export const SCOPES = {
  drive: "https://www.googleapis.com/auth/drive.readonly",
  gmail: "https://www.googleapis.com/auth/gmail.readonly",
  directory: "https://www.googleapis.com/auth/admin.directory.user.readonly",
};
const DRIVE_READ = new Set([SCOPES.drive, "https://www.googleapis.com/auth/drive"]);
const DRIVE_METADATA = "https://www.googleapis.com/auth/drive.metadata.readonly";
const GMAIL_READ = new Set([SCOPES.gmail, "https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify"]);
const GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata";
const DIRECTORY_READ = new Set([SCOPES.directory, "https://www.googleapis.com/auth/admin.directory.user"]);

// ---------------------------------------------------------------- the model

export interface EmuUser {
  email: string;
  id: string;
  name: string;
  admin: boolean;
  suspended: boolean;
  /** false: Gmail answers 400 failedPrecondition "Mail service not enabled". */
  gmail: boolean;
  rootId: string;
}

export interface EmuFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  /** Owner's email for My Drive files; undefined on shared drives. */
  owner?: string;
  /** Shared drive id for files on a shared drive. */
  driveId?: string;
  trashed: boolean;
  createdTime: string;
  modifiedTime: string;
  version: number;
  /** Bytes of a binary file (alt=media). */
  content?: Buffer;
  /** Export formats of a Docs Editors file: MIME type → bytes. */
  exports?: Record<string, Buffer>;
}

export interface EmuDrive {
  id: string;
  name: string;
  members: Set<string>;
  createdTime: string;
}

export interface EmuMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  raw: Buffer;
  internalDate: number;
  historyId: number;
}

interface HistoryRecord {
  id: number;
  kind: "messagesAdded" | "messagesDeleted" | "labelsAdded" | "labelsRemoved";
  message: { id: string; threadId: string; labelIds: string[] };
  labelIds?: string[];
}

interface Mailbox {
  messages: Map<string, EmuMessage>;
  labels: { id: string; name: string; type: "system" | "user" }[];
  history: HistoryRecord[];
  historyId: number;
  /** history.list answers 404 for a startHistoryId older than this. */
  oldestHistoryId: number;
}

interface Change {
  seq: number;
  fileId: string;
  driveId?: string;
  owner?: string;
  removed: boolean;
  time: string;
}

export interface Principal {
  email: string;
  scopes: string[];
}

/** One request as the emulator saw it. */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  principal?: string;
  status: number;
}

export interface Fault {
  /** Matched against the path (e.g. /drive/v3/files/ID); a string matches as a substring. */
  path: RegExp | string;
  /** Also matched against the query string, e.g. a folder id inside `q`. */
  query?: RegExp;
  status: number;
  /** How many matching calls fail (default 1). */
  times?: number;
  /** Google's error reason; defaults per status (403 → userRateLimitExceeded). */
  reason?: string;
  message?: string;
  /** Seconds sent in a Retry-After header. */
  retryAfter?: number;
}

const SYSTEM_LABELS = ["INBOX", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "SENT", "DRAFT", "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS"];

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly extra: { domain?: string; location?: string; locationType?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

const DEFAULT_FAULTS: Record<number, { reason: string; message: string; domain: string }> = {
  400: { reason: "badRequest", message: "Bad Request", domain: "global" },
  401: { reason: "authError", message: "Invalid Credentials", domain: "global" },
  403: { reason: "userRateLimitExceeded", message: "User Rate Limit Exceeded", domain: "usageLimits" },
  404: { reason: "notFound", message: "Requested entity was not found.", domain: "global" },
  429: { reason: "rateLimitExceeded", message: "Rate Limit Exceeded", domain: "usageLimits" },
  500: { reason: "backendError", message: "Internal Error", domain: "global" },
  502: { reason: "backendError", message: "Bad Gateway", domain: "global" },
  503: { reason: "backendError", message: "Service Unavailable", domain: "global" },
};

export class GoogleEmulator {
  /** Root URL with a trailing slash, as `rootUrl` for every googleapis client. */
  url = "";
  /** Milliseconds added before answering each call. */
  latencyMs = 0;
  readonly requests: LoggedRequest[] = [];
  readonly users = new Map<string, EmuUser>();
  readonly files = new Map<string, EmuFile>();
  readonly drives = new Map<string, EmuDrive>();
  readonly tokens = new Map<string, Principal>();
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly serviceAccounts = new Map<string, KeyObject>();
  private readonly changes: Change[] = [];
  private faults: (Fault & { left: number })[] = [];
  private server?: Server;
  private seq = 0;
  private clock = Date.parse("2026-01-05T09:00:00Z");

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}/`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  // ------------------------------------------------------------ filling the model

  /** A Workspace user; returns it. Its access token is `token-<email>` unless given. */
  addUser(email: string, opts: { name?: string; admin?: boolean; suspended?: boolean; gmail?: boolean; token?: string; scopes?: string[] } = {}): EmuUser {
    const user: EmuUser = {
      email,
      id: String(100000000000000000000n + BigInt(this.users.size + 1)),
      name: opts.name ?? email.split("@")[0]!,
      admin: opts.admin ?? false,
      suspended: opts.suspended ?? false,
      gmail: opts.gmail ?? true,
      rootId: `0A${this.nextId("root")}`,
    };
    this.users.set(email, user);
    this.files.set(user.rootId, { id: user.rootId, name: "My Drive", mimeType: FOLDER, parents: [], owner: email, trashed: false, createdTime: this.now(), modifiedTime: this.now(), version: 1 });
    this.mailboxes.set(email, { messages: new Map(), labels: SYSTEM_LABELS.map((id) => ({ id, name: id, type: "system" as const })), history: [], historyId: 1000, oldestHistoryId: 1 });
    this.tokens.set(opts.token ?? `token-${email}`, { email, scopes: opts.scopes ?? Object.values(SCOPES) });
    return user;
  }

  /** A token acting as `email` with the given scopes. */
  addToken(token: string, email: string, scopes: string[] = Object.values(SCOPES)): void {
    this.tokens.set(token, { email, scopes });
  }

  /** A service account allowed domain-wide delegation: JWT grants signed with its key get a token for their `sub`. */
  addServiceAccount(clientEmail: string, publicKeyPem: string): void {
    this.serviceAccounts.set(clientEmail, createPublicKey(publicKeyPem));
  }

  addSharedDrive(name: string, members: string[]): EmuDrive {
    const id = `0A${this.nextId("drive")}`;
    const drive: EmuDrive = { id, name, members: new Set(members), createdTime: this.now() };
    this.drives.set(id, drive);
    // A shared drive's root folder has the drive's id.
    this.files.set(id, { id, name, mimeType: FOLDER, parents: [], driveId: id, trashed: false, createdTime: this.now(), modifiedTime: this.now(), version: 1 });
    return drive;
  }

  /** The folder at `path` ("a/b") in a user's My Drive or a shared drive, created as needed; returns its id. */
  folder(where: { user: string } | { drive: string }, path: string): string {
    let parent = "user" in where ? this.user(where.user).rootId : where.drive;
    for (const name of path.split("/").filter(Boolean)) {
      const existing = [...this.files.values()].find((f) => f.parents[0] === parent && f.name === name && f.mimeType === FOLDER);
      parent = existing?.id ?? this.put(where, parent, name, FOLDER, {}).id;
    }
    return parent;
  }

  /** A binary file at `path` ("Finance/subs.csv"); folders are created as needed. */
  addFile(where: { user: string } | { drive: string }, path: string, content: string | Buffer, opts: { mimeType?: string; trashed?: boolean } = {}): EmuFile {
    const { dir, name } = splitPath(path);
    return this.put(where, this.folder(where, dir), name, opts.mimeType ?? guessMime(name), { content: Buffer.from(content), trashed: opts.trashed });
  }

  /** A Docs Editors file (Sheet, Doc, Slides) with the bytes of each export format. */
  addNative(where: { user: string } | { drive: string }, path: string, mimeType: string, exports: Record<string, string | Buffer>, opts: { trashed?: boolean } = {}): EmuFile {
    const { dir, name } = splitPath(path);
    const bytes = Object.fromEntries(Object.entries(exports).map(([k, v]) => [k, Buffer.from(v)]));
    return this.put(where, this.folder(where, dir), name, mimeType, { exports: bytes, trashed: opts.trashed });
  }

  /** Change a file as a user would (new content, rename, trash); records a change. */
  updateFile(id: string, patch: { content?: string | Buffer; exports?: Record<string, string | Buffer>; name?: string; trashed?: boolean }): EmuFile {
    const f = this.files.get(id);
    if (!f) throw new Error(`no file ${id}`);
    if (patch.content !== undefined) f.content = Buffer.from(patch.content);
    if (patch.exports) f.exports = Object.fromEntries(Object.entries(patch.exports).map(([k, v]) => [k, Buffer.from(v)]));
    if (patch.name !== undefined) f.name = patch.name;
    if (patch.trashed !== undefined) f.trashed = patch.trashed;
    f.version++;
    f.modifiedTime = this.now();
    this.recordChange(f, false);
    return f;
  }

  /** Delete a file for good (emptied from the trash); records a removal. */
  removeFile(id: string): void {
    const f = this.files.get(id);
    if (!f) throw new Error(`no file ${id}`);
    this.files.delete(id);
    this.recordChange(f, true);
  }

  /** A user label; returns its id (Label_N). */
  addLabel(email: string, name: string): string {
    const box = this.mailbox(email);
    const id = `Label_${box.labels.filter((l) => l.type === "user").length + 1}`;
    box.labels.push({ id, name, type: "user" });
    return id;
  }

  /** A message in a mailbox, as RFC 822 bytes, with its labels; returns it. */
  addMessage(email: string, raw: string | Buffer, labelIds: string[] = ["INBOX"], opts: { threadId?: string; date?: Date } = {}): EmuMessage {
    const box = this.mailbox(email);
    const id = this.nextHex();
    const msg: EmuMessage = {
      id,
      threadId: opts.threadId ?? id,
      labelIds: [...labelIds],
      raw: Buffer.from(raw),
      internalDate: (opts.date ?? new Date(this.clock)).getTime(),
      historyId: ++box.historyId,
    };
    box.messages.set(id, msg);
    box.history.push({ id: msg.historyId, kind: "messagesAdded", message: { id, threadId: msg.threadId, labelIds: [...msg.labelIds] } });
    return msg;
  }

  /** Delete a message for good (not to the trash). */
  deleteMessage(email: string, id: string): void {
    const box = this.mailbox(email);
    const msg = box.messages.get(id);
    if (!msg) throw new Error(`no message ${id}`);
    box.messages.delete(id);
    box.history.push({ id: ++box.historyId, kind: "messagesDeleted", message: { id, threadId: msg.threadId, labelIds: msg.labelIds } });
  }

  /** Add and remove labels on a message (moving to TRASH is adding TRASH). */
  relabel(email: string, id: string, add: string[], remove: string[] = []): void {
    const box = this.mailbox(email);
    const msg = box.messages.get(id);
    if (!msg) throw new Error(`no message ${id}`);
    msg.labelIds = [...msg.labelIds.filter((l) => !remove.includes(l)), ...add.filter((l) => !msg.labelIds.includes(l))];
    msg.historyId = ++box.historyId;
    if (add.length) box.history.push({ id: msg.historyId, kind: "labelsAdded", message: { id, threadId: msg.threadId, labelIds: msg.labelIds }, labelIds: add });
    if (remove.length) box.history.push({ id: msg.historyId, kind: "labelsRemoved", message: { id, threadId: msg.threadId, labelIds: msg.labelIds }, labelIds: remove });
  }

  /** Forget a mailbox's history up to now: an older startHistoryId then gets 404, as after about a week in Gmail. */
  expireHistory(email: string): void {
    const box = this.mailbox(email);
    box.oldestHistoryId = box.historyId;
    box.history = [];
  }

  /** The next `times` calls whose path matches fail with `status`. */
  fail(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Calls that fetched content (Drive alt=media and export, Gmail format=raw), from the `from`-th request on. */
  downloads(from = 0): LoggedRequest[] {
    return this.requests.slice(from).filter((r) => r.status < 300 && (r.query.alt === "media" || r.path.endsWith("/export") || (r.path.includes("/messages/") && r.query.format === "raw")));
  }

  // ------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const path = decodeURIComponent(url.pathname).replace(/\/+/g, "/");
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length > 1 ? all : all[0]!;
    }
    const entry: LoggedRequest = { method: req.method ?? "", path, query, status: 0 };
    this.requests.push(entry);
    const body = await readBody(req);
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    try {
      if (req.method === "POST" && path === "/token") return this.token(body, res, entry);
      const principal = this.authenticate(req);
      entry.principal = principal.email;
      const fault = this.faults.find(
        (f) => f.left > 0 && (typeof f.path === "string" ? path.includes(f.path) : f.path.test(path)) && (!f.query || f.query.test(decodeURIComponent(url.search.replace(/\+/g, " ")))),
      );
      if (fault) {
        fault.left--;
        const d = DEFAULT_FAULTS[fault.status] ?? DEFAULT_FAULTS[500]!;
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
        const reason = fault.reason ?? d.reason;
        throw new ApiError(fault.status, fault.message ?? (reason === "rateLimitExceeded" ? "Rate Limit Exceeded" : d.message), reason, { domain: reason.includes("RateLimit") ? "usageLimits" : d.domain, headers });
      }
      if (req.method !== "GET") throw new ApiError(405, `Method ${req.method} is not served by this emulator`, "methodNotAllowed");
      const out = this.route(path, url.searchParams, principal, req);
      if (out.bytes) {
        entry.status = out.status ?? 200;
        res.writeHead(entry.status, { "content-type": out.contentType ?? "application/octet-stream", "content-length": out.bytes.length, ...(out.headers ?? {}) });
        res.end(out.bytes);
      } else {
        entry.status = 200;
        sendJson(res, 200, out.json);
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, `emulator error: ${(e as Error).message}`, "backendError");
      entry.status = err.status;
      sendJson(res, err.status, googleError(err), err.extra.headers);
    }
  }

  private authenticate(req: IncomingMessage): Principal {
    const header = req.headers.authorization;
    const token = header?.match(/^Bearer (.+)$/i)?.[1];
    const principal = token ? this.tokens.get(token) : undefined;
    if (!principal) {
      throw new ApiError(
        401,
        header
          ? "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
          : "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        header ? "authError" : "required",
        { location: "Authorization", locationType: "header", headers: { "www-authenticate": 'Bearer realm="https://accounts.google.com/"' } },
      );
    }
    return principal;
  }

  private route(path: string, q: URLSearchParams, who: Principal, req: IncomingMessage): Out {
    let m: RegExpMatchArray | null;
    if (path.startsWith("/drive/v3/")) {
      needScope(who, DRIVE_READ, DRIVE_METADATA);
      if (path === "/drive/v3/files") return { json: this.filesList(q, who) };
      if ((m = path.match(/^\/drive\/v3\/files\/([^/]+)\/export$/))) return this.filesExport(m[1]!, q, who);
      if ((m = path.match(/^\/drive\/v3\/files\/([^/]+)$/))) return this.filesGet(m[1]!, q, who, req);
      if (path === "/drive/v3/drives") return { json: this.drivesList(q, who) };
      if (path === "/drive/v3/about") return { json: this.about(q, who) };
      if (path === "/drive/v3/changes/startPageToken") return { json: this.startPageToken(q, who) };
      if (path === "/drive/v3/changes") return { json: this.changesList(q, who) };
    } else if ((m = path.match(/^\/gmail\/v1\/users\/([^/]+)\/(.+)$/))) {
      needScope(who, GMAIL_READ, GMAIL_METADATA);
      const box = this.mailboxFor(m[1]!, who);
      const rest = m[2]!;
      if (rest === "profile") return { json: this.profile(box, this.targetUser(m[1]!, who)) };
      if (rest === "messages") return { json: this.messagesList(box, q, who) };
      if ((m = rest.match(/^messages\/([^/]+)$/))) return { json: this.messagesGet(box, m[1]!, q, who) };
      if (rest === "history") return { json: this.historyList(box, q) };
      if (rest === "labels") return { json: { labels: box.labels.map(labelJson) } };
    } else if (path === "/admin/directory/v1/users") {
      needScope(who, DIRECTORY_READ);
      return { json: this.directoryUsers(q, who) };
    }
    throw new ApiError(404, `Not Found: ${path}`, "notFound");
  }

  // ------------------------------------------------------------ OAuth token endpoint (JWT bearer grant)

  private token(body: Buffer, res: ServerResponse, entry: LoggedRequest): void {
    const form = new URLSearchParams(body.toString("utf8"));
    const fail = (error: string, description: string) => {
      entry.status = 400;
      sendJson(res, 400, { error, error_description: description });
    };
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return fail("unsupported_grant_type", "Invalid grant_type");
    const [h, p, s] = (form.get("assertion") ?? "").split(".");
    if (!h || !p || !s) return fail("invalid_request", "Invalid JWT");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { iss?: string; sub?: string; scope?: string };
    const key = claims.iss ? this.serviceAccounts.get(claims.iss) : undefined;
    if (!key) return fail("invalid_grant", "Invalid JWT Signature.");
    const verify = createVerify("RSA-SHA256");
    verify.update(`${h}.${p}`);
    if (!verify.verify(key, Buffer.from(s, "base64url"))) return fail("invalid_grant", "Invalid JWT Signature.");
    const subject = claims.sub ?? claims.iss!;
    const user = this.users.get(subject);
    if (claims.sub && (!user || user.suspended)) return fail("invalid_grant", "Invalid email or User ID");
    const scopes = (claims.scope ?? "").split(/\s+/).filter(Boolean);
    const token = `ya29.emu-${randomBytes(12).toString("hex")}`;
    this.tokens.set(token, { email: subject, scopes });
    entry.status = 200;
    entry.principal = subject;
    sendJson(res, 200, { access_token: token, token_type: "Bearer", expires_in: 3599 });
  }

  // ------------------------------------------------------------ Drive v3

  private filesList(q: URLSearchParams, who: Principal): unknown {
    const all = flag(q, "includeItemsFromAllDrives");
    const supports = flag(q, "supportsAllDrives") || flag(q, "supportsTeamDrives");
    const corpora = q.get("corpora") ?? "user";
    const driveId = q.get("driveId") ?? undefined;
    if ((driveId !== undefined) !== corpora.split(",").includes("drive")) {
      throw new ApiError(400, "The driveId parameter must be specified if and only if corpora is set to drive.", "teamDriveIdRequiresTeamDriveCorpora");
    }
    if ((driveId || /\b(drive|allDrives)\b/.test(corpora)) && !all) {
      throw new ApiError(403, "The includeItemsFromAllDrives parameter must be set to true when driveId is specified or corpora contains drive or allDrives.", "teamDriveIncludeItemsRequired");
    }
    if (all && !supports) {
      throw new ApiError(403, "The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.", "teamDrivesParameterNotSupported");
    }
    if (driveId) this.memberDrive(driveId, who);
    const matches = compileDriveQuery(q.get("q") ?? "", (id) => (id === "root" ? this.user(who.email).rootId : id));
    const visible = [...this.files.values()].filter((f) => {
      if (f.parents.length === 0) return false; // roots are not listed
      if (driveId) return f.driveId === driveId;
      if (f.driveId) return all && this.drives.get(f.driveId)?.members.has(who.email) === true;
      return f.owner === who.email;
    });
    const hits = visible.filter((f) => matches(f, this));
    const pageSize = clampInt(q.get("pageSize"), 100, 1, 1000);
    const { page, next } = paginate(hits, q.get("pageToken"), pageSize, `files:${queryScope(q)}`);
    const out: Record<string, unknown> = { kind: "drive#fileList", incompleteSearch: false, files: page.map((f) => this.fileJson(f)) };
    if (next) out.nextPageToken = next;
    return selectFields(out, q.get("fields") ?? "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)");
  }

  private filesGet(fileId: string, q: URLSearchParams, who: Principal, req: IncomingMessage): Out {
    const f = this.visibleFile(fileId, who, flag(q, "supportsAllDrives") || flag(q, "supportsTeamDrives"));
    if (q.get("alt") !== "media") return { json: selectFields(this.fileJson(f), q.get("fields") ?? "kind,id,name,mimeType") };
    if (who.scopes.every((s) => !DRIVE_READ.has(s))) throw insufficientScopes();
    if (!f.content) {
      throw new ApiError(403, "Only files with binary content can be downloaded. Use Export with Docs Editors files.", "fileNotDownloadable", { location: "alt", locationType: "parameter" });
    }
    const range = typeof req.headers.range === "string" ? req.headers.range.match(/^bytes=(\d+)-(\d*)$/) : null;
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : f.content.length - 1, f.content.length - 1);
      return { bytes: f.content.subarray(start, end + 1), contentType: f.mimeType, status: 206, headers: { "content-range": `bytes ${start}-${end}/${f.content.length}` } };
    }
    return { bytes: f.content, contentType: f.mimeType };
  }

  private filesExport(fileId: string, q: URLSearchParams, who: Principal): Out {
    const mimeType = q.get("mimeType");
    if (!mimeType) throw new ApiError(400, "Required parameter: mimeType", "required", { location: "mimeType", locationType: "parameter" });
    // files.export has no supportsAllDrives parameter: it reaches shared-drive files by id.
    const f = this.visibleFile(fileId, who, true);
    if (who.scopes.every((s) => !DRIVE_READ.has(s))) throw insufficientScopes();
    if (!f.exports) throw new ApiError(403, "Export only supports Docs Editors files.", "fileNotExportable");
    const bytes = f.exports[mimeType];
    if (!bytes) throw new ApiError(400, "The requested conversion is not supported.", "badRequest", { location: "convertTo", locationType: "parameter" });
    if (bytes.length > EXPORT_LIMIT) throw new ApiError(403, "This file is too large to be exported.", "exportSizeLimitExceeded");
    return { bytes, contentType: mimeType };
  }

  private drivesList(q: URLSearchParams, who: Principal): unknown {
    const mine = [...this.drives.values()].filter((d) => d.members.has(who.email));
    const { page, next } = paginate(mine, q.get("pageToken"), clampInt(q.get("pageSize"), 10, 1, 100), "drives");
    const out: Record<string, unknown> = { kind: "drive#driveList", drives: page.map((d) => ({ kind: "drive#drive", id: d.id, name: d.name, createdTime: d.createdTime, hidden: false })) };
    if (next) out.nextPageToken = next;
    return selectFields(out, q.get("fields") ?? "kind,nextPageToken,drives(kind,id,name)");
  }

  private about(q: URLSearchParams, who: Principal): unknown {
    const fields = q.get("fields");
    if (!fields) throw new ApiError(400, "The 'fields' parameter is required for this method.", "required", { location: "fields", locationType: "parameter" });
    const user = this.user(who.email);
    return selectFields(
      {
        kind: "drive#about",
        user: { kind: "drive#user", displayName: user.name, emailAddress: user.email, me: true, permissionId: user.id },
        storageQuota: { limit: "16106127360", usage: "0" },
        exportFormats: { [SHEET]: [XLSX, "text/csv", "application/pdf"], [DOC]: ["text/plain", "application/pdf"], [SLIDES]: ["text/plain", "application/pdf"] },
        maxImportSizes: {},
        maxUploadSize: "5242880000000",
      },
      fields,
    );
  }

  private startPageToken(q: URLSearchParams, who: Principal): unknown {
    const driveId = q.get("driveId");
    if (driveId) {
      if (!flag(q, "supportsAllDrives")) throw new ApiError(403, "The attempted action requires shared drive support to be enabled.", "teamDrivesSupportRequired");
      this.memberDrive(driveId, who);
    }
    return { kind: "drive#startPageToken", startPageToken: String(this.changes.length + 1) };
  }

  private changesList(q: URLSearchParams, who: Principal): unknown {
    const token = q.get("pageToken");
    if (!token) throw new ApiError(400, "Required parameter: pageToken", "required", { location: "pageToken", locationType: "parameter" });
    const from = Number(token);
    if (!Number.isInteger(from) || from < 1) throw new ApiError(400, `Invalid Value`, "invalid", { location: "pageToken", locationType: "parameter" });
    const driveId = q.get("driveId") ?? undefined;
    const all = flag(q, "includeItemsFromAllDrives");
    if (driveId && !all) throw new ApiError(403, "The includeItemsFromAllDrives parameter must be set to true when driveId is specified or corpora contains drive or allDrives.", "teamDriveIncludeItemsRequired");
    if (all && !flag(q, "supportsAllDrives")) throw new ApiError(403, "The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.", "teamDrivesParameterNotSupported");
    if (driveId) this.memberDrive(driveId, who);
    const includeRemoved = q.get("includeRemoved") !== "false";
    const pageSize = clampInt(q.get("pageSize"), 100, 1, 1000);
    const relevant = this.changes.filter((c) => {
      if (c.seq < from) return false;
      if (driveId) return c.driveId === driveId;
      if (c.driveId) return all && q.get("restrictToMyDrive") !== "true" && this.drives.get(c.driveId)?.members.has(who.email) === true;
      return c.owner === who.email;
    });
    const page = relevant.slice(0, pageSize);
    // Like Drive, one entry per file with its latest state.
    const latest = new Map<string, Change>();
    for (const c of page) latest.set(c.fileId, c);
    const changes = [...latest.values()]
      .filter((c) => includeRemoved || !c.removed)
      .map((c) => {
        const f = this.files.get(c.fileId);
        const removed = c.removed || !f;
        return { kind: "drive#change", changeType: "file", time: c.time, removed, fileId: c.fileId, ...(c.driveId ? { driveId: c.driveId } : {}), ...(removed ? {} : { file: this.fileJson(f!) }) };
      });
    const out: Record<string, unknown> = { kind: "drive#changeList", changes };
    if (relevant.length > pageSize) out.nextPageToken = String(page[page.length - 1]!.seq + 1);
    else out.newStartPageToken = String(this.changes.length + 1);
    return selectFields(out, q.get("fields") ?? "kind,nextPageToken,newStartPageToken,changes(kind,changeType,time,removed,fileId,file(kind,id,name,mimeType))");
  }

  /** A file the principal may see; 404 as Drive answers for unknown, unshared or shared-drive files without supportsAllDrives. */
  private visibleFile(fileId: string, who: Principal, supportsAllDrives: boolean): EmuFile {
    const id = fileId === "root" ? this.user(who.email).rootId : fileId;
    const f = this.files.get(id);
    const ok = f && (f.driveId ? supportsAllDrives && this.drives.get(f.driveId)?.members.has(who.email) : f.owner === who.email);
    if (!ok) throw new ApiError(404, `File not found: ${fileId}.`, "notFound", { location: "fileId", locationType: "parameter" });
    return f!;
  }

  private memberDrive(driveId: string, who: Principal): EmuDrive {
    const d = this.drives.get(driveId);
    if (!d || !d.members.has(who.email)) throw new ApiError(404, `Shared drive not found: ${driveId}`, "notFound", { location: "driveId", locationType: "parameter" });
    return d;
  }

  /** The full Drive v3 file resource; `fields` selects from it. */
  fileJson(f: EmuFile): Record<string, unknown> {
    const out: Record<string, unknown> = {
      kind: "drive#file",
      id: f.id,
      name: f.name,
      mimeType: f.mimeType,
      parents: f.parents,
      trashed: f.trashed,
      explicitlyTrashed: f.trashed,
      createdTime: f.createdTime,
      modifiedTime: f.modifiedTime,
      version: String(f.version),
      webViewLink: webViewLink(f),
      capabilities: { canDownload: true, canEdit: false },
    };
    if (f.content) {
      out.size = String(f.content.length);
      out.md5Checksum = md5Of(f.content);
      out.headRevisionId = `rev${f.version}`;
      out.webContentLink = `https://drive.google.com/uc?id=${f.id}&export=download`;
    }
    if (f.exports) out.exportLinks = Object.fromEntries(Object.keys(f.exports).map((m) => [m, `https://docs.google.com/feeds/download/export?id=${f.id}&exportFormat=${encodeURIComponent(m)}`]));
    if (f.driveId) {
      out.driveId = f.driveId;
      out.teamDriveId = f.driveId;
    } else if (f.owner) {
      const u = this.users.get(f.owner);
      out.owners = [{ kind: "drive#user", displayName: u?.name, emailAddress: f.owner, me: true }];
      out.ownedByMe = true;
    }
    return out;
  }

  /** Text Drive's full-text index would hold for a file (name, text content, text exports). */
  indexedText(f: EmuFile): string {
    const parts = [f.name];
    if (f.content && /^(text\/|application\/(json|csv))/.test(f.mimeType)) parts.push(f.content.toString("utf8"));
    for (const [mime, bytes] of Object.entries(f.exports ?? {})) if (/^text\//.test(mime)) parts.push(bytes.toString("utf8"));
    return parts.join("\n").toLowerCase();
  }

  // ------------------------------------------------------------ Gmail v1

  private targetUser(userId: string, who: Principal): EmuUser {
    return this.user(userId === "me" ? who.email : userId);
  }

  private mailboxFor(userId: string, who: Principal): Mailbox {
    const email = userId === "me" ? who.email : userId;
    if (email !== who.email) throw new ApiError(403, `Delegation denied for ${who.email}`, "forbidden");
    const user = this.users.get(email);
    if (!user) throw new ApiError(400, "Invalid user id specified in request/Delegation denied", "invalidArgument");
    if (!user.gmail) throw new ApiError(400, "Mail service not enabled", "failedPrecondition");
    return this.mailbox(email);
  }

  private profile(box: Mailbox, user: EmuUser): unknown {
    const threads = new Set([...box.messages.values()].map((m) => m.threadId));
    return { emailAddress: user.email, messagesTotal: box.messages.size, threadsTotal: threads.size, historyId: String(box.historyId) };
  }

  private messagesList(box: Mailbox, q: URLSearchParams, who: Principal): unknown {
    const labelIds = q.getAll("labelIds").flatMap((l) => l.split(","));
    const query = q.get("q");
    if (query && who.scopes.every((s) => !GMAIL_READ.has(s))) throw new ApiError(403, "Metadata scope does not support 'q' parameter", "forbidden");
    const matches = compileGmailQuery(query ?? "");
    const spamTrash = flag(q, "includeSpamTrash") || labelIds.some((l) => l === "SPAM" || l === "TRASH") || matches.anywhere;
    const hits = [...box.messages.values()]
      .filter((m) => spamTrash || !m.labelIds.some((l) => l === "SPAM" || l === "TRASH"))
      .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
      .filter((m) => matches.test(m, box))
      .sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));
    const { page, next } = paginate(hits, q.get("pageToken"), clampInt(q.get("maxResults"), 100, 1, 500), `messages:${labelIds}:${query}:${spamTrash}`);
    const out: Record<string, unknown> = { resultSizeEstimate: hits.length };
    if (page.length) out.messages = page.map((m) => ({ id: m.id, threadId: m.threadId }));
    if (next) out.nextPageToken = next;
    return selectFields(out, q.get("fields"));
  }

  private messagesGet(box: Mailbox, id: string, q: URLSearchParams, who: Principal): unknown {
    const msg = box.messages.get(id);
    if (!msg) throw new ApiError(404, "Requested entity was not found.", "notFound");
    const format = q.get("format") ?? "full";
    if (!["full", "metadata", "minimal", "raw"].includes(format)) throw new ApiError(400, `Invalid value at 'format' (${format})`, "invalidArgument");
    if (who.scopes.every((s) => !GMAIL_READ.has(s)) && (format === "raw" || format === "full")) {
      throw new ApiError(403, `Metadata scope doesn't allow format ${format.toUpperCase()}`, "forbidden");
    }
    const base: Record<string, unknown> = { id: msg.id, threadId: msg.threadId, labelIds: msg.labelIds, snippet: snippet(msg.raw), sizeEstimate: msg.raw.length, historyId: String(msg.historyId), internalDate: String(msg.internalDate) };
    if (format === "raw") base.raw = msg.raw.toString("base64url");
    if (format === "metadata" || format === "full") {
      const wanted = q.getAll("metadataHeaders").map((h) => h.toLowerCase());
      const headers = parseHeaders(msg.raw).filter((h) => format === "full" || wanted.length === 0 || wanted.includes(h.name.toLowerCase()));
      base.payload = { partId: "", mimeType: headerValue(msg.raw, "content-type")?.split(";")[0]?.trim() ?? "text/plain", filename: "", headers, body: { size: 0 } };
    }
    return selectFields(base, q.get("fields"));
  }

  private historyList(box: Mailbox, q: URLSearchParams): unknown {
    const start = q.get("startHistoryId");
    if (!start) throw new ApiError(400, "Required parameter: startHistoryId", "invalidArgument", { location: "startHistoryId", locationType: "parameter" });
    const from = Number(start);
    if (from < box.oldestHistoryId) throw new ApiError(404, "Requested entity was not found.", "notFound");
    const types = q.getAll("historyTypes");
    const labelId = q.get("labelId");
    const records = box.history.filter(
      (h) => h.id > from && (types.length === 0 || types.includes(h.kind.replace(/^(message|label)s/, "$1"))) && (!labelId || h.message.labelIds.includes(labelId)),
    );
    const { page, next } = paginate(records, q.get("pageToken"), clampInt(q.get("maxResults"), 100, 1, 500), `history:${from}`);
    // Records of one id are grouped as Gmail does.
    const grouped = new Map<number, Record<string, unknown>>();
    for (const h of page) {
      const g = grouped.get(h.id) ?? { id: String(h.id), messages: [] as unknown[] };
      (g.messages as unknown[]).push({ id: h.message.id, threadId: h.message.threadId });
      const entry = h.kind.startsWith("labels") ? { message: h.message, labelIds: h.labelIds } : { message: h.message };
      ((g[h.kind] as unknown[] | undefined) ?? (g[h.kind] = [] as unknown[]) as unknown[]).push(entry);
      grouped.set(h.id, g);
    }
    const out: Record<string, unknown> = { historyId: String(box.historyId) };
    if (grouped.size) out.history = [...grouped.values()];
    if (next) out.nextPageToken = next;
    return selectFields(out, q.get("fields"));
  }

  // ------------------------------------------------------------ Directory v1

  private directoryUsers(q: URLSearchParams, who: Principal): unknown {
    const customer = q.get("customer");
    const domain = q.get("domain");
    if (!customer && !domain) throw new ApiError(400, "Bad Request", "badRequest");
    if (!this.users.get(who.email)?.admin) throw new ApiError(403, "Not Authorized to access this resource/api", "forbidden");
    let list = [...this.users.values()];
    if (domain) list = list.filter((u) => u.email.endsWith(`@${domain}`));
    if (q.get("orderBy") === "email") list.sort((a, b) => a.email.localeCompare(b.email));
    const { page, next } = paginate(list, q.get("pageToken"), clampInt(q.get("maxResults"), 100, 1, 500), `users:${customer}:${domain}`);
    const out: Record<string, unknown> = {
      kind: "admin#directory#users",
      etag: `"${createHash("md5").update(list.map((u) => u.email).join()).digest("hex")}"`,
      users: page.map((u) => ({
        kind: "admin#directory#user",
        id: u.id,
        primaryEmail: u.email,
        name: { givenName: u.name, familyName: "", fullName: u.name },
        isAdmin: u.admin,
        suspended: u.suspended,
        archived: false,
        isMailboxSetup: u.gmail,
        orgUnitPath: "/",
      })),
    };
    if (next) out.nextPageToken = next;
    return selectFields(out, q.get("fields"));
  }

  // ------------------------------------------------------------ helpers

  user(email: string): EmuUser {
    const u = this.users.get(email);
    if (!u) throw new ApiError(404, `Resource Not Found: userKey`, "notFound");
    return u;
  }

  private mailbox(email: string): Mailbox {
    const box = this.mailboxes.get(email);
    if (!box) throw new Error(`no user ${email}`);
    return box;
  }

  private put(where: { user: string } | { drive: string }, parent: string, name: string, mimeType: string, extra: Partial<EmuFile>): EmuFile {
    const f: EmuFile = {
      id: this.nextId("file"),
      name,
      mimeType,
      parents: [parent],
      ...("user" in where ? { owner: where.user } : { driveId: where.drive }),
      createdTime: this.now(),
      modifiedTime: this.now(),
      version: 1,
      ...extra,
      trashed: extra.trashed ?? false,
    };
    this.files.set(f.id, f);
    this.recordChange(f, false);
    return f;
  }

  private recordChange(f: EmuFile, removed: boolean): void {
    this.changes.push({ seq: this.changes.length + 1, fileId: f.id, driveId: f.driveId, owner: f.owner, removed, time: this.now() });
  }

  /** A Drive-like id: 33 url-safe characters, unique and stable within a run. */
  private nextId(kind: string): string {
    return `1${createHash("sha256").update(`${kind}:${++this.seq}`).digest("base64url").slice(0, 32)}`;
  }

  private nextHex(): string {
    return (0x18c0000000000000n + BigInt(++this.seq) * 7919n).toString(16);
  }

  /** A clock that moves a second per event, so modifiedTime changes on every update. */
  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }
}

// ---------------------------------------------------------------- responses

/** md5 of file contents, remembered per buffer: listings of thousands of files stay cheap. */
const md5s = new WeakMap<Buffer, string>();
function md5Of(content: Buffer): string {
  let sum = md5s.get(content);
  if (!sum) md5s.set(content, (sum = createHash("md5").update(content).digest("hex")));
  return sum;
}

interface Out {
  json?: unknown;
  bytes?: Buffer;
  contentType?: string;
  status?: number;
  headers?: Record<string, string>;
}

function googleError(e: ApiError): unknown {
  const item: Record<string, string> = { message: e.message, domain: e.extra.domain ?? "global", reason: e.reason };
  if (e.extra.location) item.location = e.extra.location;
  if (e.extra.locationType) item.locationType = e.extra.locationType;
  return { error: { code: e.status, message: e.message, errors: [item], ...(STATUS_NAMES[e.status] ? { status: e.reason === "failedPrecondition" ? "FAILED_PRECONDITION" : STATUS_NAMES[e.status] } : {}) } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function insufficientScopes(): ApiError {
  return new ApiError(403, "Request had insufficient authentication scopes.", "insufficientPermissions", { headers: { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"' } });
}

/** The token must hold one of the full read scopes, or (for metadata calls) the metadata scope. */
function needScope(who: Principal, read: Set<string>, metadata?: string): void {
  if (who.scopes.some((s) => read.has(s) || s === metadata)) return;
  throw insufficientScopes();
}

function flag(q: URLSearchParams, name: string): boolean {
  return q.get(name) === "true";
}

function clampInt(v: string | null, dflt: number, min: number, max: number): number {
  const n = v === null ? dflt : Number(v);
  if (!Number.isInteger(n) || n < min) throw new ApiError(400, `Invalid value ${v}`, "invalid");
  return Math.min(n, max);
}

/** The parameters a page token is bound to: all but the token itself and the partial-response selection. */
function queryScope(q: URLSearchParams): string {
  return [...q.entries()].filter(([k]) => k !== "pageToken" && k !== "fields" && k !== "pageSize").sort().join("&");
}

/** Opaque page tokens bound to the query they came from, as Google's are. */
function paginate<T>(items: T[], token: string | null, size: number, scope: string): { page: T[]; next?: string } {
  let offset = 0;
  const scopeHash = createHash("sha1").update(scope).digest("hex").slice(0, 8);
  if (token) {
    const [h, n] = Buffer.from(token, "base64url").toString("utf8").split(":");
    if (h !== scopeHash || !/^\d+$/.test(n ?? "")) throw new ApiError(400, "Invalid Value", "invalid", { location: "pageToken", locationType: "parameter" });
    offset = Number(n);
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`${scopeHash}:${offset + size}`).toString("base64url") : undefined;
  return { page, next };
}

/**
 * Partial responses: `fields=nextPageToken,files(id,name)` or `files/id` or `*`.
 * Without a selection the resource is returned whole.
 */
export function selectFields(value: unknown, fields: string | null | undefined): unknown {
  if (!fields) return value;
  return apply(value, parseFields(fields));
  function apply(v: unknown, sel: FieldTree | true): unknown {
    if (sel === true || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => apply(x, sel));
    if (sel.has("*")) return v;
    const out: Record<string, unknown> = {};
    for (const [k, sub] of sel) if ((v as Record<string, unknown>)[k] !== undefined) out[k] = apply((v as Record<string, unknown>)[k], sub);
    return out;
  }
}

type FieldTree = Map<string, FieldTree | true>;

function parseFields(s: string): FieldTree {
  let i = 0;
  const parseList = (): FieldTree => {
    const tree: FieldTree = new Map();
    while (i < s.length) {
      while (s[i] === " " || s[i] === ",") i++;
      if (s[i] === ")") break;
      let name = "";
      while (i < s.length && !",()".includes(s[i]!)) name += s[i++];
      const path = name.trim().split("/");
      let sub: FieldTree | true = true;
      if (s[i] === "(") {
        i++;
        sub = parseList();
        if (s[i++] !== ")") throw new ApiError(400, `Invalid field selection ${s}`, "invalidParameter", { location: "fields", locationType: "parameter" });
      }
      // a/b/c → a(b(c))
      for (let k = path.length - 1; k > 0; k--) sub = new Map([[path[k]!, sub]]);
      const prev = tree.get(path[0]!);
      tree.set(path[0]!, prev instanceof Map && sub instanceof Map ? new Map([...prev, ...sub]) : sub);
    }
    return tree;
  };
  const tree = parseList();
  if (i < s.length) throw new ApiError(400, `Invalid field selection ${s}`, "invalidParameter", { location: "fields", locationType: "parameter" });
  return tree;
}

function webViewLink(f: EmuFile): string {
  if (f.mimeType === FOLDER) return `https://drive.google.com/drive/folders/${f.id}`;
  if (f.mimeType === SHEET) return `https://docs.google.com/spreadsheets/d/${f.id}/edit?usp=drivesdk`;
  if (f.mimeType === DOC) return `https://docs.google.com/document/d/${f.id}/edit?usp=drivesdk`;
  if (f.mimeType === SLIDES) return `https://docs.google.com/presentation/d/${f.id}/edit?usp=drivesdk`;
  return `https://drive.google.com/file/d/${f.id}/view?usp=drivesdk`;
}

function splitPath(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf("/");
  return { dir: i < 0 ? "" : path.slice(0, i), name: path.slice(i + 1) };
}

function guessMime(name: string): string {
  const ext = name.toLowerCase().split(".").pop();
  return (
    {
      csv: "text/csv",
      txt: "text/plain",
      json: "application/json",
      xlsx: XLSX,
      zip: "application/zip",
      gz: "application/gzip",
      pdf: "application/pdf",
      eml: "message/rfc822",
    }[ext ?? ""] ?? "application/octet-stream"
  );
}

function labelJson(l: { id: string; name: string; type: string }): unknown {
  return { id: l.id, name: l.name, type: l.type, ...(l.type === "user" ? { messageListVisibility: "show", labelListVisibility: "labelShow" } : {}) };
}

// ---------------------------------------------------------------- RFC 822 bits for metadata and search

function headerBlock(raw: Buffer): string {
  const text = raw.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

function parseHeaders(raw: Buffer): { name: string; value: string }[] {
  return headerBlock(raw)
    .replace(/\r?\n[ \t]+/g, " ")
    .split(/\r?\n/)
    .map((line) => line.match(/^([^:\s]+):\s*(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ name: m[1]!, value: m[2]! }));
}

function headerValue(raw: Buffer, name: string): string | undefined {
  return parseHeaders(raw).find((h) => h.name.toLowerCase() === name)?.value;
}

function snippet(raw: Buffer): string {
  const text = raw.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  return (end < 0 ? "" : text.slice(end).replace(/\s+/g, " ").trim()).slice(0, 100);
}

// ---------------------------------------------------------------- Drive `q`

type FilePredicate = (f: EmuFile, emu: GoogleEmulator) => boolean;

/**
 * The subset of Drive's query language straymap and its tests use:
 * `'ID' in parents`, `trashed = true|false`, `mimeType (=|!=) '…'`, `name (=|contains) '…'`,
 * `fullText contains '…'`, `modifiedTime (>|>=|<|<=) '…'`, joined with and / or / not and parentheses.
 */
export function compileDriveQuery(q: string, resolveId: (id: string) => string): FilePredicate {
  if (!q.trim()) return () => true;
  const tokens = q.match(/'(?:[^'\\]|\\.)*'|[()]|!=|>=|<=|[=<>]|[A-Za-z_]+/g) ?? [];
  const rest = q.replace(/'(?:[^'\\]|\\.)*'|[()]|!=|>=|<=|[=<>]|[A-Za-z_]+|\s+/g, "");
  if (rest) throw invalidQuery(q);
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const str = (): string => {
    const t = tokens[i++];
    if (!t?.startsWith("'")) throw invalidQuery(q);
    return t.slice(1, -1).replace(/\\(.)/g, "$1");
  };
  const term = (): FilePredicate => {
    if (peek() === "not") {
      i++;
      const inner = term();
      return (f, e) => !inner(f, e);
    }
    if (peek() === "(") {
      i++;
      const inner = or();
      if (tokens[i++] !== ")") throw invalidQuery(q);
      return inner;
    }
    if (tokens[i]?.startsWith("'")) {
      const value = str();
      if (peek() !== "in") throw invalidQuery(q);
      i++;
      const field = tokens[i++];
      if (field !== "parents") throw invalidQuery(q);
      const id = resolveId(value);
      return (f) => f.parents.includes(id);
    }
    const field = tokens[i++];
    const op = tokens[i++]?.toLowerCase();
    if (field === "trashed" && (op === "=" || op === "!=")) {
      const v = tokens[i++];
      if (v !== "true" && v !== "false") throw invalidQuery(q);
      return (f) => (f.trashed === (v === "true")) === (op === "=");
    }
    const value = str().toLowerCase();
    switch (`${field} ${op}`) {
      case "mimeType =":
        return (f) => f.mimeType.toLowerCase() === value;
      case "mimeType !=":
        return (f) => f.mimeType.toLowerCase() !== value;
      case "name =":
        return (f) => f.name.toLowerCase() === value;
      case "name contains":
        return (f) => f.name.toLowerCase().includes(value);
      case "fullText contains":
        return (f, e) => e.indexedText(f).includes(value);
      case "modifiedTime >":
        return (f) => f.modifiedTime > value.toUpperCase();
      case "modifiedTime >=":
        return (f) => f.modifiedTime >= value.toUpperCase();
      case "modifiedTime <":
        return (f) => f.modifiedTime < value.toUpperCase();
      case "modifiedTime <=":
        return (f) => f.modifiedTime <= value.toUpperCase();
    }
    throw invalidQuery(q);
  };
  const and = (): FilePredicate => {
    let left = term();
    while (peek() === "and") {
      i++;
      const l = left;
      const r = term();
      left = (f, e) => l(f, e) && r(f, e);
    }
    return left;
  };
  const or = (): FilePredicate => {
    let left = and();
    while (peek() === "or") {
      i++;
      const l = left;
      const r = and();
      left = (f, e) => l(f, e) || r(f, e);
    }
    return left;
  };
  const pred = or();
  if (i !== tokens.length) throw invalidQuery(q);
  return pred;
}

function invalidQuery(q: string): ApiError {
  return new ApiError(400, "Invalid Value", "invalid", { location: "q", locationType: "parameter", headers: { "x-emulator-query": encodeURIComponent(q).slice(0, 200) } });
}

// ---------------------------------------------------------------- Gmail `q`

interface GmailMatcher {
  test(m: EmuMessage, box: Mailbox): boolean;
  /** `in:anywhere`, `in:spam` or `in:trash` lift the default exclusion of SPAM and TRASH. */
  anywhere: boolean;
}

/**
 * The subset of Gmail search straymap and its tests use: words and "phrases" (all must appear, case-insensitive,
 * in the headers or text of the message), `OR` and `{a b}` alternatives, `-term`, `from:`, `to:`, `subject:`,
 * `label:`, `in:inbox|spam|trash|anywhere`, `after:`/`before:` (YYYY/MM/DD). Like Gmail, it does not look inside
 * base64-encoded attachments.
 */
export function compileGmailQuery(q: string): GmailMatcher {
  const tokens = q.match(/-?"[^"]*"|[{}]|-?[^\s{}"]+/g) ?? [];
  let anywhere = false;
  type P = (m: EmuMessage, box: Mailbox) => boolean;
  const atom = (tok: string): P => {
    const neg = tok.startsWith("-");
    const t = neg ? tok.slice(1) : tok;
    const p = positive(t);
    return neg ? (m, b) => !p(m, b) : p;
  };
  const positive = (t: string): P => {
    const op = t.match(/^([a-z]+):(.+)$/i);
    const text = (m: EmuMessage) => searchable(m.raw);
    if (!op) {
      const needle = t.replace(/^"|"$/g, "").toLowerCase();
      return (m) => text(m).includes(needle);
    }
    const [, key, rawValue] = op;
    const value = rawValue!.replace(/^"|"$/g, "").toLowerCase();
    switch (key!.toLowerCase()) {
      case "from":
      case "to":
      case "subject":
        return (m) => (headerValue(m.raw, key!.toLowerCase()) ?? "").toLowerCase().includes(value);
      case "label":
        return (m, b) => m.labelIds.some((id) => id.toLowerCase() === value || b.labels.find((l) => l.id === id)?.name.toLowerCase() === value);
      case "in":
        if (value === "anywhere" || value === "spam" || value === "trash") anywhere = true;
        return value === "anywhere" ? () => true : (m) => m.labelIds.includes(value.toUpperCase());
      case "after":
        return (m) => m.internalDate >= Date.parse(value.replace(/\//g, "-"));
      case "before":
        return (m) => m.internalDate < Date.parse(value.replace(/\//g, "-"));
      default:
        return (m) => text(m).includes(t.toLowerCase());
    }
  };
  // Build an AND of groups; a group is atoms joined by OR, or a {…} set.
  const groups: P[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let p: P;
    if (tokens[i] === "{") {
      const alts: P[] = [];
      while (tokens[++i] !== "}" && i < tokens.length) alts.push(atom(tokens[i]!));
      p = (m, b) => alts.some((a) => a(m, b));
    } else p = atom(tokens[i]!);
    if (tokens[i + 1] === "OR") {
      const alts: P[] = [p];
      while (tokens[i + 1] === "OR" && i + 2 < tokens.length) {
        i += 2;
        alts.push(atom(tokens[i]!));
      }
      p = (m, b) => alts.some((a) => a(m, b));
    }
    groups.push(p);
  }
  return { test: (m, b) => groups.every((g) => g(m, b)), anywhere };
}

/** Headers and the non-base64 text of a message, lower-cased, with quoted-printable soft breaks removed. */
function searchable(raw: Buffer): string {
  return raw
    .toString("latin1")
    .replace(/=\r?\n/g, "")
    .split(/\r?\n/)
    .filter((line) => !/^[A-Za-z0-9+/]{60,}={0,2}$/.test(line))
    .join("\n")
    .toLowerCase();
}

// ---------------------------------------------------------------- a service-account key for tests

/**
 * A service-account key file (JSON, as the Cloud console gives) whose token_uri is the emulator's,
 * registered with the emulator for domain-wide delegation. Returns the file's path; `dir` is the caller's temp folder.
 */
export function serviceAccountKeyFile(emu: GoogleEmulator, dir: string, clientEmail = "straymap-scanner@example-project.iam.gserviceaccount.com"): string {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  emu.addServiceAccount(clientEmail, publicKey);
  const file = join(dir, "service-account.json");
  writeFileSync(
    file,
    JSON.stringify({
      type: "service_account",
      project_id: "example-project",
      private_key_id: "0123456789abcdef",
      private_key: privateKey,
      client_email: clientEmail,
      client_id: "100000000000000000001",
      token_uri: `${emu.url}token`,
    }),
  );
  return file;
}
