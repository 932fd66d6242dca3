import type { EnumerateContext, Narrowed, OpenContext, ScannerModule, Source, SourceSession, SourceState } from "../src/engine/scanner.js";
import type { CustomerQuery } from "../src/match/customer.js";
import { memo, zod } from "../src/lazy.js";
import type { ContainerLink, CoverageEntry, Enumerated, Item } from "../src/types.js";
import { connectGraph, graphSettingsSchema, isNotFound, prefetched, type GraphApi, type GraphAuthSettings } from "./graph-client.js";

// Exchange Online mailboxes through Microsoft Graph (app-only, Mail.Read, GET only): every folder of every
// mailbox, child folders included, each message read as MIME ($value) through the shared mail reader.

export interface GraphMailSettings extends GraphAuthSettings {
  /** Mailboxes (user principal names), or "all" (listed through /users). */
  users: string[] | "all";
}

const settings = memo(() => {
  const z = zod();
  return graphSettingsSchema(z, {
    users: z.union([z.literal("all"), z.array(z.string().min(1)).min(1, "name at least one mailbox, or all")]),
  });
});

/** Messages up to this size are downloaded ahead of the readers in scans (see prefetched). */
const PREFETCH_MAX_BYTES = 4 * 1024 * 1024;
const MESSAGE_FIELDS = "id,internetMessageId,receivedDateTime,subject,changeKey,parentFolderId";

interface FolderJson {
  id: string;
  displayName: string;
  childFolderCount?: number;
  totalItemCount?: number;
}
interface MessageJson {
  id: string;
  internetMessageId?: string;
  receivedDateTime?: string;
  changeKey?: string;
  "@odata.etag"?: string;
  parentFolderId?: string;
  "@removed"?: { reason?: string };
}

/** A folder's messages as a sweep remembers them, kept current with the folder's message delta. */
interface FolderDeltaState {
  deltaLink: string;
  messages: Record<string, { internetMessageId?: string; receivedDateTime?: string }>;
}

export class GraphMailSource implements Source {
  readonly kind = "graph-mail";
  constructor(
    readonly id: string,
    private readonly s: GraphMailSettings,
    private readonly configDir: string,
  ) {}

  async open(ctx: OpenContext): Promise<SourceSession> {
    // Downloads run ahead of the readers in scans, not in sweeps: a message read before must not be fetched again.
    const window = ctx.job === "sweep" || ctx.limits.concurrency <= 1 ? 1 : ctx.limits.concurrency * 4;
    return new GraphMailSession(this.id, this.s, await connectGraph(this.s, this.configDir), window, ctx.state);
  }
}

class GraphMailSession implements SourceSession {
  constructor(
    private readonly id: string,
    private readonly s: GraphMailSettings,
    private readonly api: GraphApi,
    private readonly window: number,
    /** Sweeps: each folder's message delta link and the messages it has seen. */
    private readonly state?: SourceState,
  ) {}

  private async *mailboxes(): AsyncGenerator<string | { settled: CoverageEntry }> {
    if (this.s.users !== "all") {
      yield* this.s.users;
      return;
    }
    try {
      for await (const page of this.api.pages<{ userPrincipalName: string }>("/users?$select=id,userPrincipalName&$top=999")) yield* page.map((u) => u.userPrincipalName);
    } catch (e) {
      yield this.entry(`${this.api.endpoint}/v1.0/users`, "users", "failed", `could not list the users: ${this.api.describe(e)}`);
    }
  }

  enumerate(ctx: EnumerateContext): AsyncIterable<Enumerated> {
    return prefetched(this.everything(ctx), this.window, PREFETCH_MAX_BYTES);
  }

  private async *everything(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    for await (const user of this.mailboxes()) {
      if (ctx.signal?.aborted) return;
      if (typeof user !== "string") {
        yield user;
        continue;
      }
      yield* this.mailbox(user, ctx);
    }
  }

