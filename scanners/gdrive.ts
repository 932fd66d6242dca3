import type { Readable } from "node:stream";
import type { drive_v3 } from "googleapis";
import type { EnumerateContext, Narrowed, OpenContext, ScannerModule, Source, SourceSession, SourceState } from "../src/engine/scanner.js";
import { memo, zod } from "../src/lazy.js";
import type { CustomerQuery } from "../src/match/customer.js";
import { SkipError } from "../src/readers/types.js";
import { folderFilter, pathFilter, type PathFilter } from "../src/sources/common.js";
import type { ContainerLink, CoverageEntry, Enumerated, Item } from "../src/types.js";
import {
  GoogleAuth,
  SCOPES,
  call,
  checkGoogleSettings,
  clientOptions,
  describeGoogleError,
  googleError,
  googleFields,
  listUsers,
  loadGoogle,
  type Google,
  type GoogleSettings,
} from "./google-common.js";

// Google Drive: each user's My Drive and the shared drives, walked folder by folder
// (GET only, drive.readonly). Binary files are downloaded (alt=media); native Google
// files are exported: Sheets as XLSX (every sheet: a CSV export has the first only),
// Docs and Slides as text. Trashed files are read too, and marked.

export interface GdriveSettings extends GoogleSettings {
  /** Shared drives to read: all the account can see, none, or names / ids. */
  sharedDrives: "all" | "none" | string[];
  /** Only under this folder ("Finance/Exports") of each drive. */
  folder?: string;
  include?: string[];
  exclude?: string[];
  /** Read trashed files (default true: a file in the trash is still a copy). */
  trash: boolean;
}

const settings = memo(() => {
  const z = zod();
  return z
    .object({
      ...googleFields(),
      sharedDrives: z.union([z.literal("all"), z.literal("none"), z.array(z.string().min(1)).min(1)]).default("all"),
      folder: z.string().min(1).optional(),
      include: z.array(z.string()).optional(),
      exclude: z.array(z.string()).optional(),
      trash: z.boolean().default(true),
    })
    .strict();
});

const FOLDER = "application/vnd.google-apps.folder";
const SHORTCUT = "application/vnd.google-apps.shortcut";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Docs Editors files and the export straymap reads them through. */
const EXPORTS: Record<string, { mimeType: string; what: string; suffix: string }> = {
  "application/vnd.google-apps.spreadsheet": { mimeType: XLSX, what: "Google Sheet", suffix: ".xlsx" },
  "application/vnd.google-apps.document": { mimeType: "text/plain", what: "Google Doc", suffix: ".txt" },
  "application/vnd.google-apps.presentation": { mimeType: "text/plain", what: "Google Slides", suffix: ".txt" },
};

/** Every field coverage, locations and incremental sweeps need, and no more. */
const FILE_FIELDS = "id,name,mimeType,size,modifiedTime,md5Checksum,version,parents,trashed,driveId,webViewLink";
const LIST_FIELDS = `nextPageToken,files(${FILE_FIELDS})`;

/** One drive to walk: a user's My Drive or a shared drive, and who reads it. */
interface DriveRef {
  /** "My Drive of finance@yourco.com", or the shared drive's name. */
  name: string;
  /** The id of its root folder (a shared drive's id is its root's). */
  rootId: string;
  /** Set for shared drives. */
  driveId?: string;
  api: drive_v3.Drive;
}

interface FolderRef {
  id: string;
  path: string;
  chain: ContainerLink[];
}

export class GdriveSource implements Source {
  readonly kind = "gdrive";

  constructor(
    readonly id: string,
    private readonly s: GdriveSettings,
    private readonly configDir: string,
  ) {
    checkGoogleSettings(id, s);
    pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  async open(ctx: OpenContext): Promise<SourceSession> {
    const google = await loadGoogle();
    return new GdriveSession(this.id, this.s, google, new GoogleAuth(google, this.s, [SCOPES.drive], this.configDir), ctx.state);
  }
}

class GdriveSession implements SourceSession {
  readonly concurrency: number;
  private readonly filter: PathFilter;
  /** An exclude glob naming a folder ("Archive/**") leaves the whole folder out, as one skipped entry. */
  private readonly folders: PathFilter;

