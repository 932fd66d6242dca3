import type { EnumerateContext, Narrowed, OpenContext, ScannerModule, Source, SourceSession, SourceState } from "../src/engine/scanner.js";
import type { CustomerQuery } from "../src/match/customer.js";
import { memo, zod } from "../src/lazy.js";
import { folderFilter, pathFilter, type PathFilter } from "../src/sources/common.js";
import type { ContainerLink, CoverageEntry, Enumerated, Item } from "../src/types.js";
import { connectGraph, graphSettingsSchema, isNotFound, prefetched, type GraphApi, type GraphAuthSettings } from "./graph-client.js";

// OneDrives and SharePoint document libraries through Microsoft Graph (app-only, read-only: GET only).
// Each file is read through the shared readers from its /content endpoint, which redirects to a pre-authenticated
// download host (the Graph client drops the bearer token there). Recycled files are listed as skipped entries.

export interface GraphDriveSettings extends GraphAuthSettings {
  /** OneDrives of these users (user principal names), or "all" (listed through /users). */
  users?: string[] | "all";
  /** Every document library of each site: a site name (found through site search) or its URL. */
  sites?: string[];
  /** Only this folder of each drive (a path inside the drive). */
  folder?: string;
  include?: string[];
  exclude?: string[];
  /** List the sites' recycle bins (as skipped entries: Graph gives no content for recycled files). */
  recycleBin: boolean;
}

const settings = memo(() => {
  const z = zod();
  return graphSettingsSchema(z, {
    users: z.union([z.literal("all"), z.array(z.string().min(1))]).optional(),
    sites: z.array(z.string().min(1)).optional(),
    folder: z.string().optional(),
    include: z.array(z.string()).optional(),
    exclude: z.array(z.string()).optional(),
    recycleBin: z.boolean().default(true),
  }).refine((s) => s.users !== undefined || (s.sites?.length ?? 0) > 0, { message: "give users (a list, or all) or sites to read", path: ["users"] });
});

/** Files up to this size are downloaded ahead of the readers (see prefetched). */
const PREFETCH_MAX_BYTES = 4 * 1024 * 1024;
const ITEM_FIELDS = "id,name,size,file,folder,parentReference,webUrl,cTag,eTag,lastModifiedDateTime";
const DELTA_FIELDS = `${ITEM_FIELDS},root,deleted`;

interface DriveJson {
  id: string;
  name: string;
  webUrl?: string;
  sharePointIds?: { siteId?: string };
}
interface DriveItemJson {
  id: string;
  name: string;
  size?: number;
  webUrl?: string;
  cTag?: string;
  eTag?: string;
  lastModifiedDateTime?: string;
  file?: { mimeType?: string };
  folder?: { childCount?: number };
  parentReference?: { driveId?: string; id?: string; path?: string };
  root?: object;
  deleted?: { state?: string };
}

/** A drive item as a sweep remembers it between runs (see walkByDelta). */
interface KnownItem {
  name: string;
  parent?: string;
  folder?: boolean;
  file?: boolean;
  size?: number;
  cTag?: string;
  modified?: string;
  webUrl?: string;
  mimeType?: string;
  /** The path the webUrl was given for: a folder moved since changes the path, and the webUrl with it. */
  path?: string;
}
interface DriveDeltaState {
  deltaLink: string;
  rootId: string;
  items: Record<string, KnownItem>;
}
interface SiteJson {
  id: string;
  name?: string;
  displayName?: string;
  webUrl?: string;
}
interface RecycledJson {
  id: string;
  name?: string;
  title?: string;
  size?: number;
  deletedFromLocation?: string;
  deletedDateTime?: string;
}

/** A drive to walk, as people name it. */
interface Target {
  drive: DriveJson;
  label: string;
}

export class GraphDriveSource implements Source {
  readonly kind = "graph-drive";
  constructor(
    readonly id: string,
    private readonly s: GraphDriveSettings,
    private readonly configDir: string,
  ) {
    pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  async open(ctx: OpenContext): Promise<SourceSession> {
    const api = await connectGraph(this.s, this.configDir);
    // Downloads run ahead of the readers in scans, not in sweeps: an unchanged file must not be fetched at all.
    const window = ctx.job === "sweep" || ctx.limits.concurrency <= 1 ? 1 : ctx.limits.concurrency * 4;
    return new GraphDriveSession(this.id, this.s, api, window, ctx.state);
  }
}

class GraphDriveSession implements SourceSession {
  private readonly files: PathFilter;
  private readonly folders: PathFilter;

