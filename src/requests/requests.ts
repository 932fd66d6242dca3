import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../config/load.js";
import type { DataMap } from "../map/data-map.js";
import type { CustomerQuery } from "../match/customer.js";
import { hashedForms } from "../match/forms.js";
import type { RunResult } from "../index.js";
import { actor, type Store } from "../store/store.js";
import { insertRun } from "../store/runs.js";
import type { Finding } from "../types.js";

export const OUTCOMES = ["done", "anonymized", "expiring", "vendor-ticket", "retained", "not-found"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface RequestRow {
  id: string;
  opened_at: string;
  owner: string;
  due: string | null;
  status: "open" | "closed";
  closed_at: string | null;
  outcome: string | null;
  identifier_hashes: string;
  accepted_gaps: string | null;
}

export interface TaskRow {
  request: string;
  system: string;
  name: string;
  action: string;
  owner: string | null;
  due: string | null;
  outcome: Outcome | null;
  detail: string | null;
  updated_by: string | null;
  updated_at: string | null;
}

/** "30d", "6w", "13 months", "7y" from now, as an ISO date; undefined for "until-deleted" or nothing. */
export function dateAfter(duration: string | undefined, from = new Date()): string | undefined {
  const m = /^(\d+)\s*(d|days?|w|weeks?|m|months?|y|years?)$/i.exec(duration?.trim() ?? "");
  if (!m) return undefined;
  const n = Number(m[1]);
  const d = new Date(from);
  const unit = m[2][0].toLowerCase();
  if (unit === "d") d.setUTCDate(d.getUTCDate() + n);
  else if (unit === "w") d.setUTCDate(d.getUTCDate() + 7 * n);
  else if (unit === "m") d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return d.toISOString().slice(0, 10);
}

/** Where a request's raw identifiers wait while it is open: a file beside the store, readable by its owner only. */
const identifiersFile = (store: Store, id: string) => join(dirname(store.file), "requests", `${id}.identifiers.json`);

/** The forms of her identifiers that restore-check compares (match/forms.ts decides them). */
function normalised(query: CustomerQuery): { kind: string; value: string }[] {
  return [
    ...(query.emails ?? []).flatMap((e) => hashedForms("email", e)),
    ...(query.ids ?? []).flatMap((i) => hashedForms("id", i)),
    ...(query.phones ?? []).flatMap((p) => hashedForms("phone", p, query.defaultRegion)),
  ];
}

export function getRequest(store: Store, id: string): RequestRow {
  const row = store.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as RequestRow | undefined;
  if (!row) throw new ConfigError(`${id}: no such request`);
  return row;
}

export function tasksOf(store: Store, id: string): TaskRow[] {
  return store.db.prepare("SELECT * FROM tasks WHERE request = ? ORDER BY system").all(id) as TaskRow[];
}

/** Open a request: keep the identifiers aside, their keyed hashes in the store, and one task per system of the map. */
export function openRequest(store: Store, map: DataMap | undefined, query: CustomerQuery, owner: string, due?: string): string {
  const ids = normalised(query);
  if (ids.length === 0) throw new ConfigError("say who the request is for: --customer EMAIL, --id ID and/or --phone NUMBER");
  const last = store.db.prepare("SELECT id FROM requests ORDER BY id DESC LIMIT 1").get() as { id: string } | undefined;
  const id = `REQ-${String(Number(last?.id.slice(4) ?? 0) + 1).padStart(4, "0")}`;
  const dueDate = dateAfter(due) ?? due;
  const hashes = ids.map((i) => ({ kind: i.kind, hash: store.hash(i.kind, i.value) }));
  const file = identifiersFile(store, id);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(query), { mode: 0o600 });
  const insertTask = store.db.prepare("INSERT INTO tasks (request, system, name, action, owner, due) VALUES (?, ?, ?, ?, ?, ?)");
  store.db.transaction(() => {
    store.db.prepare("INSERT INTO requests (id, opened_at, owner, due, status, identifier_hashes) VALUES (?, ?, ?, ?, 'open', ?)").run(id, new Date().toISOString(), owner, dueDate ?? null, JSON.stringify(hashes));
    for (const s of map?.systems ?? []) insertTask.run(id, s.id, s.name, s.action, s.owner, dueDate ?? null);
    store.event(id, "opened", { owner, due: dueDate ?? null, identifiers: hashes.map((h) => h.kind), tasks: (map?.systems ?? []).map((s) => s.id) });
  })();
  return id;
}

/** The raw identifiers of an open request; a closed request has none any more. */
export function identifiersOf(store: Store, id: string): CustomerQuery {
  const req = getRequest(store, id);
  const file = identifiersFile(store, id);
  if (req.status !== "open" || !existsSync(file)) throw new ConfigError(`${id} is ${req.status}: its identifiers were purged when it closed`);
  return JSON.parse(readFileSync(file, "utf8")) as CustomerQuery;
}

