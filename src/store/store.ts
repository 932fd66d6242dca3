import { createHash, createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { lazy } from "../lazy.js";

const Database = lazy<typeof BetterSqlite3>("better-sqlite3");

const SCHEMA = `
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
`;

export interface StoredEvent {
  seq: number;
  request: string;
  at: string;
  actor: string;
  type: string;
  data: string;
  prev: string;
  hash: string;
}

/** Who is acting: STRAYMAP_ACTOR, or the login name. */
export function actor(): string {
  return process.env.STRAYMAP_ACTOR ?? userInfo().username;
}

const GENESIS = "0".repeat(64);

/**
 * The embedded store (SQLite, `.straymap/straymap.db`): requests, tasks, scan
 * runs with redacted findings, and an append-only, hash-chained event log.
 * The HMAC key for identifier hashes lives beside it, never in it.
 */
export class Store {
  readonly db: BetterSqlite3.Database;
  private readonly key: Buffer;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new (Database())(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(SCHEMA);
    const keyFile = join(dirname(file), "hmac.key");
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
    this.key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
  }

  /** A keyed hash of a normalised identifier: comparable later, reversible never. */
  hash(kind: string, normalised: string): string {
    return createHmac("sha256", this.key).update(`${kind}:${normalised}`).digest("hex");
  }

  /** Append an event to a request's chain: each event's hash covers the previous one. */
  event(request: string, type: string, data: Record<string, unknown>): void {
    const last = this.db.prepare("SELECT hash FROM events WHERE request = ? ORDER BY seq DESC LIMIT 1").get(request) as { hash: string } | undefined;
    const prev = last?.hash ?? GENESIS;
    const at = new Date().toISOString();
    const who = actor();
    const body = JSON.stringify(data);
    const hash = chainHash(prev, request, at, who, type, body);
    this.db.prepare("INSERT INTO events (request, at, actor, type, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)").run(request, at, who, type, body, prev, hash);
  }

  events(request: string): StoredEvent[] {
    return this.db.prepare("SELECT * FROM events WHERE request = ? ORDER BY seq").all(request) as StoredEvent[];
  }

  /** Recompute the chain: the first event whose hash or link does not hold, or undefined when all do. */
  verify(request: string): { seq: number; why: string } | undefined {
    let prev = GENESIS;
    for (const e of this.events(request)) {
      if (e.prev !== prev) return { seq: e.seq, why: "its link to the event before it is broken (an event was removed or reordered)" };
      if (chainHash(e.prev, e.request, e.at, e.actor, e.type, e.data) !== e.hash) return { seq: e.seq, why: "its content does not match its hash (it was edited)" };
      prev = e.hash;
    }
    return undefined;
  }

  close(): void {
    this.db.close();
  }
}

function chainHash(prev: string, request: string, at: string, who: string, type: string, data: string): string {
  return createHash("sha256").update(JSON.stringify([prev, request, at, who, type, data])).digest("hex");
}
