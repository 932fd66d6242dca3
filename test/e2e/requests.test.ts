import { describe, expect, it } from "vitest";
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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

    const opened = run("request", "open", "--customer", "alice@example.com", "--id", "cus_8Hq2LmZ4", "--phone", "+1 415 555 0132", "--owner", "dana@example.com", "--due", "30d");
    expect(opened.stdout).toMatch(/REQ-0001 opened, 3 tasks from the data map/);
    expect(existsSync(join(dir, ".straymap/requests/REQ-0001.identifiers.json"))).toBe(true);

    expect(run("request", "close", "REQ-0001").stderr).toMatch(/cannot close: 3 tasks without an outcome/);

    const scanned = run("scan", "--request", "REQ-0001", "--format", "json");
    expect(scanned.code).toBe(5); // found, and the broken fixtures could not be read
    expect(scanned.stderr).toMatch(/stored as run 1 of REQ-0001/);
    // Unmapped copies became tasks of their own.
    const db = new Database(join(dir, ".straymap/straymap.db"), { readonly: true });
    const tasks = db.prepare("SELECT system FROM tasks WHERE request = 'REQ-0001'").all() as { system: string }[];
    db.close();
    expect(tasks.map((t) => t.system)).toEqual(expect.arrayContaining(["finance-exports", "support-desk", "nightly-backups", "unmapped:finance-share:dump.sql"]));

    for (const { system } of tasks) {
      if (system === "nightly-backups") expect(run("request", "task", "REQ-0001", system, "expiring").code).toBe(0);
      else if (system === "support-desk") expect(run("request", "task", "REQ-0001", system, "retained", "--reason", "tax records must be kept 7 years").code).toBe(0);
      else expect(run("request", "task", "REQ-0001", system, "done", "--note", "removed").code).toBe(0);
    }
    const gaps = run("request", "close", "REQ-0001");
    expect(gaps.code).toBe(2);
    expect(gaps.stderr).toMatch(/the last scan could not read 2 places; scan again, or close with --accept-gaps/);
    const closed = run("request", "close", "REQ-0001", "--accept-gaps", "the two damaged test files hold no customer data");
    expect(closed.stdout).toMatch(/REQ-0001 closed: completed with exceptions/);
    expect(existsSync(join(dir, ".straymap/requests/REQ-0001.identifiers.json"))).toBe(false);
    expect(run("scan", "--request", "REQ-0001").stderr).toMatch(/closed: its identifiers were purged/);

    const md = run("request", "report", "REQ-0001").stdout;
    expect(md).toMatch(/# Deletion request REQ-0001/);
    expect(md).toMatch(/completed with exceptions/);
    expect(md).toMatch(/Could not search .*truncated gzip/);
    expect(md).toMatch(/\| finance-share \| subs-2026-11\.csv \| B3 \(email\) \| email \| 1 \| finance-exports \|/);
    expect(md).toMatch(/In backups \(nightly-backups\) until \d{4}-\d\d-\d\d/);
    expect(md).toMatch(/A copy remains in our backups \(nightly-backups\) until/);
    expect(md).toMatch(/We keep some of your data in support-desk because tax records must be kept 7 years/);
    expect(md).not.toMatch(/No copy of it remains/);
    expect(md).toMatch(/Hash chain: intact/);
    const json = JSON.parse(run("request", "report", "REQ-0001", "--format", "json").stdout);
    expect(json.request).toMatchObject({ id: "REQ-0001", status: "closed", outcome: "completed with exceptions", owner: "dana@example.com" });
    expect(json.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(["opened", "scan", "task", "closed"]));
    expect(json.events[0].actor).toBe("dana@example.com");
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

    // After a restore: the closed customer is found again by the hashes alone.
    cpSync(join(FIXTURES, "exports", "subs-2026-11.csv"), join(dir, "restored", "subs.csv"));
    cpSync(join(FIXTURES, "exports", "dump.sql"), join(dir, "restored", "dump.sql"));
    const restored = run("restore-check", "restored", "--format", "json");
    expect(restored.code).toBe(1);
    const found = JSON.parse(restored.stdout).findings.map((f: { location: { path: string; cell?: string; line?: number }; identifier: string; request: string }) => `${f.location.path}:${f.location.cell ?? f.location.line}:${f.identifier}:${f.request}`);
    expect(found).toEqual(expect.arrayContaining(["subs.csv:B3:email:REQ-0001", "subs.csv:A3:id:REQ-0001", "dump.sql:3:email:REQ-0001", "dump.sql:3:phone:REQ-0001"]));
    // malice@example.com (row 4) is someone else.
    expect(found.some((f: string) => f.startsWith("subs.csv:B4"))).toBe(false);
    expect(restored.stdout).not.toMatch(RAW);
  }, 120_000);

  it("verify detects an event edited after it was written", () => {
    const dir = workspace();
    const run = (...args: string[]) => cli(args, dir);
    run("request", "open", "--customer", "alice@example.com", "--owner", "dana@example.com");
    run("request", "task", "REQ-0001", "finance-exports", "done");
    expect(run("request", "verify", "REQ-0001").stdout).toMatch(/2 events, hash chain intact/);
    const db = new Database(join(dir, ".straymap/straymap.db"));
    db.prepare("UPDATE events SET data = replace(data, 'done', 'not-found') WHERE type = 'task'").run();
    db.close();
    const verify = run("request", "verify", "REQ-0001");
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/event 2 does not verify: its content does not match its hash/);
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
});
