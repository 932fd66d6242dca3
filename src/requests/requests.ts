import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import type { DataMap } from "../map/data-map.js";
import { CustomerMatcher, type CustomerQuery } from "../match/customer.js";
import { hashedForms } from "../match/forms.js";
import { maskDeep, maskKnown, redactValue, type Finder } from "../match/redact.js";
import type { RunResult } from "../index.js";
import type { Store } from "../store/store.js";
import type { Finding } from "../types.js";
import { dateAfter, jurisdiction, parseDay, parseDue, statutoryDue } from "./deadlines.js";
import { DELETING, OUTCOMES, replay, type NewTask, type Outcome, type RequestState, type TaskState } from "./state.js";

export { OUTCOMES, type Outcome } from "./state.js";
export { dateAfter } from "./deadlines.js";

/** Where a request's raw identifiers wait while it is open: a file beside the store, readable by its owner only. */
const identifiersFile = (store: Store, id: string) => join(store.folder, "requests", `${id}.identifiers.json`);

/** The forms of her identifiers that restore-check compares (match/forms.ts decides them). */
function normalised(query: CustomerQuery): { kind: string; value: string }[] {
  return [
    ...(query.emails ?? []).flatMap((e) => hashedForms("email", e)),
    ...(query.ids ?? []).flatMap((i) => hashedForms("id", i)),
    ...(query.phones ?? []).flatMap((p) => hashedForms("phone", p, query.defaultRegion)),
  ];
}

/** A request's state, replayed from its log (the source of truth). */
export function stateOf(store: Store, id: string): RequestState {
  const events = store.events.list(id);
  if (events.length === 0) throw new UsageError(`${id}: no such request${store.requests.list().length ? ` (straymap request list shows them)` : ""}`);
  return replay(events);
}

/**
 * Append one event and project the replayed state, in one write transaction
 * that re-reads the state first: `check` sees the state as it is at the
 * moment of writing, never one another process changed meanwhile.
 */
function change(store: Store, id: string, check: (s: RequestState) => { type: string; data: Record<string, unknown> } | undefined): RequestState {
  return store.write(() => {
    const before = stateOf(store, id);
    const e = check(before);
    if (!e) return before;
    store.events.append(id, e.type, e.data);
    const after = stateOf(store, id);
    store.requests.save(after);
    return after;
  });
}

export interface OpenOptions {
  owner: string;
  /** --due as given: a date or a delay; default from the jurisdiction. */
  due?: string;
  /** When the request was received (YYYY-MM-DD), default today. */
  received?: string;
  jurisdiction?: string;
  /** Another legal basis, in words, when no known jurisdiction applies. */
  legalBasis?: string;
  /** How the requester's identity was verified. */
  verified?: string;
}

/** Sources whose scans reach a system of the map ("*" any). */
const reachOf = (s: DataMap["systems"][number]) => [...new Set(s.locations.map((l) => l.source))];

/** Open a request: keep the identifiers aside, their keyed hashes in the log, and one task per system of the map. */
export function openRequest(store: Store, map: DataMap | undefined, query: CustomerQuery, o: OpenOptions): string {
  const ids = normalised(query);
  if (ids.length === 0) throw new UsageError("say who the request is for: --customer EMAIL, --id ID and/or --phone NUMBER");
  if (!o.owner.trim()) throw new UsageError("--owner: say who owns the request");
  const now = new Date();
  const received = o.received ? parseDay(o.received, "--received") : now;
  if (received > now) throw new UsageError(`--received ${o.received}: that date is in the future`);
  const j = jurisdiction(o.jurisdiction);
  const statutory = j ? statutoryDue(j, received) : undefined;
  const due = o.due ? parseDue(o.due, now) : statutory?.due;
  // The report names the data subject only masked (a****@example.com); the hashes let restore-check find her again.
  const hashes = ids.map((i) => ({ kind: i.kind, hash: store.hash(i.kind, i.value), ...(i.kind === "phone-national" ? {} : { masked: redactValue(i.value, i.kind) }) }));
  const tasks: NewTask[] = (map?.systems ?? []).map((s) => ({ system: s.id, name: s.name, action: s.action, owner: s.owner, sources: reachOf(s), origin: "map" }));
  // The id is allocated and the request written in one transaction: two opens at once get two ids.
  const id = store.write(() => {
    const next = store.requests.nextId();
    store.events.append(next, "opened", {
      owner: o.owner,
      receivedAt: received.toISOString(),
      due: due ?? null,
      dueFrom: o.due ? "given" : due ? "jurisdiction" : null,
      jurisdiction: j?.id ?? null,
      legalBasis: o.legalBasis ?? j?.legalBasis ?? null,
      verified: o.verified ?? null,
      identifiers: hashes,
      tasks,
    });
    store.requests.save(stateOf(store, next));
    return next;
  });
  // Written after the commit, exclusively: never over another request's file.
  const file = identifiersFile(store, id);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  writeFileSync(file, JSON.stringify(query), { mode: 0o600, flag: "wx" });
  return id;
}

