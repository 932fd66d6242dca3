import { existsSync } from "node:fs";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDovecot, type Dovecot } from "../harness/dovecot.js";
import { mime } from "../harness/mime.js";

const USER = { user: "support@example.com", password: "imap-test-pw-5521" };
let dovecot: Dovecot;

beforeAll(async () => {
  dovecot = await startDovecot({ users: [USER] });
});
afterAll(async () => {
  await dovecot?.stop();
});

const client = (pass = USER.password) =>
  new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: USER.user, pass }, logger: false });

describe("the Dovecot test harness", () => {
  it("accepts a login and APPENDs messages with attachments to several mailboxes", async () => {
    const csv = "email,plan\ncarol@example.com,pro\n";
    const c = client();
    await c.connect();
    try {
      await c.mailboxCreate("Customers");
      await c.mailboxCreate(["Customers", "VIP"]);
      await c.append("INBOX", mime({ from: "a@example.com", to: USER.user, subject: "hi", text: "hello" }));
      await c.append(
        "Customers/VIP",
        mime({ from: "b@example.com", to: USER.user, subject: "export", text: "see attached", attachments: [{ filename: "vip.csv", contentType: "text/csv", content: csv }] }),
      );
      const list = await c.list();
      expect(list.map((m) => m.path).sort()).toEqual(["Archive", "Customers", "Customers/VIP", "INBOX", "Sent", "Trash"]);
      expect((await c.status("Customers/VIP", { messages: true })).messages).toBe(1);
      expect((await c.status("INBOX", { messages: true })).messages).toBe(1);
      const lock = await c.getMailboxLock("Customers/VIP", { readOnly: true });
      try {
        const msg = await c.fetchOne("1", { bodyParts: ["2"] });
        expect(msg && msg.bodyParts?.get("2")?.toString()).toBe(Buffer.from(csv).toString("base64").replace(/.{1,76}/g, "$&\r\n"));
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
    // The rawlog records what clients sent: the tests of the IMAP scanner read it to prove nothing was written.
    const appends = (await dovecot.commands()).filter((l) => /^\S+ APPEND /i.test(l)).map((l) => l.replace(/^\S+ /, "").replace(/\d+/, "N"));
    expect(appends).toEqual(["APPEND INBOX {N+}", "APPEND Customers/VIP {N+}"]);
  });

  it("refuses a wrong password", async () => {
    const c = client("wrong-password");
    c.on("error", () => {});
    await expect(c.connect()).rejects.toMatchObject({ authenticationFailed: true, responseText: "Authentication failed." });
  });

  it("removes its folder when stopped", async () => {
    const other = await startDovecot({ users: [{ user: "x@example.com", password: "p" }] });
    expect(existsSync(other.dir)).toBe(true);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
  });
});