  constructor(
    private readonly id: string,
    private readonly s: GraphDriveSettings,
    private readonly api: GraphApi,
    private readonly window: number,
    /** Sweeps: what the last sweep saw of each drive, kept current with delta queries. */
    private readonly state?: SourceState,
  ) {
    this.files = pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
    this.folders = folderFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  enumerate(ctx: EnumerateContext): AsyncIterable<Enumerated> {
    return prefetched(this.everything(ctx), this.window, PREFETCH_MAX_BYTES);
  }

  private async *everything(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    for await (const t of this.targets()) {
      if (ctx.signal?.aborted) return;
      if ("settled" in t) {
        yield t;
        continue;
      }
      yield* this.state ? this.walkByDelta(t, this.state, ctx) : this.walk(t, ctx);
      if (this.s.recycleBin && t.drive.sharePointIds?.siteId && t.label.startsWith("OneDrive of ")) yield* this.recycleBin(t.drive.sharePointIds.siteId, t.label);
    }
  }

  /** The drives to read: users' OneDrives, then each site's libraries (and each site's recycle bin). */
  private async *targets(): AsyncGenerator<Target | { settled: CoverageEntry }> {
    const api = this.api;
    if (this.s.users) {
      const upns: AsyncIterable<string> =
        this.s.users === "all"
          ? (async function* () {
              for await (const page of api.pages<{ userPrincipalName: string }>("/users?$select=id,userPrincipalName&$top=999")) yield* page.map((u) => u.userPrincipalName);
            })()
          : (async function* (list: string[]) {
              yield* list;
            })(this.s.users);
      try {
        for await (const upn of upns) {
          const label = `OneDrive of ${upn}`;
          try {
            yield { drive: await api.get<DriveJson>(`/users/${encodeURIComponent(upn)}/drive?$select=id,name,webUrl,sharePointIds`), label };
          } catch (e) {
            // A user without a OneDrive (not licensed, never signed in) holds nothing to read: said, not failed.
            const none = isNotFound(e, "ResourceNotFound");
            yield this.entry(`${api.endpoint}/v1.0/users/${upn}/drive`, label, none ? "skipped" : "failed", none ? `no OneDrive for this user (${api.describe(e)})` : api.describe(e));
          }
        }
      } catch (e) {
        yield this.entry(`${api.endpoint}/v1.0/users`, "users", "failed", `could not list the users: ${api.describe(e)}`);
      }
    }
    for (const ref of this.s.sites ?? []) {
      let sites: SiteJson[];
      try {
        sites = await this.findSites(ref);
      } catch (e) {
        yield this.entry(`${api.endpoint}/v1.0/sites/${ref}`, `site ${ref}`, "failed", api.describe(e));
        continue;
      }
      if (!sites.length) {
        yield this.entry(`${api.endpoint}/v1.0/sites?search=${encodeURIComponent(ref)}`, `site ${ref}`, "failed", `no SharePoint site named "${ref}" (searched by name; give its URL instead)`);
        continue;
      }
      for (const site of sites) {
        const siteName = site.displayName ?? site.name ?? ref;
        try {
          for await (const page of api.pages<DriveJson>(`/sites/${site.id}/drives?$select=id,name,webUrl,sharePointIds`)) {
            for (const drive of page) yield { drive, label: `${siteName} / ${drive.name}` };
          }
        } catch (e) {
          yield this.entry(`${site.webUrl ?? `${api.endpoint}/v1.0/sites/${site.id}`}`, `site ${siteName}`, "failed", `could not list the document libraries: ${api.describe(e)}`);
          continue;
        }
        if (this.s.recycleBin) {
          for await (const e of this.recycleBin(site.id, siteName)) yield e as { settled: CoverageEntry };
        }
      }
    }
  }

  /** A site by URL (https://host/sites/Name) or by name through site search (exact name or display name). */
  private async findSites(ref: string): Promise<SiteJson[]> {
    if (/^https:\/\//i.test(ref)) {
      const url = new URL(ref);
      return [await this.api.get<SiteJson>(`/sites/${url.hostname}:${decodeURI(url.pathname).replace(/\/+$/, "")}`)];
    }
    const found: SiteJson[] = [];
    for await (const page of this.api.pages<SiteJson>(`/sites?search=${encodeURIComponent(ref)}`)) {
      found.push(...page.filter((s) => [s.name, s.displayName].some((n) => n?.toLowerCase() === ref.toLowerCase())));
    }
    return found;
  }

  /** Recycled files: listed, not readable through Graph, still copies someone must act on. */
  private async *recycleBin(siteId: string, label: string): AsyncGenerator<Enumerated> {
    const api = this.api;
    try {
      for await (const page of api.pages<RecycledJson>(`/sites/${siteId}/recycleBin/items`)) {
        for (const r of page) {
          const name = r.name ?? r.title ?? r.id;
          const path = [r.deletedFromLocation, name].filter(Boolean).join("/");
          const deleted = r.deletedDateTime ? ` (deleted ${r.deletedDateTime.slice(0, 10)})` : "";
          yield {
            settled: {
              ...this.entry(`${api.endpoint}/v1.0/sites/${siteId}/recycleBin/items/${r.id}`, path, "skipped", `in the recycle bin${deleted}: Graph gives no content for recycled files; restore it to scan it, or empty it from the site's recycle bin`).settled,
              drive: label,
              itemId: r.id,
              trashed: true,
              ...(r.size !== undefined ? { bytes: r.size } : {}),
            },
          };
        }
      }
    } catch (e) {
      yield this.entry(`${api.endpoint}/v1.0/sites/${siteId}/recycleBin/items`, `recycle bin of ${label}`, "failed", `could not list the recycle bin: ${api.describe(e)}`);
    }
  }

  /** Every file under the drive's root (or `folder`), folder by folder, page by page. */
  private async *walk(t: Target, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    const api = this.api;
    const driveId = t.drive.id;
    const top: ContainerLink = { kind: "drive", name: t.label, id: driveId };
    let start: DriveItemJson;
    const folder = this.s.folder?.replace(/^\/+|\/+$/g, "");
    try {
      start = await api.get<DriveItemJson>(folder ? `/drives/${driveId}/root:/${encodeURI(folder)}` : `/drives/${driveId}/root`);
    } catch (e) {
      const none = folder && isNotFound(e);
      yield this.entry(`${t.drive.webUrl ?? driveId}${folder ? `/${folder}` : ""}`, folder ?? "", none ? "skipped" : "failed", none ? `no folder "${folder}" in ${t.label}` : api.describe(e), t.label);
      return;
    }
    const stack: { id: string; path: string; chain: ContainerLink[] }[] = [{ id: start.id, path: folder ?? "", chain: folder ? [{ kind: "folder", name: folder, id: start.id }] : [] }];
    while (stack.length) {
      if (ctx.signal?.aborted) return;
      const dir = stack.pop()!;
      const subfolders: typeof stack = [];
      try {
        for await (const page of api.pages<DriveItemJson>(`/drives/${driveId}/items/${dir.id}/children?$select=${ITEM_FIELDS}&$top=999`)) {
          for (const child of page) {
            const path = dir.path ? `${dir.path}/${child.name}` : child.name;
            if (child.folder) {
              const skip = this.folders(path);
              if (skip) yield this.entry(child.webUrl ?? path, path, "skipped", skip, t.label, child.id);
              else subfolders.push({ id: child.id, path, chain: [...dir.chain, { kind: "folder", name: child.name, id: child.id }] });
              continue;
            }
            const skip = this.files(path);
            if (skip) yield this.entry(child.webUrl ?? path, path, "skipped", skip, t.label, child.id);
            else if (!child.file) yield this.entry(child.webUrl ?? path, path, "skipped", "not a file (a OneNote notebook, a package or a link)", t.label, child.id);
            else yield { item: this.item(driveId, child, path, t.label, [top, ...dir.chain]) };
          }
        }
      } catch (e) {
        yield this.entry(`${t.drive.webUrl ?? driveId}/${dir.path}`, dir.path, "failed", `could not list this folder: ${api.describe(e)}`, t.label, dir.id);
      }
      // Depth first, in name order.
      stack.push(...subfolders.reverse());
    }
  }

  /**
   * Sweeps: the drive's items from the last sweep, brought up to date with one delta query (only what changed
   * since is listed), then every file yielded as the walk would (the sweep cache decides what to read again).
   * Delta results carry no paths: they are rebuilt from parent ids, so moved folders move their files too.
   */
  private async *walkByDelta(t: Target, state: SourceState, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    const key = `delta:${t.drive.id}`;
    const saved = state.get<DriveDeltaState>(key);
    let known = new Map<string, KnownItem>(saved ? Object.entries(saved.items) : []);
    let rootId = saved?.rootId;
    const fresh = `/drives/${t.drive.id}/root/delta?$select=${DELTA_FIELDS}`;
    let deltaLink: string | undefined;
    for (const start of saved ? [saved.deltaLink, fresh] : [fresh]) {
      try {
        const pages = this.api.pages<DriveItemJson>(start);
        for (let r = await pages.next(); ; r = await pages.next()) {
          if (r.done) {
            deltaLink = r.value;
            break;
          }
          for (const x of r.value) {
            if (x.deleted) known.delete(x.id);
            else {
              if (x.root) rootId = x.id;
              known.set(x.id, { name: x.name, parent: x.parentReference?.id, folder: Boolean(x.folder), file: Boolean(x.file), size: x.size, cTag: x.cTag ?? x.eTag, modified: x.lastModifiedDateTime, webUrl: x.webUrl, mimeType: x.file?.mimeType });
            }
          }
        }
        break;
      } catch (e) {
        // An expired delta link (410 Gone, resyncRequired): list the drive again from scratch.
        const status = (e as { statusCode?: number }).statusCode;
        if (start !== fresh && (status === 410 || /resync/i.test(String((e as { code?: string }).code)))) {
          known = new Map();
          rootId = undefined;
          continue;
        }
        yield this.entry(t.drive.webUrl ?? t.drive.id, "", "failed", `could not list the drive's changes: ${this.api.describe(e)}`, t.label);
        return;
      }
    }
    if (!deltaLink || !rootId) {
      yield* this.walk(t, ctx);
      return;
    }
    const paths = new Map<string, string | undefined>([[rootId, ""]]);
    const pathOf = (id: string): string | undefined => {
      if (paths.has(id)) return paths.get(id);
      const k = known.get(id);
      const parent = k?.parent ? pathOf(k.parent) : undefined;
      const path = k && parent !== undefined ? (parent ? `${parent}/${k.name}` : k.name) : undefined;
      paths.set(id, path);
      return path;
    };
    const chain = (id: string | undefined): ContainerLink[] => {
      const links: ContainerLink[] = [];
      for (let cur = id; cur && cur !== rootId; cur = known.get(cur)?.parent) links.unshift({ kind: "folder", name: known.get(cur)!.name, id: cur });
      return links;
    };
    // Delta lists a moved folder, not what is inside it: the webUrl of what moved with it follows its new path
    // (a SharePoint webUrl is the library's plus the path inside it).
    for (const [id, k] of known) {
      const path = pathOf(id);
      if (path === undefined || path === k.path) continue;
      if (k.path !== undefined && t.drive.webUrl) k.webUrl = `${t.drive.webUrl}/${path.split("/").map(encodeURIComponent).join("/")}`;
      k.path = path;
    }
    state.set(key, { deltaLink, rootId, items: Object.fromEntries(known) } satisfies DriveDeltaState);

    const folder = this.s.folder?.replace(/^\/+|\/+$/g, "");
    const inScope = (path: string) => !folder || path === folder || path.startsWith(`${folder}/`);
    // A folder left out by an exclude glob is one skipped entry; nothing under it is listed.
    const excluded = (id: string | undefined): boolean => {
      for (let cur = id; cur && cur !== rootId; cur = known.get(cur)?.parent) {
        const k = known.get(cur);
        if (k?.folder && this.folders(pathOf(cur) ?? "")) return true;
      }
      return false;
    };
    const entries = [...known.entries()].map(([id, k]) => ({ id, k, path: pathOf(id) })).filter((e) => e.path !== undefined && e.id !== rootId && inScope(e.path!));
    entries.sort((a, b) => (a.path! < b.path! ? -1 : 1));
    for (const { id, k, path } of entries) {
      if (ctx.signal?.aborted) return;
      if (excluded(k.parent)) continue;
      if (k.folder) {
        const skip = this.folders(path!);
        if (skip) yield this.entry(k.webUrl ?? path!, path!, "skipped", skip, t.label, id);
        continue;
      }
      const skip = this.files(path!);
      if (skip) yield this.entry(k.webUrl ?? path!, path!, "skipped", skip, t.label, id);
      else if (!k.file) yield this.entry(k.webUrl ?? path!, path!, "skipped", "not a file (a OneNote notebook, a package or a link)", t.label, id);
      else {
        const json: DriveItemJson = { id, name: k.name, size: k.size, webUrl: k.webUrl, cTag: k.cTag, lastModifiedDateTime: k.modified, file: { mimeType: k.mimeType } };
        yield { item: this.item(t.drive.id, json, path!, t.label, [{ kind: "drive", name: t.label, id: t.drive.id }, ...chain(k.parent)]) };
      }
    }
  }

  private item(driveId: string, f: DriveItemJson, path: string, label: string, container: ContainerLink[]): Item {
    const content = `/drives/${driveId}/items/${f.id}/content`;
    return {
      source: this.id,
      uri: f.webUrl ?? `${this.api.endpoint}/v1.0${content}`,
      path,
      name: f.name,
      size: f.size,
      mtime: f.lastModifiedDateTime ? new Date(f.lastModifiedDateTime) : undefined,
      // cTag changes with the content only (a rename does not make a file worth reading again).
      etag: (f.cTag ?? f.eTag)?.replace(/"/g, ""),
      contentType: f.file?.mimeType,
      container,
      loc: { drive: label, itemId: f.id },
      open: () => this.api.stream(content),
      openPrefix: (bytes: number) => this.api.stream(content, `bytes=0-${bytes - 1}`),
    };
  }

  private entry(uri: string, path: string, status: "skipped" | "failed", text: string, drive?: string, itemId?: string): { settled: CoverageEntry } {
    return {
      settled: {
        source: this.id,
        uri,
        path,
        status,
        ...(status === "skipped" ? { reason: text } : { error: text }),
        ...(drive ? { drive } : {}),
        ...(itemId ? { itemId } : {}),
      },
    };
  }

  /** `scan --fast`: Microsoft Search (drive search(q=)) for each email and id, then the shared readers on the hits. */
  narrow(query: CustomerQuery, ctx: EnumerateContext): Narrowed {
    const terms = [...(query.emails ?? []), ...(query.ids ?? [])];
    const self = this;
    async function* candidates(): AsyncGenerator<Enumerated> {
      const seen = new Set<string>();
      for await (const t of self.targets()) {
        if (ctx.signal?.aborted) return;
        if ("settled" in t) {
          yield t;
          continue;
        }
        for (const term of terms) {
          const q = term.replace(/'/g, "''");
          try {
            for await (const page of self.api.pages<DriveItemJson>(`/drives/${t.drive.id}/root/search(q='${encodeURIComponent(q)}')?$select=id`)) {
              for (const hit of page) {
                if (seen.has(hit.id)) continue;
                seen.add(hit.id);
                // Search results carry no path: the item itself does.
                const f = await self.api.get<DriveItemJson>(`/drives/${t.drive.id}/items/${hit.id}?$select=${ITEM_FIELDS}`);
                if (!f.file) continue;
                const parent = decodeURIComponent(f.parentReference?.path?.replace(/^.*?root:\/?/, "") ?? "");
                const path = parent ? `${parent}/${f.name}` : f.name;
                if (self.s.folder && !`${path}/`.startsWith(`${self.s.folder.replace(/^\/+|\/+$/g, "")}/`)) continue;
                const skip = self.files(path);
                if (skip) yield self.entry(f.webUrl ?? path, path, "skipped", skip, t.label, f.id);
                else yield { item: self.item(t.drive.id, f, path, t.label, [{ kind: "drive", name: t.label, id: t.drive.id }, ...parent.split("/").filter(Boolean).map((name) => ({ kind: "folder", name }))]) };
              }
            }
          } catch (e) {
            yield self.entry(`${t.drive.webUrl ?? t.drive.id}?search=${encodeURIComponent(term)}`, "", "failed", `search failed in ${t.label}: ${self.api.describe(e)}`, t.label);
          }
        }
      }
    }
    return {
      items: prefetched(candidates(), this.window, PREFETCH_MAX_BYTES),
      method: "candidates from Microsoft Search (drive search(q=)) for each email and id, then read in full",
      caveat:
        "the search index matches whole words in files it has indexed: phone numbers, identifier variants (plus tags, encodings), files not yet indexed, content inside archives, and recycle-bin items are not covered; run without --fast to read every file",
    };
  }

  async close(): Promise<void> {}
}

export const graphDriveScanner: ScannerModule<GraphDriveSettings> = {
  kind: "graph-drive",
  description: "OneDrive and SharePoint document libraries through Microsoft Graph (app-only, read-only)",
  settings: settings as () => import("zod").ZodType<GraphDriveSettings>,
  create: (id, s, env) => new GraphDriveSource(id, s, env.configDir),
};
