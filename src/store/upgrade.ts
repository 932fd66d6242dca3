import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { CustomerMatcher, type CustomerQuery } from "../match/customer.js";
import { HashedMatcher } from "../match/hashed.js";
import { maskDeep, maskKnown, redactContext, type Finder } from "../match/redact.js";
import { replay, type RequestState, type TaskState, type Outcome, DELETING } from "../requests/state.js";
import type { Finding } from "../types.js";
import { GENESIS, type StoredEvent } from "./events.js";
import type { Store } from "./store.js";

/**
 * Schema 3: a store of straymap 0.1 made trustworthy.
 * - Evidence already stored is scrubbed: her identifiers (known from open
 *   requests' identifier files, or recognised by the keyed hashes of closed
 *   ones) are masked in every finding, failure, task and event, and evidence
 *   windows are masked again as a whole (0.1 could leave a cut identifier).
 * - Each request's log is re-linked with keyed hashes (HMAC), after checking
 *   its plain SHA-256 chain, and gets an `upgraded` event that carries the
 *   request's tables as they were, so replaying the log gives today's state.
 */
export function upgradeToV3(db: BetterSqlite3.Database, store: Store): boolean {
  const requests = db.prepare("SELECT * FROM requests").all() as Record<string, string | null>[];
  const stored = db.prepare("SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM runs) + (SELECT count(*) FROM events) AS n").get() as { n: number };
  if (stored.n === 0) return false;
  const finders: Finder[] = [];
  const known = new Map<string, { request: string; kind: string }>();
  for (const r of requests) {
    for (const h of JSON.parse(r.identifier_hashes ?? "[]") as { kind: string; hash: string }[]) known.set(h.hash, { request: String(r.id), kind: h.kind });
    const file = join(store.folder, "requests", `${r.id}.identifiers.json`);
    if (r.status === "open" && existsSync(file)) {
      try {
        finders.push(new CustomerMatcher(JSON.parse(readFileSync(file, "utf8")) as CustomerQuery));
      } catch {
        // An unreadable identifiers file: the hashes below still recognise her.
      }
    }
  }
  if (known.size) {
    const hasher = (kind: string, value: string) => store.hash(kind, value);
    finders.push(new HashedMatcher(known, hasher));
  }
  const mask = (s: string) => maskKnown(s, finders);

  store.runs.rewriteAll(
    (f: Finding) => {
      const masked = maskDeep(f, mask);
      return { ...masked, evidence: redactContext(masked.evidence) };
    },
    (failures) => maskDeep(failures, mask),
  );

  const ids = (db.prepare("SELECT DISTINCT request FROM events UNION SELECT id FROM requests").all() as { request: string }[]).map((r) => r.request);
  for (const id of ids) {
    const events = db.prepare("SELECT * FROM events WHERE request = ? ORDER BY seq").all(id) as StoredEvent[];
    const previousChain = plainChainState(events);
    const scrubbed = events.map((e) => ({ ...e, data: JSON.stringify(maskDeep(JSON.parse(e.data), mask)) }));
    store.events.rechain(id, scrubbed);
    const row = requests.find((r) => r.id === id);
    if (!row) continue;
    const snapshot = snapshotOf(db, row, mask);
    store.events.append(id, "upgraded", { from: 0, previousChain, snapshot });
    store.requests.save(replay(store.events.list(id)));
  }
  return true;
}

/** The 0.1 chain (plain SHA-256), checked before it is re-keyed: the upgrade event says whether it held. */
function plainChainState(events: StoredEvent[]): string {
  let prev = GENESIS;
  for (const e of events) {
    const hash = createHash("sha256").update(JSON.stringify([e.prev, e.request, e.at, e.actor, e.type, e.data])).digest("hex");
    if (e.prev !== prev || hash !== e.hash) return `broken at event ${e.seq}`;
    prev = e.hash;
  }
  return "intact";
}

function snapshotOf(db: BetterSqlite3.Database, r: Record<string, string | null>, mask: (s: string) => string): Partial<RequestState> {
  const tasks = db.prepare("SELECT * FROM tasks WHERE request = ? ORDER BY system").all(r.id) as Record<string, string | null>[];
  const deletedAt = tasks.filter((t) => t.outcome && DELETING.includes(t.outcome as Outcome)).map((t) => t.updated_at ?? "");
  const runs = db.prepare("SELECT * FROM runs WHERE request = ? ORDER BY id").all(r.id) as Record<string, string | number | null>[];
  return {
    owner: String(r.owner),
    openedAt: String(r.opened_at),
    due: r.due,
    status: r.status as RequestState["status"],
    closedAt: r.closed_at,
    outcome: r.outcome,
    acceptedGaps: r.accepted_gaps,
    identifierHashes: JSON.parse(r.identifier_hashes ?? "[]"),
    tasks: tasks.map((t): TaskState => {
      const system = mask(String(t.system));
      const unmapped = /^unmapped:([^:]+):/.exec(system);
      return {
        system,
        name: mask(String(t.name)),
        action: String(t.action),
        owner: t.owner,
        due: t.due,
        sources: unmapped ? [unmapped[1]] : [],
        origin: unmapped ? "unmapped" : "map",
        outcome: t.outcome as Outcome | null,
        detail: maskDeep(JSON.parse(t.detail ?? "{}"), mask),
        by: t.updated_by,
        at: t.updated_at,
        outcomeSeq: null,
      };
    }),
    runs: runs.map((x) => ({
      run: Number(x.id),
      at: String(x.finished_at),
      seq: 0,
      sources: JSON.parse(String(x.sources)),
      phase: deletedAt.some((d) => d && d < String(x.started_at)) ? "verification" : "before deletion",
      digest: (x.digest as string) ?? null,
      findings: Number((db.prepare("SELECT count(*) AS n FROM findings WHERE run = ?").get(x.id) as { n: number }).n),
      failures: (JSON.parse(String(x.failures)) as unknown[]).length,
      gaps: 0,
      foundIn: {},
    })),
  };
}
