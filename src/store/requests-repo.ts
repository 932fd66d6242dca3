import type BetterSqlite3 from "better-sqlite3";
import type { RequestState, TaskState } from "../requests/state.js";

/** A row of `requests`: the columns people query, and the whole replayed state. */
export interface RequestRow {
  id: string;
  opened_at: string;
  owner: string;
  due: string | null;
  status: RequestState["status"];
  closed_at: string | null;
  outcome: string | null;
  identifier_hashes: string;
  accepted_gaps: string | null;
  state: string | null;
}

export interface TaskRow {
  request: string;
  system: string;
  name: string;
  action: string;
  owner: string | null;
  due: string | null;
  outcome: string | null;
  detail: string | null;
  updated_by: string | null;
  updated_at: string | null;
}

/** The projection of each request's log: what `request list` and restore-check read without replaying. */
export class RequestRepository {
  constructor(private readonly db: BetterSqlite3.Database) {}

  get(id: string): RequestRow | undefined {
    return this.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as RequestRow | undefined;
  }

  list(): RequestRow[] {
    return this.db.prepare("SELECT * FROM requests ORDER BY id").all() as RequestRow[];
  }

  tasks(id: string): TaskRow[] {
    return this.db.prepare("SELECT * FROM tasks WHERE request = ? ORDER BY system").all(id) as TaskRow[];
  }

  /** The next free id, REQ-0001 onwards (call inside the write that inserts it). */
  nextId(): string {
    const rows = this.db.prepare("SELECT id FROM requests UNION SELECT DISTINCT request FROM events").all() as { id: string }[];
    const n = Math.max(0, ...rows.map((r) => Number(/^REQ-(\d+)$/.exec(r.id)?.[1] ?? 0)));
    return `REQ-${String(n + 1).padStart(4, "0")}`;
  }

  /** Keyed hashes of the customers of requests with the given statuses. */
  hashes(statuses: RequestState["status"][]): { request: string; kind: string; hash: string }[] {
    const rows = this.db.prepare(`SELECT id, identifier_hashes FROM requests WHERE status IN (${statuses.map(() => "?").join(", ")})`).all(...statuses) as { id: string; identifier_hashes: string }[];
    return rows.flatMap((r) => (JSON.parse(r.identifier_hashes) as { kind: string; hash: string }[]).map((h) => ({ request: r.id, ...h })));
  }

  /** Write the projection of a replayed state (inside the write that appended its event). */
  save(s: RequestState): void {
    this.db
      .prepare(
        `INSERT INTO requests (id, opened_at, owner, due, status, closed_at, outcome, identifier_hashes, accepted_gaps, state) VALUES (@id, @opened_at, @owner, @due, @status, @closed_at, @outcome, @identifier_hashes, @accepted_gaps, @state)
         ON CONFLICT (id) DO UPDATE SET opened_at = @opened_at, owner = @owner, due = @due, status = @status, closed_at = @closed_at, outcome = @outcome, identifier_hashes = @identifier_hashes, accepted_gaps = @accepted_gaps, state = @state`,
      )
      .run(projectRequest(s));
    this.db.prepare("DELETE FROM tasks WHERE request = ?").run(s.id);
    const insert = this.db.prepare(
      "INSERT INTO tasks (request, system, name, action, owner, due, outcome, detail, updated_by, updated_at) VALUES (@request, @system, @name, @action, @owner, @due, @outcome, @detail, @updated_by, @updated_at)",
    );
    for (const t of s.tasks) insert.run(projectTask(s.id, t));
  }

  /** Where the stored tables differ from the replayed state (empty when they agree). */
  differences(s: RequestState): string[] {
    const problems: string[] = [];
    const row = this.get(s.id);
    const want = projectRequest(s);
    if (!row) return [`${s.id} has events but no row in requests`];
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (k !== "state" && (row[k] ?? null) !== want[k]) problems.push(`requests.${k} is ${JSON.stringify(row[k])}, the log says ${JSON.stringify(want[k])}`);
    }
    const rows = this.tasks(s.id);
    for (const t of s.tasks) {
      const r = rows.find((x) => x.system === t.system);
      const w = projectTask(s.id, t);
      if (!r) problems.push(`task ${t.system} is missing from the tasks table`);
      else for (const k of Object.keys(w) as (keyof typeof w)[]) if ((r[k] ?? null) !== w[k]) problems.push(`tasks(${t.system}).${k} is ${JSON.stringify(r[k])}, the log says ${JSON.stringify(w[k])}`);
    }
    for (const r of rows) if (!s.tasks.some((t) => t.system === r.system)) problems.push(`task ${r.system} is in the tasks table but not in the log`);
    return problems;
  }
}

function projectRequest(s: RequestState) {
  return {
    id: s.id,
    opened_at: s.openedAt,
    owner: s.owner,
    due: s.due,
    status: s.status,
    closed_at: s.closedAt,
    outcome: s.outcome,
    identifier_hashes: JSON.stringify(s.identifierHashes),
    accepted_gaps: s.acceptedGaps,
    state: JSON.stringify(s),
  };
}

function projectTask(request: string, t: TaskState) {
  return {
    request,
    system: t.system,
    name: t.name,
    action: t.action,
    owner: t.owner,
    due: t.due,
    outcome: t.outcome,
    detail: JSON.stringify(t.detail),
    updated_by: t.by,
    updated_at: t.at,
  };
}