export interface TaskUpdate {
  outcome: Outcome;
  note?: string;
  until?: string;
  ref?: string;
  reason?: string;
  legalHold?: boolean;
}

export function setTask(store: Store, map: DataMap | undefined, id: string, system: string, update: TaskUpdate): TaskRow {
  const req = getRequest(store, id);
  if (req.status !== "open") throw new ConfigError(`${id} is closed`);
  const task = tasksOf(store, id).find((t) => t.system === system);
  if (!task) throw new ConfigError(`${id} has no task for system "${system}" (tasks: ${tasksOf(store, id).map((t) => t.system).join(", ")})`);
  const detail: Record<string, unknown> = { ...(update.note ? { note: update.note } : {}) };
  if (update.outcome === "expiring") {
    const retention = map?.systems.find((s) => s.id === system)?.retention;
    const until = update.until ?? dateAfter(retention);
    if (!until) throw new ConfigError(`expiring needs --until DATE (system "${system}" has no retention duration in the data map)`);
    detail.until = until;
  }
  if (update.outcome === "vendor-ticket") {
    if (!update.ref) throw new ConfigError("vendor-ticket needs --ref TICKET");
    detail.ref = update.ref;
  }
  if (update.outcome === "retained") {
    if (!update.reason) throw new ConfigError('retained needs --reason "why the data is kept"');
    detail.reason = update.reason;
    if (update.legalHold) detail.legalHold = true;
  }
  const now = new Date().toISOString();
  store.db.transaction(() => {
    store.db.prepare("UPDATE tasks SET outcome = ?, detail = ?, updated_by = ?, updated_at = ? WHERE request = ? AND system = ?").run(update.outcome, JSON.stringify(detail), actor(), now, id, system);
    store.event(id, "task", { system, outcome: update.outcome, ...detail });
  })();
  return tasksOf(store, id).find((t) => t.system === system)!;
}

/** Store a scan run for a request; an unmapped location with a finding becomes a task of its own. */
export function recordRun(store: Store, id: string, sources: string[], result: RunResult, startedAt: Date): number {
  const req = getRequest(store, id);
  const addTask = store.db.prepare("INSERT OR IGNORE INTO tasks (request, system, name, action, owner, due) VALUES (?, ?, ?, 'manual', NULL, ?)");
  let runId = 0;
  store.db.transaction(() => {
    const run = insertRun(store, id, sources, result, startedAt);
    runId = run.id;
    for (const f of result.findings) {
      if (f.system !== null) continue;
      const where = unmappedTaskId(f);
      addTask.run(id, where, `unmapped copy: ${where}`, req.due);
    }
    store.event(id, "scan", { run: run.id, sources, summary: result.coverage.summary, failures: run.failures, findings: result.findings.length });
  })();
  return runId;
}

/** A task id for an unmapped place: the source and the item (file, object, table). */
export function unmappedTaskId(f: Finding): string {
  return `unmapped:${f.source}:${f.location.path}`;
}

export interface CloseResult {
  outcome: "completed" | "completed with exceptions";
}

/** Close a request when every task has an outcome and the last scan was complete (or its gaps are accepted, with a reason). */
export function closeRequest(store: Store, id: string, acceptGaps?: string): CloseResult {
  const req = getRequest(store, id);
  if (req.status !== "open") throw new ConfigError(`${id} is already closed`);
  const open = tasksOf(store, id).filter((t) => !t.outcome);
  if (open.length) throw new ConfigError(`${id} cannot close: ${open.length} task${open.length === 1 ? "" : "s"} without an outcome (${open.map((t) => t.system).join(", ")})`);
  const last = store.db.prepare("SELECT failures FROM runs WHERE request = ? ORDER BY id DESC LIMIT 1").get(id) as { failures: string } | undefined;
  if (!last) throw new ConfigError(`${id} cannot close: it was never scanned (straymap scan --request ${id})`);
  const failures = JSON.parse(last.failures) as unknown[];
  if (failures.length && !acceptGaps) throw new ConfigError(`${id} cannot close: the last scan could not read ${failures.length} place${failures.length === 1 ? "" : "s"}; scan again, or close with --accept-gaps "why"`);
  const exceptions = tasksOf(store, id).some((t) => t.outcome === "retained" || t.outcome === "expiring");
  const outcome = exceptions ? "completed with exceptions" : "completed";
  store.db.transaction(() => {
    store.db.prepare("UPDATE requests SET status = 'closed', closed_at = ?, outcome = ?, accepted_gaps = ? WHERE id = ?").run(new Date().toISOString(), outcome, acceptGaps ?? null, id);
    store.event(id, "closed", { outcome, ...(acceptGaps ? { acceptedGaps: acceptGaps } : {}) });
  })();
  // The raw identifiers go; the keyed hashes stay.
  rmSync(identifiersFile(store, id), { force: true });
  return { outcome };
}

