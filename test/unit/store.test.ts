import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Store } from "../../src/store/store.js";
import { LATEST, SCHEMA_V1 } from "../../src/store/schema.js";
import { StoreError } from "../../src/errors.js";
import { stateOf } from "../../src/requests/requests.js";
import { verifyRequest } from "../../src/requests/verify.js";
import { tempTree } from "../harness/helpers.js";

// The tables exactly as straymap 0.1 created them (src/store/store.ts before schema versions; no discoveries yet).
const OLD_DDL = SCHEMA_V1.split("CREATE TABLE IF NOT EXISTS discoveries")[0];
const OLD_DISCOVERIES = `CREATE TABLE IF NOT EXISTS discoveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, path TEXT NOT NULL, member TEXT NOT NULL DEFAULT '',
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, pii TEXT NOT NULL, columns TEXT NOT NULL, sample INTEGER NOT NULL,
  confidence REAL NOT NULL, status TEXT NOT NULL DEFAULT 'pending', system TEXT, reason TEXT,
  UNIQUE (source, path, member));`;

const RAW = /alice@example\.com|Q9vX2kLm|4155550132|415.555.0132/i;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

/** A store as straymap 0.1 wrote it: plain SHA-256 chain, raw identifiers left in evidence, paths and task ids. */
function oldStore(dir: string, status: "open" | "closed") {
  const folder = join(dir, ".straymap");
  mkdirSync(join(folder, "requests"), { recursive: true });
  const key = Buffer.alloc(32, 7);
  writeFileSync(join(folder, "hmac.key"), key.toString("hex"));
  const hmac = (kind: string, v: string) => require_hmac(key, `${kind}:${v}`);
  const db = new Database(join(folder, "straymap.db"));
  db.pragma("journal_mode = WAL");
  db.exec(OLD_DDL + OLD_DISCOVERIES);
  const hashes = [
    { kind: "email", hash: hmac("email", "alice@example.com") },
    { kind: "id", hash: hmac("id", "cus_Q9vX2kLm") },
  ];
  db.prepare("INSERT INTO requests (id, opened_at, owner, due, status, closed_at, outcome, identifier_hashes, accepted_gaps) VALUES ('REQ-0001', '2026-01-05T10:00:00.000Z', 'dana@example.com', '2026-02-04', ?, ?, ?, ?, NULL)").run(
    status,
    status === "closed" ? "2026-01-20T10:00:00.000Z" : null,
    status === "closed" ? "completed" : null,
    JSON.stringify(hashes),
  );
  const tasks = [
    ["finance-exports", "Finance exports share", "delete", "done"],
    ["unmapped:share:exports/alice@example.com.csv", "unmapped copy: unmapped:share:exports/alice@example.com.csv", "manual", "done"],
  ];
  for (const [system, name, action, outcome] of tasks) {
    db.prepare("INSERT INTO tasks (request, system, name, action, owner, due, outcome, detail, updated_by, updated_at) VALUES ('REQ-0001', ?, ?, ?, NULL, NULL, ?, '{}', 'dana', '2026-01-10T10:00:00.000Z')").run(system, name, action, outcome);
  }
  db.prepare("INSERT INTO runs (request, started_at, finished_at, sources, summary, failures) VALUES ('REQ-0001', '2026-01-06T10:00:00.000Z', '2026-01-06T10:01:00.000Z', '[\"share\"]', '{\"total\":2,\"scanned\":2,\"skipped\":0,\"failed\":0,\"skippedReasons\":{}}', '[{\"source\":\"share\",\"where\":\"file:///srv/alice@example.com.zip\",\"error\":\"bad zip\"}]')").run();
  const finding = {
    kind: "customer-match",
    source: "share",
    location: { uri: "file:///srv/exports/alice@example.com.csv", path: "exports/alice@example.com.csv", column: "alice@example.com", cell: "A2" },
    identifier: "id",
    count: 1,
    confidence: 0.95,
    // The 0.1 window cut the id's leading "c": the rest stayed readable.
    evidence: "…us_Q9vX2kLm, call me at 415 555 0132…",
    system: null,
  };
  db.prepare("INSERT INTO findings (run, data) VALUES (1, ?)").run(JSON.stringify(finding));
  let prev = "0".repeat(64);
  const events: [string, string, Record<string, unknown>][] = [
    ["2026-01-05T10:00:00.000Z", "opened", { owner: "dana@example.com", due: "2026-02-04", identifiers: ["email", "id"], tasks: ["finance-exports"] }],
    ["2026-01-06T10:01:00.000Z", "scan", { run: 1, sources: ["share"], summary: {}, failures: 1, findings: 1 }],
    ["2026-01-10T10:00:00.000Z", "task", { system: "unmapped:share:exports/alice@example.com.csv", outcome: "done" }],
  ];
  if (status === "closed") events.push(["2026-01-20T10:00:00.000Z", "closed", { outcome: "completed" }]);
  for (const [at, type, data] of events) {
    const body = JSON.stringify(data);
    const hash = createHash("sha256").update(JSON.stringify([prev, "REQ-0001", at, "dana", type, body])).digest("hex");
    db.prepare("INSERT INTO events (request, at, actor, type, data, prev, hash) VALUES ('REQ-0001', ?, 'dana', ?, ?, ?, ?)").run(at, type, body, prev, hash);
    prev = hash;
  }
  db.prepare("INSERT INTO discoveries (source, path, first_seen, last_seen, pii, columns, sample, confidence) VALUES ('share', 'leads.csv', 'x', 'x', '[\"email\"]', '[\"Email\"]', 10, 0.9)").run();
  db.close();
  if (status === "open") writeFileSync(join(folder, "requests", "REQ-0001.identifiers.json"), JSON.stringify({ emails: ["alice@example.com"], ids: ["cus_Q9vX2kLm"], phones: ["+1 415 555 0132"] }));
  return join(folder, "straymap.db");
}

