import { describe, expect, it } from "vitest";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { cli, FIXTURES, tempTree } from "../harness/helpers.js";

/** A working copy of the fixtures with a config whose sources include the broken files (a scan with gaps). */
function workspace(): string {
  const dir = tempTree({});
  cpSync(join(FIXTURES, "exports"), join(dir, "exports"), { recursive: true });
  cpSync(join(FIXTURES, "data-map.yaml"), join(dir, "data-map.yaml"));
  writeFileSync(
    join(dir, "straymap.yaml"),
    "sources:\n  - id: finance-share\n    kind: fs\n    path: ./exports\n  - id: support-mail\n    kind: fs\n    path: ./exports/support\nmap: data-map.yaml\n",
  );
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

const RAW = /alice@example\.com|cus_8Hq2LmZ4|4155550132|415.555.0132/i;

describe("deletion requests, open to report", () => {
  it("runs the whole workflow, refuses to close for the right reasons, and keeps no raw identifier after close", () => {
    const dir = workspace();
    const run = (...args: string[]) => cli(args, dir, { STRAYMAP_ACTOR: "dana@example.com" });

    const opened = run("request", "open", "--customer", "alice@example.com", "--id", "cus_8Hq2LmZ4", "--phone", "+1 415 555 0132", "--owner", "dana@example.com", "--due", "30d", "--jurisdiction", "gdpr", "--verified", "reply from the account's address");
    expect(opened.stdout).toMatch(/REQ-0001 opened, 3 tasks from the data map, due \d{4}-\d\d-\d\d/);
    expect(existsSync(join(dir, ".straymap/requests/REQ-0001.identifiers.json"))).toBe(true);

    expect(run("request", "close", "REQ-0001").stderr).toMatch(/cannot close: 3 tasks without an outcome .*; it was never scanned/);
    // A draft says only what is true now.
    const draft = run("request", "report", "REQ-0001").stdout;
    expect(draft).toMatch(/DRAFT/);
    expect(draft).toMatch(/We have not yet searched our systems/);
    expect(draft).not.toMatch(/No copy|Nothing in backups|deleted your/);

    const scanned = run("scan", "--request", "REQ-0001", "--format", "json");
    expect(scanned.code).toBe(5); // found, and the broken fixtures could not be read
    expect(scanned.stderr).toMatch(/stored as run 1 of REQ-0001/);
    const show = run("request", "show", "REQ-0001").stdout;
    expect(show).toMatch(/run 1 .* before deletion/);
    const tasks = [...show.matchAll(/^  (\S+) +pending/gm)].map((m) => m[1]);
    expect(tasks).toEqual(expect.arrayContaining(["finance-exports", "support-desk", "nightly-backups", "unmapped:finance-share:dump.sql"]));

    for (const system of tasks) {
      if (system === "nightly-backups") expect(run("request", "task", "REQ-0001", system, "expiring").code).toBe(0);
      else if (system === "support-desk" || system.startsWith("unmapped:finance-share:support/")) expect(run("request", "task", "REQ-0001", system, "retained", "--reason", "tax records must be kept 7 years").code).toBe(0);
      else expect(run("request", "task", "REQ-0001", system, "done", "--note", "removed").code).toBe(0);
    }
    // Marked done, not looked at again.
    const unverified = run("request", "close", "REQ-0001");
    expect(unverified.code).toBe(2);
    expect(unverified.stderr).toMatch(/finance-exports is marked done but no scan reached it since/);
    // Looked at again before anything was really deleted: she is still there, and close says where.
    expect(run("scan", "--request", "REQ-0001").stderr).toMatch(/stored as run 2/);
    const still = run("request", "close", "REQ-0001");
    expect(still.stderr).toMatch(/finance-exports is marked done but the verification scan \(run 2\) still finds her there in \d+ place/);
    expect(still.stderr).toMatch(/unmapped:finance-share:dump\.sql is marked done but the verification scan/);

    // Now really deleted (the copies outside the support mailbox), and verified.
    for (const f of ["app.log", "archive", "crm-contacts.txt.tsv", "customers.xlsx", "dump.sql", "events.ndjson", "subs-2026-11.csv", "users.json"]) rmSync(join(dir, "exports", f), { recursive: true });
    // A file of a type nobody can read is a gap, not a silent skip: it too must be accepted.
    writeFileSync(join(dir, "exports", "blob.bin"), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    expect(run("scan", "--request", "REQ-0001").code).toBe(5);
    const gaps = run("request", "close", "REQ-0001");
    expect(gaps.code).toBe(2);
    expect(gaps.stderr).toMatch(/the last scan could not read 2 places/);
    expect(gaps.stderr).toMatch(/the last scan did not fully search \d+ places? \(a limit/);
    expect(gaps.stderr).toMatch(/scan again, or close with --accept-gaps/);
    const closed = run("request", "close", "REQ-0001", "--accept-gaps", "the two damaged test files hold no customer data");
    expect(closed.stdout).toMatch(/REQ-0001 closed: completed with exceptions/);
    expect(existsSync(join(dir, ".straymap/requests/REQ-0001.identifiers.json"))).toBe(false);
    expect(run("scan", "--request", "REQ-0001").stderr).toMatch(/closed: its identifiers were purged/);

    const md = run("request", "report", "REQ-0001").stdout;
    expect(md).toMatch(/# Erasure request REQ-0001/);
    expect(md).not.toMatch(/DRAFT/);
    expect(md).toMatch(/completed with exceptions/);
    expect(md).toMatch(/Legal basis: GDPR Art\. 17|legal basis: GDPR Art\. 17/);
    expect(md).toMatch(/Identity verified: reply from the account's address/);
    expect(md).toMatch(/Could not search .*truncated gzip/);
    expect(md).toMatch(/Did not fully search .*blob\.bin: /);
    expect(md).toMatch(/\| 1 \(before deletion\) \| finance-share \| subs-2026-11\.csv \| B3 \(email\) \| email \| 1 \| Finance exports share \|/);
    expect(md).toMatch(/Run 3 \(verification\)/);
    expect(md).toMatch(/In backups \(Nightly database backups\) until \d+ \w+ \d{4}/);
    expect(md).toMatch(/A copy remains in Nightly database backups until/);
    expect(md).toMatch(/We keep some of your data in Support mailbox and 2 other places because tax records must be kept 7 years/);
    expect(md).not.toMatch(/No copy of it remains|found no copy left/);
    // The reply names systems by their display names, never by internal ids or paths.
    const reply = md.slice(md.indexOf("## Reply to the customer"), md.indexOf("## Answer sheet"));
    expect(reply).toMatch(/We deleted your personal data from Finance exports share and \d+ other places\./);
    expect(reply).not.toMatch(/unmapped|finance-exports|nightly-backups|support-desk|finance-share|\.sql|\.mbox/);
    expect(md).toMatch(/Keyed hash chain intact/);
    const json = JSON.parse(run("request", "report", "REQ-0001", "--format", "json").stdout);
    expect(json.request).toMatchObject({ id: "REQ-0001", status: "closed", outcome: "completed with exceptions", owner: "dana@example.com" });
    expect(json.log).toMatchObject({ events: json.events.length, intact: true, head: json.events[json.events.length - 1].hash });
    expect(json.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(["opened", "scan", "task", "closed"]));
    expect(json.events[0].actor).toBe("dana@example.com");
    writeFileSync(join(dir, "REQ-0001.json"), JSON.stringify(json));
    expect(run("request", "verify", "REQ-0001", "--against", "REQ-0001.json").stdout).toMatch(/keyed hash chain intact, tables agree with the log, and the log extends the report's head/);
    run("request", "report", "REQ-0001", "--format", "html", "-o", join(dir, "report.html"));
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/<h2>Reply to the customer<\/h2>/);
    expect(html).not.toMatch(/<script|<link|src=/);

    // No raw identifier anywhere in the store folder or the reports; the keyed hashes are there.
    for (const f of filesUnder(join(dir, ".straymap"))) expect(readFileSync(f).toString("latin1"), f).not.toMatch(RAW);
    for (const text of [md, JSON.stringify(json), html]) expect(text).not.toMatch(RAW);
    const after = new Database(join(dir, ".straymap/straymap.db"), { readonly: true });
    const hashes = JSON.parse((after.prepare("SELECT identifier_hashes FROM requests").get() as { identifier_hashes: string }).identifier_hashes);
    after.close();
    expect(hashes.map((h: { kind: string }) => h.kind)).toEqual(["email", "id", "phone", "phone-national"]);
    expect(hashes[0].hash).toMatch(/^[0-9a-f]{64}$/);

    // After a restore: the closed customer is found again by the hashes alone, and the request's log says so.
    cpSync(join(FIXTURES, "exports", "subs-2026-11.csv"), join(dir, "restored", "subs.csv"));
    cpSync(join(FIXTURES, "exports", "dump.sql"), join(dir, "restored", "dump.sql"));
    const restored = run("restore-check", "restored", "--format", "json");
    expect(restored.code).toBe(1);
    expect(restored.stderr).toMatch(/REQ-0001: found again after a restore, recorded in its log/);
    const found = JSON.parse(restored.stdout).findings.map((f: { location: { path: string; cell?: string; line?: number }; identifier: string; request: string }) => `${f.location.path}:${f.location.cell ?? f.location.line}:${f.identifier}:${f.request}`);
    expect(found).toEqual(expect.arrayContaining(["subs.csv:B3:email:REQ-0001", "subs.csv:A3:id:REQ-0001", "dump.sql:3:email:REQ-0001", "dump.sql:3:phone:REQ-0001"]));
    // malice@example.com (row 4) is someone else.
    expect(found.some((f: string) => f.startsWith("subs.csv:B4"))).toBe(false);
    expect(restored.stdout).not.toMatch(RAW);
    expect(run("request", "report", "REQ-0001").stdout).toMatch(/## Found again after a restore/);
    // The report the customer got is still provably part of the log, which only grew.
    expect(run("request", "verify", "REQ-0001", "--against", "REQ-0001.json").code).toBe(0);
    const reopened = run("request", "reopen", "REQ-0001", "--reason", "found again after the restore", "--customer", "alice@example.com");
    expect(reopened.stdout).toMatch(/REQ-0001 reopened, 2 new tasks/);
    expect(run("request", "list").stdout).toMatch(/REQ-0001  open +2 tasks pending +owner dana@example\.com +due in \d+ days/);
  }, 180_000);

  it("verify detects an event edited after it was written", () => {
    const dir = workspace();
    const run = (...args: string[]) => cli(args, dir);
    run("request", "open", "--customer", "alice@example.com", "--owner", "dana@example.com");
    run("request", "task", "REQ-0001", "finance-exports", "done");
    expect(run("request", "verify", "REQ-0001").stdout).toMatch(/2 events, head [0-9a-f]{64}; keyed hash chain intact/);
    const db = new Database(join(dir, ".straymap/straymap.db"));
    db.prepare("UPDATE events SET data = replace(data, 'done', 'not-found') WHERE type = 'task'").run();
    db.close();
    const verify = run("request", "verify", "REQ-0001");
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/event 2 does not verify: its content does not match its keyed hash/);
  });

  it("asks for what an outcome needs", () => {
    const dir = workspace();
    const run = (...args: string[]) => cli(args, dir);
    run("request", "open", "--customer", "alice@example.com", "--owner", "dana@example.com");
    expect(run("request", "task", "REQ-0001", "finance-exports", "retained").stderr).toMatch(/retained needs --reason/);
    expect(run("request", "task", "REQ-0001", "finance-exports", "vendor-ticket").stderr).toMatch(/vendor-ticket needs --ref/);
    expect(run("request", "task", "REQ-0001", "finance-exports", "shredded").stderr).toMatch(/outcome must be one of/);
    expect(run("request", "task", "REQ-0001", "nope", "done").stderr).toMatch(/has no task for system "nope"/);
  });

  it("usage mistakes are clear messages with exit 2, never stack traces", () => {
    const dir = workspace();
    const run = (...args: string[]) => cli(args, dir);
    const open = (...extra: string[]) => run("request", "open", "--customer", "alice@example.com", "--owner", "dana@example.com", ...extra);
    for (const [args, message] of [
      [["--due", "2026-02-30"], /--due 2026-02-30: expected a date that exists/],
      [["--due", "99999999d"], /--due 99999999d: expected a date that exists|a delay between 1 day and 3 years/],
      [["--due", "2001-01-01"], /that date has passed/],
      [["--received", "2999-01-01"], /in the future/],
      [["--jurisdiction", "mars"], /Allowed choices are gdpr, ccpa/],
    ] as const) {
      const r = open(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(open().code).toBe(0);
    expect(run("scan", "--request", "REQ-0001", "--show-values").stderr).toMatch(/--show-values cannot be used with --request/);
    expect(run("request", "report", "REQ-0001", "-o", dir).stderr).toMatch(/a folder; name a file/);
    expect(run("request", "show", "REQ-0009").stderr).toMatch(/REQ-0009: no such request/);
    expect(run("request", "verify", "REQ-0001", "--against", "nope.json").stderr).toMatch(/--against nope\.json: not a readable JSON report/);
    expect(run("request", "cancel", "REQ-0001", "--as", "refused", "--reason", "identity could not be verified").stdout).toMatch(/REQ-0001 cancelled \(refused\)/);
    expect(run("request", "task", "REQ-0001", "finance-exports", "done").stderr).toMatch(/REQ-0001 is cancelled/);
    expect(run("request", "list").stdout).toMatch(/REQ-0001  cancelled +refused/);
    expect(run("request", "report", "REQ-0001").stdout).toMatch(/did not carry out your request to erase your personal data, received .* for this reason: identity could not be verified/);
  });
});
