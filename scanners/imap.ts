import { Readable } from "node:stream";
import type { ImapFlow } from "imapflow";
import type { EnumerateContext, Narrowed, OpenContext, ScannerModule, Source, SourceSession } from "../src/engine/scanner.js";
import type { CustomerQuery } from "../src/match/customer.js";
import { describeError } from "../src/engine/errors.js";
import { memo, zod } from "../src/lazy.js";
import type { CoverageEntry, Enumerated, Item } from "../src/types.js";

// Any IMAP mailbox (imapflow). Read-only by construction: every mailbox is opened with EXAMINE and messages are
// fetched with BODY.PEEK[], so no flag changes (\Seen stays as it was); nothing is ever stored, copied, moved,
// appended or expunged. Each message goes through the shared mail reader as message/rfc822.

export interface ImapSettings {
  host: string;
  port?: number;
  /** Implicit TLS (port 993). false: plain connection, upgraded with STARTTLS when the server offers it. */
  tls: boolean;
  user: string;
  password?: string;
  /** An OAuth 2 access token (XOAUTH2), instead of a password. */
  accessToken?: string;
  /** Mailboxes to read ("INBOX", "Archive/2025"), or all. */
  mailboxes: string[] | "all";
}

const settings = memo(() => {
  const z = zod();
  return z
    .object({
      host: z.string().min(1, "give the IMAP server's host name"),
      port: z.number().int().min(1).max(65535).optional(),
      tls: z.boolean().default(true),
      user: z.string().min(1, "give the login user"),
      password: z.string().min(1).optional(),
      accessToken: z.string().min(1).optional(),
      mailboxes: z.union([z.literal("all"), z.array(z.string().min(1)).min(1)]).default("all"),
    })
    .strict()
    .refine((s) => Boolean(s.password) !== Boolean(s.accessToken), { message: "give either password or accessToken (one of them)", path: ["password"] });
});

interface Listed {
  uid: number;
  size?: number;
  internalDate?: Date;
  messageId?: string;
  date?: Date;
}

export class ImapSource implements Source {
  readonly kind = "imap";
  constructor(
    readonly id: string,
    private readonly s: ImapSettings,
  ) {}

  async open(_ctx: OpenContext): Promise<SourceSession> {
    const { ImapFlow } = await import("imapflow");
    const s = this.s;
    const port = s.port ?? (s.tls ? 993 : 143);
    const client = new ImapFlow({
      host: s.host,
      port,
      secure: s.tls,
      auth: s.password ? { user: s.user, pass: s.password } : { user: s.user, accessToken: s.accessToken! },
      logger: false,
      disableAutoIdle: true,
    });
    client.on("error", () => {}); // a dropped connection fails the read in progress; the rest is reported there
    try {
      await client.connect();
    } catch (e) {
      throw new Error(`IMAP ${s.user} at ${s.host}:${port}: ${describeImapError(e, s)}`);
    }
    return new ImapSession(this.id, s, `${s.host}:${port}`, client);
  }
}

/** One line: the server's answer to a failed login, or the TLS/network cause; never the password or token. */
function describeImapError(e: unknown, s: ImapSettings): string {
  const err = e as { authenticationFailed?: boolean; responseText?: string; serverResponseCode?: string; code?: string; message?: string };
  let text: string;
  if (err?.authenticationFailed) text = `login refused: ${err.responseText ?? "authentication failed"}${err.serverResponseCode ? ` (${err.serverResponseCode})` : ""}`;
  else if (err?.responseText) text = `${err.responseText}${err.serverResponseCode ? ` (${err.serverResponseCode})` : ""}`;
  else if (/SSL|TLS|CERT|certificate|wrong version number|EPROTO/i.test(`${err?.code ?? ""} ${err?.message ?? ""}`)) text = `TLS failed: ${describeTls(err)}`;
  else text = describeError(e);
  for (const secret of [s.password, s.accessToken]) if (secret && secret.length >= 6) text = text.split(secret).join("***");
  return text;
}