  constructor(
    private readonly id: string,
    private readonly s: GdriveSettings,
    private readonly google: Google,
    private readonly auth: GoogleAuth,
    /** Sweeps: each drive's changes page token, to note files removed since the last sweep. */
    private readonly state?: SourceState,
  ) {
    this.filter = pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
    this.folders = folderFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
    this.concurrency = s.concurrency;
  }

  async close(): Promise<void> {}

  async *enumerate(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    for await (const drive of this.drives()) {
      if ("settled" in drive) {
        yield drive;
        continue;
      }
      if (this.state) yield* this.removedSinceLastSweep(drive, ctx);
      yield* this.walk(drive, ctx);
    }
  }

  /**
   * Sweeps: files removed from this drive since the last sweep (Drive's changes API, from the page
   * token kept then), each noted as a skipped entry; then the token for the next sweep.
   */
  private async *removedSinceLastSweep(drive: DriveRef, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    const key = `changes:${drive.driveId ?? drive.name}`;
    const flags = drive.driveId ? { driveId: drive.driveId, includeItemsFromAllDrives: true, supportsAllDrives: true } : { restrictToMyDrive: true, supportsAllDrives: true };
    const previous = this.state!.get<string>(key);
    try {
      // Taken before listing: what changes while this sweep lists is seen by the next one.
      const start = await call(`asking Drive for a changes token of ${drive.name}`, () =>
        drive.api.changes.getStartPageToken({ supportsAllDrives: true, ...(drive.driveId ? { driveId: drive.driveId } : {}) }),
      );
      let pageToken = previous;
      while (pageToken && !ctx.signal?.aborted) {
        const res = await call(`listing changes of ${drive.name} since the last sweep`, () =>
          drive.api.changes.list({ pageToken, pageSize: 1000, includeRemoved: true, fields: "nextPageToken,newStartPageToken,changes(fileId,removed)", ...flags }),
        );
        for (const c of res.data.changes ?? []) {
          if (!c.removed) continue; // changed files are told apart by their md5 or version when listed
          yield { settled: { source: this.id, uri: `https://drive.google.com/file/d/${c.fileId}/view`, path: "", drive: drive.name, fileId: c.fileId!, status: "skipped", reason: "removed from Drive since the last sweep" } };
        }
        pageToken = res.data.nextPageToken ?? undefined;
      }
      if (start.data.startPageToken) this.state!.set(key, start.data.startPageToken);
    } catch (e) {
      yield { settled: { source: this.id, uri: `gdrive://${encodeURIComponent(drive.name)}/changes`, path: "", drive: drive.name, status: "failed", error: (e as Error).message } };
    }
  }

