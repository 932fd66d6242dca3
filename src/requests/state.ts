import type { StoredEvent } from "../store/events.js";
import type { Unlisted } from "../types.js";

export const OUTCOMES = ["done", "anonymized", "expiring", "vendor-ticket", "retained", "not-found"] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** Outcomes that say her data is gone from a system: a later scan must confirm it. */
export const DELETING: readonly Outcome[] = ["done", "anonymized"];

export interface TaskState {
  system: string;
  /** Display name (the data map's `name`); never an internal id in the customer's reply. */
  name: string;
  action: string;
  owner: string | null;
  due: string | null;
  /** Sources whose scans reach this system ("*" any); empty when no scanner does (backups, vendors). */
  sources: string[];
  origin: "map" | "unmapped" | "found-again";
  outcome: Outcome | null;
  detail: Record<string, unknown>;
  by: string | null;
  at: string | null;
  /** The event that set the outcome: a verification scan must come after it. */
  outcomeSeq: number | null;
}

/** Findings of one column of an item counted and not listed, as a scan --request stored them. */
export type UnlistedPlace = Unlisted & { source: string; path: string; member?: string };

export interface RunRef {
  run: number;
  at: string;
  seq: number;
  sources: string[];
  phase: "before deletion" | "verification";
  digest: string | null;
  findings: number;
  /** Findings counted past limits.maxFindingsPerColumn and not listed one by one, per column of an item. */
  unlisted?: UnlistedPlace[];
  failures: number;
  /** Places the run did not fully search (gaps); 0 for runs stored before gaps were counted. */
  gaps: number;
  /** Task (system) id → places she was found in it by this run. */
  foundIn: Record<string, number>;
}

export interface RequestState {
  id: string;
  openedAt: string;
  receivedAt: string;
  openedBy: string;
  owner: string;
  due: string | null;
  dueFrom: "given" | "jurisdiction" | "extended" | null;
  /** Deadline extensions, each with the reason given to the customer. */
  extensions: { at: string; by: string; due: string; reason: string }[];
  jurisdiction: string | null;
  legalBasis: string | null;
  verified: string | null;
  status: "open" | "closed" | "cancelled";
  closedAt: string | null;
  closedBy: string | null;
  outcome: string | null;
  acceptedGaps: string | null;
  cancel: { kind: string; reason: string } | null;
  identifierHashes: { kind: string; hash: string; masked?: string }[];
  tasks: TaskState[];
  runs: RunRef[];
  foundAgain: { at: string; seq: number; run: number | null; places: { source: string; where: string; system: string | null; task: string }[] }[];
  reopened: { at: string; by: string; reason: string }[];
  /** The store upgrade that imported this request's tables into its log, when it predates event replay. */
  upgraded: { at: string; from: number; previousChain: string } | null;
  /** The log this state was replayed from: its length and head hash. */
  log: { events: number; head: string };
}

type Data = Record<string, unknown>;

export interface NewTask {
  system: string;
  name: string;
  action?: string;
  owner?: string | null;
  sources?: string[];
  origin?: TaskState["origin"];
}

function newTask(t: NewTask | string, due: string | null): TaskState {
  const x = typeof t === "string" ? { system: t, name: t } : t;
  return {
    system: x.system,
    name: x.name,
    action: x.action ?? "manual",
    owner: x.owner ?? null,
    due,
    sources: x.sources ?? [],
    origin: x.origin ?? "map",
    outcome: null,
    detail: {},
    by: null,
    at: null,
    outcomeSeq: null,
  };
}

function addTasks(s: RequestState, tasks: unknown): void {
  for (const t of (tasks as (NewTask | string)[] | undefined) ?? []) {
    const task = newTask(t, s.due);
    if (!s.tasks.some((x) => x.system === task.system)) s.tasks.push(task);
  }
  s.tasks.sort((a, b) => (a.system < b.system ? -1 : a.system > b.system ? 1 : 0));
}

/**
 * A request's state, replayed from its event log: the log is the source of
 * truth, the `requests` and `tasks` tables are only its projection (checked by
 * `request verify`).
 */