/** What a person can do about a TLS failure, rather than OpenSSL's internals. */
function describeTls(err: { code?: string; message?: string }): string {
  const code = err.code ?? "";
  if (/WRONG_VERSION_NUMBER/.test(code) || /wrong version number/.test(err.message ?? "")) {
    return "the server does not speak TLS on this port (set tls: false for a STARTTLS port such as 143, or use the implicit TLS port, usually 993)";
  }
  if (/SELF_SIGNED/.test(code)) return `the server's certificate is self-signed and not trusted (${code}); add its CA to NODE_EXTRA_CA_CERTS`;
  if (/CERT_HAS_EXPIRED/.test(code)) return `the server's certificate has expired (${code})`;
  if (/ALTNAME/.test(code)) return `the server's certificate is not for this host name (${code})`;
  if (/UNABLE_TO_(GET_ISSUER|VERIFY)/.test(code)) return `the server's certificate is not trusted (${code}); add its CA to NODE_EXTRA_CA_CERTS`;
  const last = (err.message ?? "").split(":").map((p) => p.trim()).filter((p) => p && !/^\.\.|\.c$|^\d+$|^[0-9A-F]{8,}$/.test(p));
  return `${last.at(-1) ?? "handshake failed"}${code ? ` (${code})` : ""}`;
}

class ImapSession implements SourceSession {
  constructor(
    private readonly id: string,
    private readonly s: ImapSettings,
    private readonly server: string,
    private readonly client: ImapFlow,
  ) {}

  /** The mailboxes to read: all selectable ones, or those named (a missing one is a failed entry). */
  private async *mailboxes(): AsyncGenerator<string | { settled: CoverageEntry }> {
    const list = await this.client.list();
    const selectable = list.filter((m) => !m.flags.has("\\Noselect") && !m.flags.has("\\NonExistent")).map((m) => m.path);
    if (this.s.mailboxes === "all") {
      yield* selectable;
      return;
    }
    for (const name of this.s.mailboxes) {
      const found = selectable.find((p) => p === name || (name.toUpperCase() === "INBOX" && p.toUpperCase() === "INBOX"));
      if (found) yield found;
      else yield this.entry(name, "failed", `no mailbox named "${name}" on ${this.server} (there are: ${selectable.join(", ")})`);
    }
  }

  async *enumerate(ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    for await (const mailbox of this.mailboxes()) {
      if (ctx.signal?.aborted) return;
      if (typeof mailbox !== "string") {
        yield mailbox;
        continue;
      }
      yield* this.messages(mailbox, "1:*", ctx);
    }
  }

  /** The messages of one mailbox (a sequence set, or the UIDs a SEARCH returned), listed under EXAMINE, then yielded. */
  private async *messages(mailbox: string, range: string | number[], ctx: EnumerateContext): AsyncGenerator<Enumerated> {
    let listed: Listed[] = [];
    let uidValidity: number;
    try {
      // The lock is released before items are yielded: reading them takes the connection again.
      const lock = await this.client.getMailboxLock(mailbox, { readOnly: true });
      try {
        const box = this.client.mailbox;
        uidValidity = box ? Number(box.uidValidity) : 0;
        if (box && box.exists > 0 && (typeof range === "string" || range.length > 0)) {
          for await (const m of this.client.fetch(range, { uid: true, size: true, internalDate: true, envelope: true }, { uid: typeof range !== "string" })) {
            listed.push({ uid: m.uid, size: m.size, internalDate: m.internalDate instanceof Date ? m.internalDate : undefined, messageId: m.envelope?.messageId, date: m.envelope?.date });
          }
        }
      } finally {
        lock.release();
      }
    } catch (e) {
      yield this.entry(mailbox, "failed", `could not read mailbox ${mailbox}: ${describeImapError(e, this.s)}`);
      return;
    }
    listed = listed.sort((a, b) => a.uid - b.uid);
    for (const m of listed) {
      if (ctx.signal?.aborted) return;
      yield { item: this.item(mailbox, uidValidity, m) };
    }
  }