  /** Ask Drive's full-text index for files holding one of the identifiers; they are then read whole. */
  narrow(query: CustomerQuery, ctx: EnumerateContext): Narrowed {
    const terms = [...(query.emails ?? []), ...(query.ids ?? []), ...(query.phones ?? [])];
    const text = terms.map((t) => `fullText contains '${t.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(" or ");
    const q = `(${text})${this.s.trash ? "" : " and trashed = false"}`;
    const self = this;
    async function* items(): AsyncGenerator<Enumerated> {
      for await (const drive of self.drives()) {
        if ("settled" in drive) {
          yield drive;
          continue;
        }
        yield* self.searched(drive, q, ctx);
      }
    }
    return {
      items: items(),
      method: "searched by provider index (Drive fullText contains)",
      caveat: "variants (plus tags, encodings, other phone formats) not covered; Drive indexes the text of common documents, not every file type or archive member",
    };
  }

  // ------------------------------------------------------------ which drives

  /** My Drive of each user (or of the credential's own identity), then each shared drive once. */
  private async *drives(): AsyncGenerator<DriveRef | { settled: CoverageEntry }> {
    const seenDrives = new Set<string>();
    const wanted = Array.isArray(this.s.sharedDrives) ? new Set(this.s.sharedDrives) : undefined;
    const found = new Set<string>();
    const principals: AsyncIterable<{ email?: string; suspended: boolean }> = this.s.users && this.auth.delegated ? listUsers(this.google, this.auth, this.s) : one();
    for await (const user of principals) {
      const label = user.email ? `My Drive of ${user.email}` : "My Drive";
      if (user.suspended) {
        yield { settled: { source: this.id, uri: `gdrive://${user.email}/my-drive`, path: "", drive: label, status: "skipped", reason: "suspended user: not read" } };
        continue;
      }
      let api: drive_v3.Drive;
      let rootId: string;
      let name = label;
      try {
        api = this.google.drive({ version: "v3", ...clientOptions(this.s, await this.auth.for(user.email)) });
        const root = await call(`opening ${label}`, () => api.files.get({ fileId: "root", fields: "id" }));
        rootId = root.data.id!;
        if (!user.email) {
          const about = await call("asking Drive who the token belongs to", () => api.about.get({ fields: "user(emailAddress)" }));
          name = `My Drive of ${about.data.user?.emailAddress ?? "the token's user"}`;
        }
      } catch (e) {
        yield { settled: { source: this.id, uri: `gdrive://${user.email ?? "me"}/my-drive`, path: "", drive: label, status: "failed", error: (e as Error).message } };
        continue;
      }
      yield { name, rootId, api };
      if (this.s.sharedDrives === "none") continue;
      let drives: drive_v3.Schema$Drive[];
      try {
        drives = await this.sharedDrivesOf(api, name);
      } catch (e) {
        yield { settled: { source: this.id, uri: `gdrive://${user.email ?? "me"}/shared-drives`, path: "", status: "failed", error: (e as Error).message } };
        continue;
      }
      for (const d of drives) {
        if (seenDrives.has(d.id!)) continue;
        if (wanted && !wanted.has(d.id!) && !wanted.has(d.name!)) continue;
        seenDrives.add(d.id!);
        found.add(d.id!).add(d.name!);
        yield { name: d.name!, rootId: d.id!, driveId: d.id!, api };
      }
    }
    for (const w of wanted ?? []) {
      if (!found.has(w)) yield { settled: { source: this.id, uri: `gdrive://shared-drives/${encodeURIComponent(w)}`, path: "", drive: w, status: "failed", error: `shared drive "${w}" not found: no user read by this source is a member of it` } };
    }
    async function* one() {
      yield { email: undefined, suspended: false };
    }
  }