/** The raw identifiers of an open request; a closed request has none any more. */
export function identifiersOf(store: Store, id: string): CustomerQuery {
  const s = stateOf(store, id);
  const file = identifiersFile(store, id);
  if (s.status !== "open" || !existsSync(file)) {
    throw new UsageError(`${id} is ${s.status}${s.status === "open" ? " (reopened without its identifiers: give them to request reopen again)" : ""}: its identifiers were purged when it ${s.status === "cancelled" ? "was cancelled" : "closed"}`);
  }
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

const mustBeOpen = (s: RequestState) => {
  if (s.status !== "open") throw new UsageError(`${s.id} is ${s.status}${s.status === "closed" ? ` (straymap request reopen ${s.id} --reason "…" to work on it again)` : ""}`);
};

export function setTask(store: Store, map: DataMap | undefined, id: string, system: string, update: TaskUpdate): TaskState {
  if (!(OUTCOMES as readonly string[]).includes(update.outcome)) throw new UsageError(`outcome must be one of ${OUTCOMES.join(", ")}`);
  const detail: Record<string, unknown> = { ...(update.note ? { note: update.note } : {}) };
  if (update.outcome === "expiring") {
    const retention = map?.systems.find((s) => s.id === system)?.retention;
    const until = update.until ? parseDay(update.until, "--until").toISOString().slice(0, 10) : dateAfter(retention);
    if (!until) throw new UsageError(`expiring needs --until DATE (system "${system}" has no retention duration in the data map)`);
    detail.until = until;
  }
  if (update.outcome === "vendor-ticket") {
    if (!update.ref) throw new UsageError("vendor-ticket needs --ref TICKET");
    detail.ref = update.ref;
  }
  if (update.outcome === "retained") {
    if (!update.reason) throw new UsageError('retained needs --reason "why the data is kept"');
    detail.reason = update.reason;
    if (update.legalHold) detail.legalHold = true;
  }
  const after = change(store, id, (s) => {
    mustBeOpen(s);
    if (!s.tasks.some((t) => t.system === system)) throw new UsageError(`${id} has no task for system "${system}" (tasks: ${s.tasks.map((t) => t.system).join(", ")})`);
    return { type: "task", data: { system, outcome: update.outcome, ...detail } };
  });
  return after.tasks.find((t) => t.system === system)!;
}

/** A task id for an unmapped place: the source and the item (file, object, table), her identifiers masked. */
export function unmappedTaskId(f: Finding): string {
  return `unmapped:${f.source}:${f.location.path}`;
}

/** The task a finding belongs to: its system, or the unmapped place it is in. */
const taskOf = (f: Finding) => f.system ?? unmappedTaskId(f);

/** `fs:/srv/share` (a PATH given on the command line) is searched as the source `fs`. */
const sourceIdOf = (s: string) => (s.startsWith("fs:") ? "fs" : s);

/** Store a scan run for a request, its findings masked; an unmapped location with a finding becomes a task of its own. */
export function recordRun(store: Store, id: string, sources: string[], result: RunResult, startedAt: Date, finders: Finder[] = []): number {
  const mask = (s: string) => maskKnown(s, finders);
  const findings = result.findings.map((f) => maskDeep(f, mask));
  const coverage = { summary: result.coverage.summary, items: maskDeep(result.coverage.items, mask) };
  // What was counted and not listed one by one, kept in the log beside the listed findings.
  const unlisted = coverage.items.flatMap((e) => (e.unlisted ?? []).map((u) => ({ source: e.source, path: e.path, ...(e.member ? { member: e.member } : {}), ...u })));
  // A PATH given on the command line may hold her address too.
  sources = sources.map(mask);
  let runId = 0;
  change(store, id, (s) => {
    mustBeOpen(s);
    const run = store.runs.insert(id, "scan", sources, { findings, coverage }, startedAt);
    runId = run.id;
    const foundIn: Record<string, number> = {};
    for (const f of findings) foundIn[taskOf(f)] = (foundIn[taskOf(f)] ?? 0) + 1;
    // Places counted past limits.maxFindingsPerColumn belong to the task of their item's listed findings.
    for (const u of unlisted) {
      const listed = findings.find((f) => f.source === u.source && f.location.path === u.path && f.location.member === u.member);
      if (listed) foundIn[taskOf(listed)] += u.findings;
    }
    const tasksAdded = [...new Set(findings.filter((f) => f.system === null).map(unmappedTaskId))]
      .filter((t) => !s.tasks.some((x) => x.system === t))
      .map((t) => ({ system: t, name: `unmapped copy: ${t.slice("unmapped:".length)}`, action: "manual", sources: [t.split(":")[1]], origin: "unmapped" }));
    const deleting = s.tasks.some((t) => t.outcome && DELETING.includes(t.outcome));
    return {
      type: "scan",
      data: { run: run.id, sources, phase: deleting ? "verification" : "before deletion", digest: run.digest, findings: findings.length, ...(unlisted.length ? { unlisted } : {}), failures: run.failures, gaps: run.gaps, foundIn, tasksAdded },
    };
  });
  return runId;
}

export interface CloseResult {
  outcome: "completed" | "completed with exceptions";
}

/** Why a request cannot close yet, as lines a person can act on (empty when it can). */
export function closeBlockers(s: RequestState): { blocking: string[]; gaps: string[] } {
  const blocking: string[] = [];
  const gaps: string[] = [];
  const open = s.tasks.filter((t) => !t.outcome);
  if (open.length) blocking.push(`${open.length} task${open.length === 1 ? "" : "s"} without an outcome (${open.map((t) => t.system).join(", ")})`);
  if (s.runs.length === 0) {
    blocking.push(`it was never scanned (straymap scan --request ${s.id})`);
    return { blocking, gaps };
  }
  const last = s.runs[s.runs.length - 1];
  if (last.failures) gaps.push(`the last scan could not read ${last.failures} place${last.failures === 1 ? "" : "s"}`);
  if (last.gaps) gaps.push(`the last scan did not fully search ${last.gaps} place${last.gaps === 1 ? "" : "s"} (a limit, an unsupported type or binary content; the report lists each)`);
  // Each system marked deleted must have been searched again after that, and no longer hold her.
  for (const t of s.tasks) {
    if (!t.outcome || !DELETING.includes(t.outcome) || t.sources.length === 0) continue;
    const reaches = (r: (typeof s.runs)[number]) => t.sources.includes("*") || r.sources.some((x) => t.sources.includes(sourceIdOf(x)));
    const after = s.runs.filter((r) => (t.outcomeSeq === null ? r.phase === "verification" : r.seq > t.outcomeSeq) && reaches(r));
    if (after.length === 0) {
      gaps.push(`${t.system} is marked ${t.outcome} but no scan reached it since (straymap scan --request ${s.id}${t.sources.includes("*") ? "" : ` --source ${t.sources[0]}`})`);
      continue;
    }
    const latest = after[after.length - 1];
    const still = latest.foundIn[t.system] ?? 0;
    if (still) gaps.push(`${t.system} is marked ${t.outcome} but the verification scan (run ${latest.run}) still finds her there in ${still} place${still === 1 ? "" : "s"}`);
  }
  return { blocking, gaps };
}

/**
 * Close a request when every task has an outcome, a verification scan after
 * the last deletion found her nowhere marked deleted, and that scan was
 * complete; gaps may be accepted with a reason, missing outcomes never.
 */
export function closeRequest(store: Store, id: string, acceptGaps?: string): CloseResult {
  let outcome: CloseResult["outcome"] = "completed";
  change(store, id, (s) => {
    if (s.status !== "open") throw new UsageError(`${id} is already ${s.status}`);
    const { blocking, gaps } = closeBlockers(s);
    if (blocking.length) throw new UsageError(`${id} cannot close: ${blocking.join("; ")}`);
    if (gaps.length && !acceptGaps?.trim()) throw new UsageError(`${id} cannot close:\n  - ${gaps.join("\n  - ")}\nscan again, or close with --accept-gaps "why"`);
    const exceptions = s.tasks.some((t) => t.outcome === "retained" || t.outcome === "expiring") || gaps.length > 0;
    outcome = exceptions ? "completed with exceptions" : "completed";
    return { type: "closed", data: { outcome, ...(gaps.length ? { acceptedGaps: acceptGaps, gaps } : {}) } };
  });
  // The raw identifiers go; the keyed hashes stay.
  rmSync(identifiersFile(store, id), { force: true });
  return { outcome };
}

/**
 * Extend the deadline, with the reason the customer is told: to the date
 * given, or as far as the jurisdiction allows (GDPR two more months, CCPA 45
 * days); never past that limit.
 */
export function extendRequest(store: Store, id: string, reason: string, to?: string): RequestState {
  if (!reason.trim()) throw new UsageError('extend needs --reason "why more time is needed"');
  return change(store, id, (s) => {
    mustBeOpen(s);
    const j = jurisdiction(s.jurisdiction);
    const limit = j ? statutoryDue(j, new Date(s.receivedAt)).extendedTo : undefined;
    const due = to ? parseDue(to) : limit;
    if (!due) throw new UsageError(`${id} has no jurisdiction to extend by: give --to DATE`);
    if (limit && due > limit) throw new UsageError(`--to ${to}: past what ${j!.id.toUpperCase()} allows (${limit})`);
    if (s.due && due <= s.due) throw new UsageError(`--to ${due}: not later than the current deadline ${s.due}`);
    return { type: "extended", data: { due, reason } };
  });
}

export const CANCEL_KINDS = ["withdrawn", "refused"] as const;

/** Cancel an open request (the customer withdrew it, or it was refused), with the reason kept in its log. */
export function cancelRequest(store: Store, id: string, kind: string, reason: string): void {
  if (!(CANCEL_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--as must be one of ${CANCEL_KINDS.join(", ")}`);
  if (!reason.trim()) throw new UsageError('cancel needs --reason "why"');
  change(store, id, (s) => {
    mustBeOpen(s);
    return { type: "cancelled", data: { kind, reason } };
  });
  rmSync(identifiersFile(store, id), { force: true });
}

/**
 * Reopen a closed request (her data came back with a restore, a task was
 * wrong): one new task per place restore-check found her again. Given her
 * identifiers again (checked against the kept hashes), scans can run again.
 */
export function reopenRequest(store: Store, id: string, reason: string, query?: CustomerQuery): RequestState {
  if (!reason.trim()) throw new UsageError('reopen needs --reason "why"');
  const given = query ? normalised(query) : [];
  const after = change(store, id, (s) => {
    if (s.status === "open") throw new UsageError(`${id} is open already`);
    for (const g of given) {
      if (!s.identifierHashes.some((h) => h.kind === g.kind && h.hash === store.hash(g.kind, g.value))) {
        throw new UsageError(`${id}: the ${g.kind} given is not one this request was opened for`);
      }
    }
    const places = s.foundAgain.flatMap((f) => f.places);
    const tasks = [...new Map(places.map((p) => [p.task, p])).values()].map((p) => ({
      system: p.task,
      name: `found again after a restore: ${p.where}`,
      action: "manual",
      sources: [p.source],
      origin: "found-again",
    }));
    return { type: "reopened", data: { reason, tasks } };
  });
  if (query && given.length) {
    const file = identifiersFile(store, id);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(query), { mode: 0o600 });
  }
  return after;
}

/**
 * restore-check: for each request whose customer was found again, an event
 * naming the places ("found again after a restore, in …"). Returns the
 * requests concerned.
 */
export function recordFoundAgain(store: Store, sources: string[], result: RunResult, startedAt: Date): string[] {
  const byRequest = new Map<string, Finding[]>();
  for (const f of result.findings) if (f.request) byRequest.set(f.request, [...(byRequest.get(f.request) ?? []), f]);
  for (const [id, findings] of byRequest) {
    change(store, id, () => {
      const run = store.runs.insert(id, "restore-check", sources, { findings, coverage: result.coverage }, startedAt);
      const places = [...new Map(findings.map((f) => [taskOf(f), { source: f.source, where: f.location.path, system: f.system, task: `found-again:${f.source}:${f.location.path}` }])).values()];
      return { type: "found-again", data: { run: run.id, places } };
    });
  }
  return [...byRequest.keys()];
}

/** The request's raw identifiers as a finder (to mask them in what a scan stores). */
export function findersOf(query: CustomerQuery): Finder[] {
  return [new CustomerMatcher(query)];
}