export function replay(events: StoredEvent[]): RequestState {
  if (events.length === 0) throw new Error("a request's log starts with its opened event");
  const first = events[0];
  const s: RequestState = {
    id: first.request,
    openedAt: first.at,
    receivedAt: first.at,
    openedBy: first.actor,
    owner: "",
    due: null,
    dueFrom: null,
    extensions: [],
    jurisdiction: null,
    legalBasis: null,
    verified: null,
    status: "open",
    closedAt: null,
    closedBy: null,
    outcome: null,
    acceptedGaps: null,
    cancel: null,
    identifierHashes: [],
    tasks: [],
    runs: [],
    foundAgain: [],
    reopened: [],
    upgraded: null,
    log: { events: 0, head: "" },
  };
  for (const e of events) {
    apply(s, e, JSON.parse(e.data) as Data);
    s.log = { events: s.log.events + 1, head: e.hash };
  }
  return s;
}

function apply(s: RequestState, e: StoredEvent, d: Data): void {
  switch (e.type) {
    case "opened": {
      s.owner = String(d.owner ?? "");
      s.due = (d.due as string | null) ?? null;
      s.dueFrom = (d.dueFrom as RequestState["dueFrom"]) ?? (s.due ? "given" : null);
      s.receivedAt = (d.receivedAt as string) ?? e.at;
      s.jurisdiction = (d.jurisdiction as string) ?? null;
      s.legalBasis = (d.legalBasis as string) ?? null;
      s.verified = (d.verified as string) ?? null;
      // straymap 0.1 logged only the identifier kinds here.
      s.identifierHashes = ((d.identifiers as unknown[]) ?? []).filter((i): i is { kind: string; hash: string } => typeof i === "object" && i !== null);
      addTasks(s, d.tasks);
      return;
    }
    case "scan": {
      addTasks(s, d.tasksAdded);
      const deleting = s.tasks.some((t) => t.outcome && DELETING.includes(t.outcome));
      s.runs.push({
        run: Number(d.run),
        at: e.at,
        seq: e.seq,
        sources: (d.sources as string[]) ?? [],
        phase: (d.phase as RunRef["phase"]) ?? (deleting ? "verification" : "before deletion"),
        digest: (d.digest as string) ?? null,
        findings: Number(d.findings ?? 0),
        ...(Array.isArray(d.unlisted) ? { unlisted: d.unlisted as UnlistedPlace[] } : {}),
        failures: typeof d.failures === "number" ? d.failures : Array.isArray(d.failures) ? d.failures.length : 0,
        gaps: Number(d.gaps ?? 0),
        foundIn: (d.foundIn as Record<string, number>) ?? {},
      });
      return;
    }
    case "task": {
      const t = s.tasks.find((x) => x.system === d.system);
      if (!t) return;
      const { system: _system, outcome, ...detail } = d;
      t.outcome = outcome as Outcome;
      t.detail = detail;
      t.by = e.actor;
      t.at = e.at;
      t.outcomeSeq = e.seq;
      return;
    }
    case "closed":
      s.status = "closed";
      s.closedAt = e.at;
      s.closedBy = e.actor;
      s.outcome = String(d.outcome);
      s.acceptedGaps = (d.acceptedGaps as string) ?? null;
      return;
    case "cancelled":
      s.status = "cancelled";
      s.closedAt = e.at;
      s.closedBy = e.actor;
      s.cancel = { kind: String(d.kind), reason: String(d.reason) };
      s.outcome = String(d.kind);
      return;
    case "extended":
      s.due = String(d.due);
      s.dueFrom = "extended";
      s.extensions.push({ at: e.at, by: e.actor, due: String(d.due), reason: String(d.reason) });
      return;
    case "found-again":
      s.foundAgain.push({ at: e.at, seq: e.seq, run: (d.run as number) ?? null, places: (d.places as RequestState["foundAgain"][number]["places"]) ?? [] });
      return;
    case "reopened":
      s.status = "open";
      s.closedAt = null;
      s.closedBy = null;
      s.outcome = null;
      s.acceptedGaps = null;
      s.cancel = null;
      s.reopened.push({ at: e.at, by: e.actor, reason: String(d.reason) });
      addTasks(s, d.tasks);
      return;
    case "upgraded": {
      // A request from before event replay: its tables, as they were, become its state.
      const snap = d.snapshot as Partial<RequestState>;
      Object.assign(s, snap, { tasks: snap.tasks ?? s.tasks, runs: snap.runs ?? s.runs });
      s.upgraded = { at: e.at, from: Number(d.from), previousChain: String(d.previousChain) };
      return;
    }
    default:
      return;
  }
}
