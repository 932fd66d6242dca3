import { Readable } from "node:stream";
import type { gmail_v1 } from "googleapis";
import type { EnumerateContext, Narrowed, OpenContext, ScannerModule, Source, SourceSession } from "../src/engine/scanner.js";
import { memo, zod } from "../src/lazy.js";
import type { CustomerQuery } from "../src/match/customer.js";
import { SkipError } from "../src/readers/types.js";
import type { CoverageEntry, Enumerated, Item } from "../src/types.js";
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

// Gmail: every message of each mailbox, SPAM and TRASH included, fetched as raw MIME
// (format=raw, gmail.readonly) and read by the shared mail reader, so headers, bodies
// and attachments (CSV, XLSX, zip …) are searched. Labels come from one cheap id-only
// listing per label, so each message costs a single GET.

export interface GmailSettings extends GoogleSettings {
  /** Labels to read (names or ids), or all: every message, SPAM and TRASH included. */
  labels: "all" | string[];
}

const settings = memo(() => {
  const z = zod();
  return z
    .object({
      ...googleFields(),
      labels: z.union([z.literal("all"), z.array(z.string().min(1)).min(1)]).default("all"),
    })
    .strict();
});

/** Gmail answers at most 500 ids per page. */
const PAGE = 500;

interface Mailbox {
  user: string;
  /** "me" with an access token for the token's own mailbox; otherwise the address. */
  userId: string;
  api: gmail_v1.Gmail;
}

export class GmailSource implements Source {
  readonly kind = "gmail";

  constructor(
    readonly id: string,
    private readonly s: GmailSettings,
    private readonly configDir: string,
  ) {
    checkGoogleSettings(id, s);
  }

  async open(ctx: OpenContext): Promise<SourceSession> {
    const google = await loadGoogle();
    return new GmailSession(this.id, this.s, google, new GoogleAuth(google, this.s, [SCOPES.gmail], this.configDir), ctx);
  }
}

class GmailSession implements SourceSession {
  readonly concurrency: number;

  constructor(
    private readonly id: string,
    private readonly s: GmailSettings,
    private readonly google: Google,
    private readonly auth: GoogleAuth,
    private readonly openCtx: OpenContext,
  ) {
    this.concurrency = s.concurrency;
  }

  async close(): Promise<void> {}

  async *enumerate(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    for await (const box of this.mailboxes()) {
      if ("settled" in box) yield box;
      else yield* this.messages(box, ctx);
    }
  }

  /** Ask Gmail's search for messages with one of the identifiers; they are then read whole. */
  narrow(query: CustomerQuery, ctx: EnumerateContext): Narrowed {
    const terms = [...(query.emails ?? []), ...(query.ids ?? []), ...(query.phones ?? [])].map((t) => `"${t.replace(/"/g, "")}"`);
    const q = `{${terms.join(" ")}}${this.s.labels === "all" ? " in:anywhere" : ""}`;
    const self = this;
    async function* items(): AsyncGenerator<Enumerated> {
      for await (const box of self.mailboxes()) {
        if ("settled" in box) yield box;
        else yield* self.messages(box, ctx, q);
      }
    }
    return {
      items: items(),
      method: "searched by provider index (Gmail q)",
      caveat: "variants (plus tags, encodings, other phone formats) not covered; Gmail search does not look inside most attachments",
    };
  }

  // ------------------------------------------------------------ which mailboxes

  private async *mailboxes(): AsyncGenerator<Mailbox | { settled: CoverageEntry }> {
    const byToken = !this.auth.delegated;
    const users: AsyncIterable<{ email?: string; suspended: boolean }> = this.s.users ? listUsers(this.google, this.auth, this.s) : me();
    for await (const u of users) {
      const user = u.email ?? "me";
      const uri = `gmail://${user}`;
      if (u.suspended) {
        yield { settled: { source: this.id, uri, path: user, user, status: "skipped", reason: "suspended user: not read" } };
        continue;
      }
      try {
        const api = this.google.gmail({ version: "v1", ...clientOptions(this.s, await this.auth.for(byToken ? undefined : u.email)) });
        const userId = u.email ?? "me";
        const profile = await call(`opening the mailbox of ${user}`, () => api.users.getProfile({ userId }));
        const box = { user: profile.data.emailAddress ?? user, userId, api };
        if (this.openCtx.state) yield* this.deletedSinceLastSweep(box, profile.data.historyId ?? undefined);
        yield box;
      } catch (e) {
        const cause = (e as { cause?: unknown }).cause ?? e;
        if (googleError(cause).reason === "failedPrecondition") {
          yield { settled: { source: this.id, uri, path: user, user, status: "skipped", reason: `no Gmail mailbox (${googleError(cause).message})` } };
        } else {
          yield { settled: { source: this.id, uri, path: user, user, status: "failed", error: (e as Error).message } };
        }
      }
    }
    async function* me() {
      yield { email: undefined, suspended: false };
    }
  }