  /** Every folder, depth first from the top-level ones, then every message in each. */
  private async *mailbox(user: string, ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    const api = this.api;
    const base = `/users/${encodeURIComponent(user)}`;
    const stack: { folder: FolderJson; path: string }[] = [];
    try {
      const top: FolderJson[] = [];
      for await (const page of api.pages<FolderJson>(`${base}/mailFolders?$top=100&includeHiddenFolders=true`)) top.push(...page);
      stack.push(...top.reverse().map((folder) => ({ folder, path: folder.displayName })));
    } catch (e) {
      // No Exchange Online licence (or an on-premises mailbox): nothing Graph can read, said once for the user.
      const none = isNotFound(e, "MailboxNotEnabledForRESTAPI");
      yield this.entry(`${api.endpoint}/v1.0${base}/mailFolders`, `mailbox of ${user}`, none ? "skipped" : "failed", none ? `no Exchange Online mailbox (${api.describe(e)})` : api.describe(e), user);
      return;
    }
    while (stack.length) {
      if (ctx.signal?.aborted) return;
      const { folder, path } = stack.pop()!;
      const container: ContainerLink[] = [
        { kind: "mailbox", name: user },
        ...path.split("/").map((name, i, all) => ({ kind: "folder", name, ...(i === all.length - 1 ? { id: folder.id } : {}) })),
      ];
      try {
        if (this.state) {
          for (const m of await this.folderByDelta(user, folder.id, this.state)) yield { item: this.item(user, path, m, container) };
        } else {
          for await (const page of api.pages<MessageJson>(`${base}/mailFolders/${folder.id}/messages?$select=${MESSAGE_FIELDS}&$top=100`)) {
            for (const m of page) yield { item: this.item(user, path, m, container) };
          }
        }
      } catch (e) {
        yield this.entry(`${api.endpoint}/v1.0${base}/mailFolders/${folder.id}`, `${user}/${path}`, "failed", `could not list the messages of ${path}: ${api.describe(e)}`, user, path);
      }
      if (folder.childFolderCount === 0) continue;
      try {
        const children: FolderJson[] = [];
        for await (const page of api.pages<FolderJson>(`${base}/mailFolders/${folder.id}/childFolders?$top=100&includeHiddenFolders=true`)) children.push(...page);
        stack.push(...children.reverse().map((child) => ({ folder: child, path: `${path}/${child.displayName}` })));
      } catch (e) {
        yield this.entry(`${api.endpoint}/v1.0${base}/mailFolders/${folder.id}/childFolders`, `${user}/${path}`, "failed", `could not list the folders inside ${path}: ${api.describe(e)}`, user, path);
      }
    }
  }

  /**
   * Sweeps: a folder's messages from the last sweep, brought up to date with the folder's message delta (Graph
   * has no mailbox-wide one), so that only what arrived, changed or left since is listed. An expired delta
   * link (410) lists the folder again from the start.
   */
  private async folderByDelta(user: string, folderId: string, state: SourceState): Promise<MessageJson[]> {
    const key = `mail:${user}:${folderId}`;
    const saved = state.get<FolderDeltaState>(key);
    const fresh = `/users/${encodeURIComponent(user)}/mailFolders/${folderId}/messages/delta?$select=${MESSAGE_FIELDS}`;
    for (const start of saved ? [saved.deltaLink, fresh] : [fresh]) {
      const messages = new Map(start === fresh ? [] : Object.entries(saved!.messages));
      try {
        const pages = this.api.pages<MessageJson>(start);
        for (let r = await pages.next(); ; r = await pages.next()) {
          if (r.done) {
            if (!r.value) throw new Error("Graph ended the message delta without a delta link");
            state.set(key, { deltaLink: r.value, messages: Object.fromEntries(messages) } satisfies FolderDeltaState);
            return [...messages].map(([id, m]) => ({ id, ...m }));
          }
          for (const m of r.value) {
            if (m["@removed"]) messages.delete(m.id);
            else messages.set(m.id, { internetMessageId: m.internetMessageId, receivedDateTime: m.receivedDateTime });
          }
        }
      } catch (e) {
        if (start === fresh || (e as { statusCode?: number }).statusCode !== 410) throw e;
      }
    }
    throw new Error("unreachable");
  }

