import type BetterSqlite3 from "better-sqlite3";

export interface Discovery {
  id: number;
  source: string;
  path: string;
  member: string;
  first_seen: string;
  last_seen: string;
  pii: string;
  columns: string;
  sample: number;
  confidence: number;
  status: "pending" | "accepted" | "dismissed";
  system: string | null;
  reason: string | null;
  /** Who accepted or dismissed it, and when (stores before version 4 do not know). */
  decided_by: string | null;
  decided_at: string | null;
}

export interface DiscoveryInput {
  source: string;
  path: string;
  member: string;
  pii: string[];
  columns: string[];
  sample: number;
  confidence: number;
}

/** Places sweeps found PII in that the data map does not cover, and what reviewers decided. */
export class DiscoveryRepository {
  constructor(private readonly db: BetterSqlite3.Database) {}

  /** Insert or refresh one discovery; true when it is new. Dismissed ones stay dismissed. */
  upsert(d: DiscoveryInput, now: string): boolean {
    const existing = this.db.prepare("SELECT id FROM discoveries WHERE source = ? AND path = ? AND member = ?").get(d.source, d.path, d.member) as { id: number } | undefined;
    if (existing) {
      this.db
        .prepare("UPDATE discoveries SET last_seen = ?, pii = ?, columns = ?, sample = ?, confidence = ? WHERE id = ?")
        .run(now, JSON.stringify(d.pii), JSON.stringify(d.columns), d.sample, d.confidence, existing.id);
      return false;
    }
    this.db
      .prepare("INSERT INTO discoveries (source, path, member, first_seen, last_seen, pii, columns, sample, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(d.source, d.path, d.member, now, now, JSON.stringify(d.pii), JSON.stringify(d.columns), d.sample, d.confidence);
    return true;
  }

  pending(): Discovery[] {
    return this.db.prepare("SELECT * FROM discoveries WHERE status = 'pending' ORDER BY id").all() as Discovery[];
  }

  get(id: number): Discovery | undefined {
    return this.db.prepare("SELECT * FROM discoveries WHERE id = ?").get(id) as Discovery | undefined;
  }

  accept(id: number, system: string, by: string, at: string): void {
    this.db.prepare("UPDATE discoveries SET status = 'accepted', system = ?, decided_by = ?, decided_at = ? WHERE id = ?").run(system, by, at, id);
  }

  dismiss(id: number, reason: string, by: string, at: string): void {
    this.db.prepare("UPDATE discoveries SET status = 'dismissed', reason = ?, decided_by = ?, decided_at = ? WHERE id = ?").run(reason, by, at, id);
  }
}