  private async sharedDrivesOf(api: drive_v3.Drive, who: string): Promise<drive_v3.Schema$Drive[]> {
    const out: drive_v3.Schema$Drive[] = [];
    let pageToken: string | undefined;
    do {
      const res = await call(`listing the shared drives visible from ${who}`, () => api.drives.list({ pageSize: 100, pageToken, fields: "nextPageToken,drives(id,name)" }));
      out.push(...(res.data.drives ?? []));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  // ------------------------------------------------------------ walking a drive

  private listParams(drive: DriveRef): drive_v3.Params$Resource$Files$List {
    return drive.driveId
      ? { corpora: "drive", driveId: drive.driveId, includeItemsFromAllDrives: true, supportsAllDrives: true }
      : { corpora: "user", supportsAllDrives: true };
  }

  /** Pages of a folder's children (trashed ones too unless trash: false). */
  private async *children(drive: DriveRef, folder: FolderRef, ctx: EnumerateContext): AsyncGenerator<drive_v3.Schema$File[]> {
    let pageToken: string | undefined;
    do {
      if (ctx.signal?.aborted) return;
      const q = `'${folder.id}' in parents${this.s.trash ? "" : " and trashed = false"}`;
      const res = await call(`listing ${folder.path || "the top folder"} in ${drive.name}`, () =>
        drive.api.files.list({ ...this.listParams(drive), q, pageSize: 1000, pageToken, fields: LIST_FIELDS }, { signal: ctx.signal } as object),
      );
      yield res.data.files ?? [];
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  /** The folder `folder:` names inside this drive, or a settled entry saying it is not there. */
  private async start(drive: DriveRef, ctx: EnumerateContext): Promise<FolderRef | undefined> {
    let at: FolderRef = { id: drive.rootId, path: "", chain: [{ kind: "drive", name: drive.name, id: drive.driveId ?? drive.rootId }] };
    for (const part of (this.s.folder ?? "").split("/").filter(Boolean)) {
      let next: FolderRef | undefined;
      for await (const page of this.children(drive, at, ctx)) {
        const f = page.find((x) => x.mimeType === FOLDER && x.name === part);
        if (f) {
          next = { id: f.id!, path: at.path ? `${at.path}/${part}` : part, chain: [...at.chain, { kind: "folder", name: part, id: f.id! }] };
          break;
        }
      }
      if (!next) return undefined;
      at = next;
    }
    return at;
  }

  private async *walk(drive: DriveRef, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    const driveUri = `gdrive://${encodeURIComponent(drive.name)}`;
    let top: FolderRef | undefined;
    try {
      top = await this.start(drive, ctx);
    } catch (e) {
      yield { settled: { source: this.id, uri: driveUri, path: "", drive: drive.name, status: "failed", error: (e as Error).message } };
      return;
    }
    if (!top) {
      yield { settled: { source: this.id, uri: driveUri, path: this.s.folder!, drive: drive.name, status: "skipped", reason: `no folder ${this.s.folder} in ${drive.name}` } };
      return;
    }
    // Breadth first; folders wait as ids and paths only, files are yielded page by page.
    const queue: FolderRef[] = [top];
    while (queue.length) {
      const folder = queue.shift()!;
      try {
        for await (const page of this.children(drive, folder, ctx)) {
          for (const f of page) {
            if (ctx.signal?.aborted) return;
            const path = folder.path ? `${folder.path}/${f.name}` : f.name!;
            if (f.mimeType === FOLDER) {
              const excluded = this.folders(path);
              if (excluded) yield { settled: { source: this.id, uri: f.webViewLink ?? `https://drive.google.com/drive/folders/${f.id}`, path, drive: drive.name, fileId: f.id!, status: "skipped", reason: excluded } };
              else queue.push({ id: f.id!, path, chain: [...folder.chain, { kind: "folder", name: f.name!, id: f.id! }] });
              continue;
            }
            yield this.entry(drive, folder, f, path);
          }
        }
      } catch (e) {
        if (ctx.signal?.aborted) return;
        // One unreadable folder is one failed entry; the rest of the drive is read.
        yield { settled: { source: this.id, uri: `https://drive.google.com/drive/folders/${folder.id}`, path: folder.path, drive: drive.name, fileId: folder.id, status: "failed", error: (e as Error).message } };
      }
    }
  }

  /** An item to read, or a settled entry (excluded, a shortcut, a Google file with nothing to export). */
  private entry(drive: DriveRef, folder: FolderRef, f: drive_v3.Schema$File, path: string): Enumerated {
    const loc = { drive: drive.name, fileId: f.id!, ...(f.trashed ? { trashed: true } : {}) };
    const uri = f.webViewLink ?? `https://drive.google.com/file/d/${f.id}/view`;
    const skip = (reason: string): Enumerated => ({ settled: { source: this.id, uri, path, ...loc, status: "skipped", reason } });
    const filtered = this.filter(path);
    if (filtered) return skip(filtered);
    if (f.mimeType === SHORTCUT) return skip("shortcut: its target is read where it lives");
    const exp = EXPORTS[f.mimeType!];
    if (!exp && f.mimeType?.startsWith("application/vnd.google-apps.")) return skip(`${f.mimeType.slice(28)}: a Google file type with no export straymap reads`);
    const item: Item = {
      source: this.id,
      uri,
      path,
      // Exports are named for their format so the readers' fallbacks agree with contentType.
      name: exp ? `${f.name}${exp.suffix}` : f.name!,
      size: f.size ? Number(f.size) : undefined,
      mtime: f.modifiedTime ? new Date(f.modifiedTime) : undefined,
      // Unchanged content keeps its md5 (binary) or version (native): a later sweep does not read it again.
      etag: f.md5Checksum ?? `v${f.version}`,
      contentType: exp ? exp.mimeType : (f.mimeType ?? undefined),
      container: folder.chain,
      loc,
      open: () => (exp ? this.exportFile(drive, f, exp, path) : this.download(drive, f, path)),
      ...(exp ? {} : { openPrefix: (bytes: number) => this.download(drive, f, path, `bytes=0-${bytes - 1}`) }),
    };
    return { item };
  }

  /** Items the full-text search returned, with their folder path rebuilt from parents. */
  private async *searched(drive: DriveRef, q: string, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    const folders = new Map<string, FolderRef>([[drive.rootId, { id: drive.rootId, path: "", chain: [{ kind: "drive", name: drive.name, id: drive.driveId ?? drive.rootId }] }]]);
    const folderOf = async (id: string): Promise<FolderRef | undefined> => {
      const known = folders.get(id);
      if (known) return known;
      const res = await call(`reading folder ${id} in ${drive.name}`, () => drive.api.files.get({ fileId: id, supportsAllDrives: true, fields: "id,name,parents" }));
      const parent = res.data.parents?.[0] ? await folderOf(res.data.parents[0]) : undefined;
      if (!parent) return undefined; // not under this drive's root (shared with the user, not in their My Drive)
      const ref = { id, path: parent.path ? `${parent.path}/${res.data.name}` : res.data.name!, chain: [...parent.chain, { kind: "folder", name: res.data.name!, id }] };
      folders.set(id, ref);
      return ref;
    };
    let pageToken: string | undefined;
    try {
      do {
        if (ctx.signal?.aborted) return;
        const params = drive.driveId ? this.listParams(drive) : { corpora: "user", supportsAllDrives: true };
        const res = await call(`searching ${drive.name}`, () => drive.api.files.list({ ...params, q: `${q} and mimeType != '${FOLDER}'`, pageSize: 1000, pageToken, fields: LIST_FIELDS }));
        for (const f of res.data.files ?? []) {
          if (!drive.driveId && f.driveId) continue;
          const folder = f.parents?.[0] ? await folderOf(f.parents[0]) : undefined;
          if (!folder) continue;
          const path = folder.path ? `${folder.path}/${f.name}` : f.name!;
          if (this.s.folder && !`${path}/`.startsWith(`${this.s.folder.replace(/\/+$/, "")}/`)) continue;
          yield this.entry(drive, folder, f, path);
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      yield { settled: { source: this.id, uri: `gdrive://${encodeURIComponent(drive.name)}`, path: "", drive: drive.name, status: "failed", error: (e as Error).message } };
    }
  }

  // ------------------------------------------------------------ reading

  private async download(drive: DriveRef, f: drive_v3.Schema$File, path: string, range?: string): Promise<Readable> {
    return this.stream(`downloading ${path} from ${drive.name}`, () =>
      drive.api.files.get({ fileId: f.id!, alt: "media", supportsAllDrives: true }, { responseType: "stream", ...(range ? { headers: { Range: range } } : {}) }),
    );
  }

  private async exportFile(drive: DriveRef, f: drive_v3.Schema$File, exp: { mimeType: string; what: string }, path: string): Promise<Readable> {
    return this.stream(`exporting the ${exp.what} ${path} from ${drive.name} as ${exp.mimeType === XLSX ? "XLSX" : "text"}`, () =>
      drive.api.files.export({ fileId: f.id!, mimeType: exp.mimeType }, { responseType: "stream" }),
    );
  }

  private async stream(what: string, fn: () => Promise<{ data: unknown }>): Promise<Readable> {
    try {
      return (await fn()).data as Readable;
    } catch (e) {
      // A file removed or unshared between listing and reading is no longer a copy here.
      if (googleError(e).status === 404) throw new SkipError(`removed or no longer shared since it was listed (${describeGoogleError(what, e)})`);
      throw new Error(describeGoogleError(what, e));
    }
  }
}

export const gdriveScanner: ScannerModule<GdriveSettings> = {
  kind: "gdrive",
  description: "Google Drive: users' My Drives and shared drives (native Sheets as XLSX, Docs and Slides as text, trash included), read-only",
  settings: () => settings() as unknown as ReturnType<ScannerModule<GdriveSettings>["settings"]>,
  create: (id, s, env) => new GdriveSource(id, s, env.configDir),
};