  private item(user: string, folder: string, m: MessageJson, container: ContainerLink[]): Item {
    const value = `/users/${encodeURIComponent(user)}/messages/${m.id}/$value`;
    return {
      source: this.id,
      uri: `${this.api.endpoint}/v1.0/users/${user}/messages/${m.id}`,
      path: `${user}/${folder}/${m.id}`,
      name: `${m.id}.eml`,
      mtime: m.receivedDateTime ? new Date(m.receivedDateTime) : undefined,
      // A message's content does not change in Exchange; its change key moves with flags and moves only.
      etag: m.id,
      contentType: "message/rfc822",
      container,
      loc: {
        user,
        folder,
        graphId: m.id,
        ...(m.internetMessageId ? { messageId: m.internetMessageId } : {}),
        ...(m.receivedDateTime ? { date: m.receivedDateTime } : {}),
      },
      open: () => this.api.stream(value),
    };
  }

  private entry(uri: string, path: string, status: "skipped" | "failed", text: string, user?: string, folder?: string): { settled: CoverageEntry } {
    return { settled: { source: this.id, uri, path, status, ...(status === "skipped" ? { reason: text } : { error: text }), ...(user ? { user } : {}), ...(folder ? { folder } : {}) } };
  }

  /** `scan --fast`: the mailbox's $search (Microsoft Search) for each email and id, then the mail reader on the hits. */
  narrow(query: CustomerQuery, ctx: EnumerateContext): Narrowed {
    const terms = [...(query.emails ?? []), ...(query.ids ?? [])];
    const self = this;
    async function* candidates(): AsyncGenerator<Enumerated> {
      for await (const user of self.mailboxes()) {
        if (ctx.signal?.aborted) return;
        if (typeof user !== "string") {
          yield user;
          continue;
        }
        const base = `/users/${encodeURIComponent(user)}`;
        const folders = new Map<string, string>();
        const seen = new Set<string>();
        try {
          for (const term of terms) {
            const search = encodeURIComponent(`"${term.replace(/"/g, "")}"`);
            for await (const page of self.api.pages<MessageJson>(`${base}/messages?$search=${search}&$select=${MESSAGE_FIELDS}`)) {
              for (const m of page) {
                if (seen.has(m.id)) continue;
                seen.add(m.id);
                const folder = await self.folderPath(base, m.parentFolderId, folders);
                yield { item: self.item(user, folder, m, [{ kind: "mailbox", name: user }, ...folder.split("/").map((name) => ({ kind: "folder", name }))]) };
              }
            }
          }
        } catch (e) {
          const none = isNotFound(e, "MailboxNotEnabledForRESTAPI");
          yield self.entry(`${self.api.endpoint}/v1.0${base}/messages`, `mailbox of ${user}`, none ? "skipped" : "failed", none ? `no Exchange Online mailbox (${self.api.describe(e)})` : `search failed: ${self.api.describe(e)}`, user);
        }
      }
    }
    return {
      items: prefetched(candidates(), this.window, PREFETCH_MAX_BYTES),
      method: "candidates from Microsoft Search ($search on messages) for each email and id, then read in full",
      caveat:
        "the mailbox search index matches words it has indexed: phone numbers, identifier variants (plus tags, encodings), mail that arrived moments ago, and attachment types Exchange does not index are not covered; run without --fast to read every message",
    };
  }

  /** A folder's display path, e.g. Inbox/Customers, from its id (walking parentFolderId up). */
  private async folderPath(base: string, id: string | undefined, cache: Map<string, string>): Promise<string> {
    if (!id) return "";
    const known = cache.get(id);
    if (known !== undefined) return known;
    const f = await this.api.get<FolderJson & { parentFolderId?: string }>(`${base}/mailFolders/${id}?$select=id,displayName,parentFolderId`);
    let parent = "";
    try {
      parent = f.parentFolderId ? await this.folderPath(base, f.parentFolderId, cache) : "";
    } catch {
      parent = ""; // the mailbox root ("Top of Information Store") is not a folder people name
    }
    const path = parent ? `${parent}/${f.displayName}` : f.displayName;
    cache.set(id, path);
    return path;
  }

  async close(): Promise<void> {}
}

export const graphMailScanner: ScannerModule<GraphMailSettings> = {
  kind: "graph-mail",
  description: "Outlook / Exchange Online mailboxes through Microsoft Graph: every folder, each message as MIME (app-only, read-only)",
  settings: settings as () => import("zod").ZodType<GraphMailSettings>,
  create: (id, s, env) => new GraphMailSource(id, s, env.configDir),
};