import { createHmac } from "node:crypto";
function require_hmac(key: Buffer, text: string) {
  return createHmac("sha256", key).update(text).digest("hex");
}

describe("the store", () => {
  for (const status of ["closed", "open"] as const) {
    it(`opens a store written by straymap 0.1 (${status} request): upgraded, evidence scrubbed, chain re-keyed, state replayed`, () => {
      const dir = tempTree({});
      const file = oldStore(dir, status);
      expect(readFileSync(file).toString("latin1")).toMatch(RAW);
      const store = new Store(file);
      try {
        expect(store.version).toBe(LATEST);
        const s = stateOf(store, "REQ-0001");
        expect(s).toMatchObject({ status, owner: "dana@example.com", due: "2026-02-04", upgraded: { from: 0, previousChain: "intact" } });
        expect(s.tasks.map((t) => [t.system, t.outcome])).toEqual([
          ["finance-exports", "done"],
          ["unmapped:share:exports/a****@example.com.csv", "done"],
        ]);
        expect(verifyRequest(store, "REQ-0001")).toMatchObject({ ok: true, problems: [] });
        const f = store.runs.findings(1)[0];
        expect(f.location.path).toBe("exports/a****@example.com.csv");
        expect(f.location.column).toBe("a****@example.com");
        expect(f.evidence).not.toMatch(/Q9vX|0132/);
        expect(store.discoveries.pending()).toHaveLength(1);
      } finally {
        store.close();
      }
      if (status === "closed") for (const f of filesUnder(join(dir, ".straymap"))) expect(readFileSync(f).toString("latin1"), f).not.toMatch(RAW);
      // Opening again changes nothing.
      const again = new Store(file);
      expect(again.events.list("REQ-0001").map((e) => e.type)).toEqual(["opened", "scan", "task", ...(status === "closed" ? ["closed"] : []), "upgraded"]);
      again.close();
      rmSync(dir, { recursive: true, force: true });
    });
  }

  it("a read-only command on an older store: upgraded once where it may be written, then read read-only", () => {
    const dir = tempTree({});
    const file = oldStore(dir, "open");
    const store = Store.reader(file);
    try {
      expect(store.version).toBe(LATEST);
      expect(stateOf(store, "REQ-0001").status).toBe("open");
    } finally {
      store.close();
    }
  });

  it("refuses a 0-byte database file, naming it", () => {
    const dir = tempTree({ ".straymap/straymap.db": "" });
    expect(() => new Store(join(dir, ".straymap/straymap.db"))).toThrow(StoreError);
    expect(() => new Store(join(dir, ".straymap/straymap.db"))).toThrow(/straymap\.db is an empty file \(0 bytes\)/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a damaged database is a clear error naming the file, not a crash", () => {
    const dir = tempTree({ ".straymap/straymap.db": Buffer.from("this is not SQLite at all, just text that fills a page ".repeat(100)) });
    expect(() => new Store(join(dir, ".straymap/straymap.db"))).toThrow(/straymap\.db is not a readable straymap store .*Restore it from a backup/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to make a new key for a store that holds hashes, and says how to restore it", () => {
    const dir = tempTree({});
    const file = join(dir, ".straymap/straymap.db");
    const store = new Store(file);
    store.write(() => store.events.append("REQ-0001", "opened", { owner: "x", identifiers: [{ kind: "email", hash: store.hash("email", "a@example.com") }], tasks: [] }));
    store.requests.save(stateOf(store, "REQ-0001"));
    store.close();
    rmSync(join(dir, ".straymap/hmac.key"));
    expect(() => new Store(file)).toThrow(/hmac\.key is missing.*holds keyed hashes.*Restore hmac\.key/s);
    expect(existsSync(join(dir, ".straymap/hmac.key"))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps .straymap/ 0700 and its files 0600 whatever the umask", () => {
    const dir = tempTree({});
    const old = process.umask(0);
    try {
      const store = new Store(join(dir, ".straymap/straymap.db"));
      store.write(() => store.runs.insert(null, "sweep", [], { findings: [], coverage: { summary: { total: 0, scanned: 0, skipped: 0, failed: 0, gaps: 0, skippedReasons: {} }, items: [] } }, new Date()));
      expect(statSync(join(dir, ".straymap")).mode & 0o777).toBe(0o700);
      for (const f of readdirSync(join(dir, ".straymap"))) expect(statSync(join(dir, ".straymap", f)).mode & 0o777, f).toBe(0o600);
      store.close();
      // A folder made loose by hand is tightened at the next open.
      chmodSync(join(dir, ".straymap"), 0o755);
      new Store(join(dir, ".straymap/straymap.db")).close();
      expect(statSync(join(dir, ".straymap")).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(old);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