  /**
   * Sweeps: messages deleted for good since the last sweep (Gmail history, from the history id kept
   * then), each noted as a skipped entry; then today's history id for the next sweep.
   */
  private async *deletedSinceLastSweep(box: Mailbox, current: string | undefined): AsyncGenerator<{ settled: CoverageEntry }> {
    const state = this.openCtx.state!;
    const key = `historyId:${box.user}`;
    const previous = state.get<string>(key);
    let pageToken: string | undefined;
    try {
      while (previous) {
        const res = await box.api.users.history.list({ userId: box.userId, startHistoryId: previous, historyTypes: ["messageDeleted"], maxResults: 500, pageToken, fields: "nextPageToken,history(messagesDeleted(message(id,threadId)))" });
        for (const h of res.data.history ?? []) {
          for (const d of h.messagesDeleted ?? []) {
            const gmailId = d.message!.id!;
            yield { settled: { source: this.id, uri: `https://mail.google.com/mail/u/${encodeURIComponent(box.user)}/#all/${gmailId}`, path: `${box.user}/${gmailId}`, user: box.user, gmailId, threadId: d.message!.threadId ?? undefined, status: "skipped", reason: "deleted from the mailbox since the last sweep" } };
          }
        }
        pageToken = res.data.nextPageToken ?? undefined;
        if (!pageToken) break;
      }
    } catch (e) {
      // Gmail keeps about a week of history: older than that, deletions cannot be told (404).
      if (googleError(e).status !== 404) yield { settled: { source: this.id, uri: `gmail://${box.user}/history`, path: box.user, user: box.user, status: "failed", error: describeGoogleError(`reading the history of ${box.user}`, e) } };
    }
    if (current) state.set(key, current);
  }

  // ------------------------------------------------------------ listing

  /** Message ids of one listing (a label, a search, or everything), page by page. */
  private async *ids(box: Mailbox, params: gmail_v1.Params$Resource$Users$Messages$List, what: string, ctx: EnumerateContext): AsyncGenerator<gmail_v1.Schema$Message[]> {
    let pageToken: string | undefined;
    do {
      if (ctx.signal?.aborted) return;
      const res = await call(`listing ${what} of ${box.user}`, () =>
        box.api.users.messages.list({ userId: box.userId, maxResults: PAGE, pageToken, fields: "nextPageToken,messages(id,threadId)", ...params }),
      );
      yield res.data.messages ?? [];
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  }

  private async *messages(box: Mailbox, ctx: EnumerateContext, q?: string): AsyncGenerator<Enumerated> {
    const boxUri = `gmail://${box.user}`;
    try {
      const labels = await call(`listing the labels of ${box.user}`, () => box.api.users.labels.list({ userId: box.userId, fields: "labels(id,name,type)" }));
      const all = labels.data.labels ?? [];
      const nameOf = new Map(all.map((l) => [l.id!, l.type === "system" ? l.id! : l.name!]));
      let wanted: gmail_v1.Schema$Label[] = all;
      if (this.s.labels !== "all") {
        const asked = this.s.labels;
        wanted = all.filter((l) => asked.includes(l.id!) || asked.includes(l.name!));
        for (const a of asked) {
          if (!wanted.some((l) => l.id === a || l.name === a)) yield { settled: { source: this.id, uri: `${boxUri}/labels/${encodeURIComponent(a)}`, path: `${box.user}/${a}`, user: box.user, status: "failed", error: `no label "${a}" in the mailbox of ${box.user}` } };
        }
      }
      // The labels of every message, from id-only listings (cheap: 500 ids a call).
      const labelsOf = new Map<string, string[]>();
      for (const l of wanted) {
        for await (const page of this.ids(box, { labelIds: [l.id!], includeSpamTrash: true }, `label ${nameOf.get(l.id!)}`, ctx)) {
          for (const m of page) {
            const list = labelsOf.get(m.id!);
            if (list) list.push(nameOf.get(l.id!)!);
            else labelsOf.set(m.id!, [nameOf.get(l.id!)!]);
          }
        }
      }
      const listing: gmail_v1.Params$Resource$Users$Messages$List = { includeSpamTrash: true, ...(q ? { q } : {}) };
      const seen = new Set<string>();
      const everything = this.s.labels === "all";
      for await (const page of this.ids(box, listing, q ? "messages matching the search" : "messages", ctx)) {
        for (const m of page) {
          if (ctx.signal?.aborted) return;
          // With a label list, a message outside those labels is not read.
          if (!everything && !labelsOf.has(m.id!)) continue;
          seen.add(m.id!);
          yield { item: this.item(box, m, labelsOf.get(m.id!) ?? []) };
        }
      }
    } catch (e) {
      yield { settled: { source: this.id, uri: boxUri, path: box.user, user: box.user, status: "failed", error: (e as Error).message } };
    }
  }

  private item(box: Mailbox, m: gmail_v1.Schema$Message, labels: string[]): Item {
    const gmailId = m.id!;
    return {
      source: this.id,
      uri: `https://mail.google.com/mail/u/${encodeURIComponent(box.user)}/#all/${gmailId}`,
      path: `${box.user}/${gmailId}`,
      name: `${gmailId}.eml`,
      // A Gmail message id never changes content: an unchanged id is not read again by a sweep.
      etag: gmailId,
      contentType: "message/rfc822",
      container: [
        { kind: "mailbox", name: box.user },
        { kind: "message", name: gmailId, id: gmailId },
      ],
      loc: { user: box.user, gmailId, threadId: m.threadId ?? undefined, labels: labels.sort() },
      open: () => this.raw(box, gmailId),
    };
  }

  private async raw(box: Mailbox, gmailId: string): Promise<Readable> {
    const what = `fetching message ${gmailId} of ${box.user}`;
    try {
      const res = await box.api.users.messages.get({ userId: box.userId, id: gmailId, format: "raw", fields: "raw" });
      return Readable.from([Buffer.from(res.data.raw ?? "", "base64url")]);
    } catch (e) {
      if (googleError(e).status === 404) throw new SkipError(`deleted since it was listed (${describeGoogleError(what, e)})`);
      throw new Error(describeGoogleError(what, e));
    }
  }
}

export const gmailScanner: ScannerModule<GmailSettings> = {
  kind: "gmail",
  description: "Gmail: users' mailboxes, SPAM and TRASH included, each message read as raw MIME with its attachments, read-only",
  settings: () => settings() as unknown as ReturnType<ScannerModule<GmailSettings>["settings"]>,
  create: (id, s, env) => new GmailSource(id, s, env.configDir),
};
