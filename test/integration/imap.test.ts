import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, scan, sweep } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { startDovecot, type Dovecot } from "../harness/dovecot.js";
import { ROOT } from "../harness/helpers.js";
import { mime } from "../harness/mime.js";
import { sourceContract } from "../harness/source-contract.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The imap scanner through the library API against a real Dovecot: what it finds, where, and that it changes nothing.

const USER = { user: "support@example.com", password: "imap-scan-pw-7710" };
const alice = { emails: ["alice@example.com"] };
let dovecot: Dovecot;
let tmp: string;
process.env.STRAYMAP_TEST_IMAP_PASSWORD = USER.password;
process.env.STRAYMAP_TEST_IMAP_WRONG = "not-the-imap-pw-4402";

const configFor = (extra: Record<string, unknown> = {}) =>
  buildConfig(
    { sources: [{ id: "helpdesk", kind: "imap", host: dovecot.host, port: dovecot.port, tls: false, user: USER.user, password: "${STRAYMAP_TEST_IMAP_PASSWORD}", ...extra }] },
    "straymap.yaml",
    ROOT,
  );
const run = (extra: Record<string, unknown> = {}, narrow = false) => collect(scan({ config: configFor(extra), customer: alice, narrow }));

/** Every message's flags in every mailbox, read with EXAMINE. */
async function flags(): Promise<Record<string, string[]>> {
  const c = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: USER.user, pass: USER.password }, logger: false });
  await c.connect();
  const out: Record<string, string[]> = {};
  try {
    for (const box of (await c.list()).filter((b) => !b.flags.has("\\Noselect") && !b.flags.has("\\NonExistent"))) {
      const lock = await c.getMailboxLock(box.path, { readOnly: true });
      try {
        if (c.mailbox && c.mailbox.exists) for await (const m of c.fetch("1:*", { uid: true, flags: true })) out[`${box.path}/${m.uid}`] = [...(m.flags ?? [])].sort();
      } finally {
        lock.release();
      }
    }
  } finally {
    await c.logout();
  }
  return out;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "straymap-imap-"));
  dovecot = await startDovecot({ users: [USER] });
  const c = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: USER.user, pass: USER.password }, logger: false });
  await c.connect();
  try {
    await c.mailboxCreate(["Customers", "VIP"]);
    for (let i = 1; i <= 3; i++) await c.append("INBOX", mime({ from: `c${i}@example.com`, to: USER.user, subject: `Ticket ${i}`, text: `ticket ${i}` }));
    await c.append("INBOX", mime({ from: "Alice <alice@example.com>", to: USER.user, subject: "Refund", text: "Please refund me.", messageId: "<refund-1@mail.example.com>", date: new Date("2026-11-03T10:00:00Z") }));
    await c.append("INBOX", mime({ from: "ops@example.com", to: USER.user, subject: "read already", text: "nothing here" }), ["\\Seen"]);
    await c.append(
      "Customers/VIP",
      mime({ from: "ops@example.com", to: USER.user, subject: "VIP export", text: "attached", messageId: "<vip-1@mail.example.com>", date: new Date("2026-11-04T10:00:00Z"), attachments: [{ filename: "vip.csv", contentType: "text/csv", content: "full_name,email\nAlice Example,alice@example.com\n" }] }),
    );
    await c.append("Archive", mime({ from: "x@example.com", to: USER.user, subject: "old", text: "forwarded from alice@example.com", messageId: "<old-1@mail.example.com>", date: new Date("2026-10-01T10:00:00Z") }));
  } finally {
    await c.logout();
  }
});
afterAll(async () => {
  await dovecot?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("imap", () => {
  it("reads every message of every mailbox with exact locations, and changes nothing on the server", async () => {
    const before = await flags();
    const mark = dovecot.mark();
    const r = await run();
    const locations = r.findings
      .map((f) => ({ mailbox: f.location.mailbox, uid: f.location.uid, validity: typeof f.location.uidValidity, messageId: f.location.messageId, date: f.location.date, part: f.location.part, path: f.location.path, uri: f.location.uri }))
      .sort((a, b) => a.messageId!.localeCompare(b.messageId!));
    expect(locations).toEqual([
      { mailbox: "Archive", uid: 1, validity: "number", messageId: "<old-1@mail.example.com>", date: "2026-10-01T10:00:00.000Z", part: "text", path: "Archive/1", uri: expect.stringMatching(/^imap:\/\/support%40example\.com@127\.0\.0\.1:\d+\/Archive;UIDVALIDITY=\d+\/;UID=1$/) },
      { mailbox: "INBOX", uid: 4, validity: "number", messageId: "<refund-1@mail.example.com>", date: "2026-11-03T10:00:00.000Z", part: "header:from", path: "INBOX/4", uri: expect.stringContaining("/INBOX;UIDVALIDITY=") },
      { mailbox: "Customers/VIP", uid: 1, validity: "number", messageId: "<vip-1@mail.example.com>", date: "2026-11-04T10:00:00.000Z", part: "attachment:vip.csv", path: "Customers/VIP/1", uri: expect.stringContaining("/Customers%2FVIP;UIDVALIDITY=") },
    ]);
    const vip = r.findings.find((f) => f.location.mailbox === "Customers/VIP")!;
    expect(vip.location).toMatchObject({ member: "vip.csv", row: 2, column: "email", container: [{ kind: "mailbox", name: "support@example.com at 127.0.0.1" }, { kind: "folder", name: "Customers/VIP" }] });
    // 7 messages, one attachment read inside one of them; nothing failed.
    expect(r.coverage.items.filter((e) => e.member === undefined)).toHaveLength(7);
    expect(r.coverage.summary.failed).toBe(0);

    // Read-only: EXAMINE and BODY.PEEK only, no write command; every flag (\Seen included) as it was.
    const commands = (await dovecot.commands(mark)).map((l) => l.replace(/^\S+ /, ""));
    expect(commands.filter((l) => /^(UID )?(STORE|APPEND|EXPUNGE|COPY|MOVE|SELECT|CREATE|DELETE|RENAME|SUBSCRIBE)\b/i.test(l))).toEqual([]);
    expect(commands.filter((l) => /^EXAMINE /i.test(l)).length).toBeGreaterThanOrEqual(4);
    const bodyFetches = commands.filter((l) => /BODY(\.PEEK)?\[|BINARY(\.PEEK)?\[/i.test(l));
    expect(bodyFetches).toHaveLength(7);
    expect(bodyFetches.every((l) => /\.PEEK\[/i.test(l))).toBe(true);
    expect(await flags()).toEqual(before);
    expect(Object.values(before).filter((f) => f.includes("\\Seen"))).toHaveLength(1);
  });

  it("scan --fast asks the server's SEARCH and says what it cannot see", async () => {
    const mark = dovecot.mark();
    const r = await run({}, true);
    expect(r.findings.map((f) => `${f.location.mailbox} ${f.location.messageId}`).sort()).toEqual([
      "Archive <old-1@mail.example.com>",
      "Customers/VIP <vip-1@mail.example.com>",
      "INBOX <refund-1@mail.example.com>",
    ]);
    const commands = await dovecot.commands(mark);
    expect(commands.filter((l) => /SEARCH/i.test(l)).length).toBeGreaterThan(0);
    expect(commands.filter((l) => /BODY\.PEEK\[\]/i.test(l))).toHaveLength(3);
    expect(r.coverage.items.find((e) => e.path === "")?.method).toMatch(/^candidates from the server's IMAP SEARCH TEXT .*: SEARCH matches the text the server decodes/);
  });

  it("reads only the mailboxes named; a missing one is a failed entry listing those there are", async () => {
    const r = await run({ mailboxes: ["INBOX", "Nope"] });
    expect(r.coverage.items.filter((e) => e.status === "scanned")).toHaveLength(5);
    expect(r.coverage.items.find((e) => e.status === "failed")).toMatchObject({ mailbox: "Nope", error: 'no mailbox named "Nope" on 127.0.0.1:' + dovecot.port + " (there are: INBOX, Sent, Archive, Trash, Customers/VIP)" });
  });

  it("a wrong password is one clear failed entry, without the password", async () => {
    const r = await run({ password: "${STRAYMAP_TEST_IMAP_WRONG}" });
    expect(r.coverage.items).toEqual([
      expect.objectContaining({ status: "failed", error: `imap source "helpdesk" stopped: IMAP support@example.com at 127.0.0.1:${dovecot.port}: login refused: Authentication failed. (AUTHENTICATIONFAILED)` }),
    ]);
    expect(JSON.stringify(r)).not.toContain("not-the-imap-pw-4402");
  });

  it("a TLS failure (TLS asked of a server port that does not speak it) is one clear failed entry", async () => {
    const r = await run({ tls: true });
    expect(r.coverage.items).toHaveLength(1);
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/^imap source "helpdesk" stopped: IMAP support@example.com at 127\.0\.0\.1:\d+: TLS failed: the server does not speak TLS on this port \(set tls: false for a STARTTLS port such as 143, or use the implicit TLS port, usually 993\)$/) });
  });

  it("a sweep reads each message once (the table attached to one is classified); the next sweep fetches none", async () => {
    const cacheFile = join(tmp, "sweep-cache.json");
    const fetched = (lines: string[]) => lines.filter((l) => /BODY(\.PEEK)?\[\]/i.test(l)).length;
    let mark = dovecot.mark();
    const first = await collect(sweep({ config: configFor(), cacheFile }));
    expect(first.coverage.summary).toMatchObject({ total: 8, scanned: 8, failed: 0 });
    expect(first.findings.map((f) => `${f.location.mailbox} ${f.location.member}: ${f.piiType} in ${f.location.column}`).sort()).toEqual(["Customers/VIP vip.csv: email in email", "Customers/VIP vip.csv: name in full_name"]);
    expect(fetched(await dovecot.commands(mark))).toBe(7);
    mark = dovecot.mark();
    const second = await collect(sweep({ config: configFor(), cacheFile }));
    expect(fetched(await dovecot.commands(mark))).toBe(0);
    expect(second.findings.map((f) => `${f.location.mailbox} ${f.location.uid}`)).toEqual(["Customers/VIP 1", "Customers/VIP 1"]);
  });

  sourceContract(
    () => ({
      create: () => configFor().sources[0]!,
      minItems: 7,
      withWrongSecret: () => ({ source: configFor({ password: "${STRAYMAP_TEST_IMAP_WRONG}" }).sources[0]!, secret: "not-the-imap-pw-4402" }),
    }),
    { secrets: true },
  );
});
