import type BetterSqlite3 from "better-sqlite3";
import { actor } from "./actor.js";

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

export const GENESIS = "0".repeat(64);

/** What one link of a chain covers: the link before it and every field of the event. */
export function linkText(prev: string, e: Pick<StoredEvent, "request" | "at" | "actor" | "type" | "data">): string {
  return JSON.stringify([prev, e.request, e.at, e.actor, e.type, e.data]);
}

/**
 * Each request's append-only log. Every event's hash is an HMAC, with the
 * store's key, of the event and the hash before it: editing or removing an
 * event and recomputing the chain needs the key, not just SHA-256.
 */
export class EventLog {
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly mac: (text: string) => string,
  ) {}

  /** Append an event (call inside a store write). */
  append(request: string, type: string, data: Record<string, unknown>, at = new Date()): StoredEvent {
    const last = this.db.prepare("SELECT hash FROM events WHERE request = ? ORDER BY seq DESC LIMIT 1").get(request) as { hash: string } | undefined;
    const prev = last?.hash ?? GENESIS;
    const e = { request, at: at.toISOString(), actor: actor(), type, data: JSON.stringify(data) };
    const hash = this.mac(linkText(prev, e));
    const r = this.db.prepare("INSERT INTO events (request, at, actor, type, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)").run(e.request, e.at, e.actor, e.type, e.data, prev, hash);
    return { seq: Number(r.lastInsertRowid), ...e, prev, hash };
  }

  list(request: string): StoredEvent[] {
    return this.db.prepare("SELECT * FROM events WHERE request = ? ORDER BY seq").all(request) as StoredEvent[];
  }

  requests(): string[] {
    return (this.db.prepare("SELECT DISTINCT request FROM events ORDER BY request").all() as { request: string }[]).map((r) => r.request);
  }

  /** Recompute the chain: the first event whose link or content does not hold, or undefined when all do. */
  verify(request: string): { seq: number; why: string } | undefined {
    return verifyChain(this.list(request), this.mac);
  }

  /** Rewrite a request's chain with this key (schema upgrades only: old logs were plain SHA-256). */
  rechain(request: string, events: StoredEvent[]): void {
    let prev = GENESIS;
    const update = this.db.prepare("UPDATE events SET data = ?, prev = ?, hash = ? WHERE seq = ?");
    for (const e of events) {
      const hash = this.mac(linkText(prev, e));
      update.run(e.data, prev, hash, e.seq);
      prev = hash;
    }
  }
}

export function verifyChain(events: StoredEvent[], mac: (text: string) => string): { seq: number; why: string } | undefined {
  let prev = GENESIS;
  for (const e of events) {
    if (e.prev !== prev) return { seq: e.seq, why: "its link to the event before it is broken (an event was removed or reordered)" };
    if (mac(linkText(e.prev, e)) !== e.hash) return { seq: e.seq, why: "its content does not match its keyed hash (it was edited)" };
    prev = e.hash;
  }
  return undefined;
}