  private uri(mailbox: string, uidValidity?: number, uid?: number): string {
    // RFC 5092 IMAP URL.
    const base = `imap://${encodeURIComponent(this.s.user)}@${this.server}/${encodeURIComponent(mailbox)}`;
    return uid === undefined ? base : `${base};UIDVALIDITY=${uidValidity}/;UID=${uid}`;
  }

  private item(mailbox: string, uidValidity: number, m: Listed): Item {
    const date = (m.date ?? m.internalDate)?.toISOString();
    return {
      source: this.id,
      uri: this.uri(mailbox, uidValidity, m.uid),
      path: `${mailbox}/${m.uid}`,
      name: `${m.uid}.eml`,
      size: m.size,
      mtime: m.internalDate,
      // A UID names one immutable message as long as the mailbox's UIDVALIDITY holds.
      etag: `${uidValidity}:${m.uid}`,
      contentType: "message/rfc822",
      container: [
        { kind: "mailbox", name: `${this.s.user} at ${this.s.host}` },
        { kind: "folder", name: mailbox },
      ],
      loc: { mailbox, uid: m.uid, uidValidity, ...(m.messageId ? { messageId: m.messageId } : {}), ...(date ? { date } : {}) },
      open: () => this.download(mailbox, uidValidity, m.uid),
    };
  }

  /** BODY.PEEK[] of one message, under EXAMINE: reading changes nothing on the server. */
  private async download(mailbox: string, uidValidity: number, uid: number): Promise<Readable> {
    const lock = await this.client.getMailboxLock(mailbox, { readOnly: true });
    try {
      if (Number(this.client.mailbox && this.client.mailbox.uidValidity) !== uidValidity) {
        throw new Error(`mailbox ${mailbox} was recreated (UIDVALIDITY changed) since it was listed: run again`);
      }
      const m = await this.client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (!m || !m.source) throw new Error(`message UID ${uid} is no longer in ${mailbox} (deleted since it was listed)`);
      return Readable.from([m.source]);
    } finally {
      lock.release();
    }
  }

  private entry(mailbox: string, status: "skipped" | "failed", text: string): { settled: CoverageEntry } {
    return { settled: { source: this.id, uri: this.uri(mailbox), path: mailbox, mailbox, status, ...(status === "skipped" ? { reason: text } : { error: text }) } };
  }

  /** `scan --fast`: the server's SEARCH TEXT for each email and id, then the mail reader on the hits. */
  narrow(query: CustomerQuery, ctx: EnumerateContext): Narrowed {
    const terms = [...(query.emails ?? []), ...(query.ids ?? [])];
    const self = this;
    async function* candidates(): AsyncGenerator<Enumerated> {
      for await (const mailbox of self.mailboxes()) {
        if (ctx.signal?.aborted) return;
        if (typeof mailbox !== "string") {
          yield mailbox;
          continue;
        }
        let uids: number[] = [];
        try {
          const lock = await self.client.getMailboxLock(mailbox, { readOnly: true });
          try {
            if ((self.client.mailbox && self.client.mailbox.exists) || 0) {
              const found = await self.client.search(terms.length > 1 ? { or: terms.map((text) => ({ text })) } : { text: terms[0] }, { uid: true });
              uids = Array.isArray(found) ? found : [];
            }
          } finally {
            lock.release();
          }
        } catch (e) {
          yield self.entry(mailbox, "failed", `SEARCH failed in ${mailbox}: ${describeImapError(e, self.s)}`);
          continue;
        }
        yield* self.messages(mailbox, uids, ctx);
      }
    }
    return {
      items: candidates(),
      method: "candidates from the server's IMAP SEARCH TEXT for each email and id, then read in full",
      caveat:
        "SEARCH matches the text the server decodes (servers differ): phone numbers, identifier variants (plus tags, encodings), and content inside attached archives or documents are not covered; run without --fast to read every message",
    };
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }
}

export const imapScanner: ScannerModule<ImapSettings> = {
  kind: "imap",
  description: "any IMAP mailbox, read-only (EXAMINE, BODY.PEEK): every message as MIME",
  settings: settings as () => import("zod").ZodType<ImapSettings>,
  create: (id, s) => new ImapSource(id, s),
};
