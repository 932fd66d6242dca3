import type BetterSqlite3 from "better-sqlite3";

/**
 * The store's schema, one step per version (`PRAGMA user_version`). A store
 * written by an older straymap opens under a newer one: each step upgrades the
 * version before it. Version 0 is a new file, or a store of straymap 0.1
 * (which created the same first tables with `IF NOT EXISTS` and never set a
 * version), so step 1 is written to run on both.
 */
export interface Migration {
  version: number;
  describe: string;
  /** Runs inside the migration's transaction. */
  up(db: BetterSqlite3.Database): void;
}

/** The tables of straymap 0.1, as it created them (kept verbatim: old stores hold exactly these). */
export const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY, opened_at TEXT NOT NULL, owner TEXT NOT NULL, due TEXT, status TEXT NOT NULL,
  closed_at TEXT, outcome TEXT, identifier_hashes TEXT NOT NULL, accepted_gaps TEXT);
CREATE TABLE IF NOT EXISTS tasks (
  request TEXT NOT NULL, system TEXT NOT NULL, name TEXT NOT NULL, action TEXT NOT NULL, owner TEXT, due TEXT,
  outcome TEXT, detail TEXT, updated_by TEXT, updated_at TEXT, PRIMARY KEY (request, system));
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
  sources TEXT NOT NULL, summary TEXT NOT NULL, failures TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (run INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
  type TEXT NOT NULL, data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS discoveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, path TEXT NOT NULL, member TEXT NOT NULL DEFAULT '',
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, pii TEXT NOT NULL, columns TEXT NOT NULL, sample INTEGER NOT NULL,
  confidence REAL NOT NULL, status TEXT NOT NULL DEFAULT 'pending', system TEXT, reason TEXT,
  UNIQUE (source, path, member));
`;

export const MIGRATIONS: Migration[] = [
  { version: 1, describe: "the tables of straymap 0.1", up: (db) => db.exec(SCHEMA_V1) },
  {
    version: 2,
    describe: "requests replayed from their event log; runs know their phase; findings indexed by run",
    up: (db) =>
      db.exec(`
        ALTER TABLE requests ADD COLUMN state TEXT;
        ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'scan';
        ALTER TABLE runs ADD COLUMN digest TEXT;
        UPDATE runs SET kind = 'sweep' WHERE request IS NULL;
        CREATE INDEX IF NOT EXISTS findings_run ON findings (run);
        CREATE INDEX IF NOT EXISTS events_request ON events (request, seq);
        CREATE INDEX IF NOT EXISTS runs_request ON runs (request, id);
      `),
  },
  // Version 3 (evidence scrubbed, event chains re-keyed) needs the store's key: see store/upgrade.ts.
  {
    version: 4,
    describe: "who accepted or dismissed a discovery, and when",
    up: (db) =>
      db.exec(`
        ALTER TABLE discoveries ADD COLUMN decided_by TEXT;
        ALTER TABLE discoveries ADD COLUMN decided_at TEXT;
      `),
  },
];

export const LATEST = 4;
