import type { Config } from "../config/load.js";
import type { Store } from "../store/store.js";
import type { CoverageSummary } from "../types.js";
import { deadlineStatus } from "./deadlines.js";
import { buildReport, type RequestReport } from "./report.js";
import { stateOf } from "./requests.js";
import type { RunRef } from "./state.js";

/** One row of `request list` (table and JSON) and of the web page's list. */
export interface RequestRow {
  id: string;
  status: string;
  outcome: string | null;
  pendingTasks: number;
  owner: string;
  due: string | null;
  deadline: string;
  overdue: boolean;
}

export function requestList(store: Store, config: Pick<Config, "timezone">, now = new Date()): RequestRow[] {
  return store.requests.list().map((r) => {
    const deadline = deadlineStatus(r.due, r.status, r.closed_at, now, config.timezone);
    const pendingTasks = store.requests.tasks(r.id).filter((t) => !t.outcome).length;
    return { id: r.id, status: r.status, outcome: r.outcome, pendingTasks, owner: r.owner, due: r.due, deadline: deadline.text, overdue: deadline.overdue };
  });
}

/**
 * One request as `request show` (table and JSON) and the web page show it:
 * replayed from its log, the customer only masked, each run with its coverage.
 */
export interface RequestView {
  id: string;
  status: RequestReport["request"]["status"];
  outcome: string | null;
  owner: string;
  customer: RequestReport["request"]["subject"];
  receivedAt: string;
  legalBasis: string | null;
  verified: string | null;
  deadline: { due: string | null; text: string; overdue: boolean };
  tasks: RequestReport["systems"];
  /** Each run; `moreCounted`: findings past the per-column cap, counted but not listed. */
  runs: (Pick<RunRef, "run" | "at" | "phase" | "sources" | "findings" | "failures" | "gaps"> & { moreCounted: number; coverage: CoverageSummary | null })[];
  /** Why it cannot close yet (open requests). */
  outstanding: string[];
  log: RequestReport["log"];
  events: { seq: number; at: string; actor: string; type: string }[];
}

export function requestView(store: Store, config: Pick<Config, "organisation" | "timezone">, id: string, now = new Date()): RequestView {
  const s = stateOf(store, id);
  const r = buildReport(store, id, config, now);
  const coverage = new Map(r.searches.map((x) => [x.run, x.coverage]));
  return {
    id,
    status: s.status,
    outcome: s.outcome,
    owner: s.owner,
    customer: r.request.subject,
    receivedAt: s.receivedAt,
    legalBasis: s.legalBasis,
    verified: s.verified,
    deadline: { due: s.due, text: r.legal.status, overdue: r.legal.overdue },
    tasks: r.systems,
    runs: s.runs.map((x) => ({ run: x.run, at: x.at, phase: x.phase, sources: x.sources, findings: x.findings, moreCounted: (x.unlisted ?? []).reduce((n, u) => n + u.findings, 0), failures: x.failures, gaps: x.gaps, coverage: coverage.get(x.run) ?? null })),
    outstanding: r.outstanding,
    log: r.log,
    events: r.events.map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, type: e.type })),
  };
}
