import type { Config } from "../config/load.js";
import type { Store } from "../store/store.js";
import type { CoverageSummary } from "../types.js";
import { describeFile, describePlace, describeUnlisted, describeWhat } from "../report/describe.js";
import { closeBlockers, stateOf } from "./requests.js";
import { deadlineStatus, JURISDICTIONS } from "./deadlines.js";
import { DELETING, type RequestState, type RunRef } from "./state.js";
import { verifyRequest } from "./verify.js";

/**
 * The written proof of a request, replayed from its log: what a privacy lead
 * may send to the customer or a regulator. It never claims more than the
 * outcomes and the verification scans show; an open request is a draft.
 */
/** A place a run failed to read (`error`) or did not fully search (`gap`, with its `reason`). */
export interface CouldNotSearch {
  source: string;
  where: string;
  error?: string;
  reason?: string;
  gap?: true;
}

export interface RequestReport {
  format: "straymap-request-report/2";
  draft: boolean;
  generatedAt: string;
  timezone: string;
  controller: { name: string; contact: string | null; dpo: string | null } | null;
  request: {
    id: string;
    type: "erasure";
    status: RequestState["status"];
    outcome: string | null;
    owner: string;
    subject: { kind: string; masked: string }[];
    receivedAt: string;
    openedAt: string;
    verified: string | null;
    closedAt: string | null;
    closedBy: string | null;
    acceptedGaps: string | null;
    cancel: { kind: string; reason: string } | null;
  };
  legal: { jurisdiction: string | null; basis: string | null; rule: string | null; due: string | null; dueFrom: string | null; status: string; overdue: boolean };
  searches: { run: number; phase: RunRef["phase"]; startedAt: string; finishedAt: string; sources: string[]; coverage: CoverageSummary; couldNotSearch: CouldNotSearch[] }[];
  found: { run: number; phase: RunRef["phase"]; source: string; where: string; place: string; what: string; count: number; system: string | null; systemName: string; evidence: string }[];
  systems: { system: string; name: string; action: string; owner: string | null; outcome: string | null; detail: Record<string, unknown>; by: string | null; at: string | null; reachedByScan: boolean }[];
  remaining: { backups: { name: string; until: string }[]; vendors: { name: string; ref: string }[]; retained: { name: string; reason: string; legalHold: boolean }[] };
  /** Why the request could not close now (open requests), in words. */
  outstanding: string[];
  foundAgain: { at: string; places: { source: string; where: string }[] }[];
  reopened: { at: string; by: string; reason: string }[];
  extensions: { at: string; by: string; due: string; reason: string }[];
  reply: string[];
  answerSheet: string[];
  log: { head: string; events: number; intact: boolean; problems: string[] };
  events: { seq: number; at: string; actor: string; type: string; data: unknown; hash: string }[];
}

const list = (names: string[]) => (names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function buildReport(store: Store, id: string, config?: Pick<Config, "organisation" | "timezone">, now = new Date()): RequestReport {
  const s = stateOf(store, id);
  const verdict = verifyRequest(store, id);
  const names = new Map(s.tasks.map((t) => [t.system, t.name]));
  const runs = s.runs.map((r) => ({ ref: r, row: store.runs.get(r.run) }));
  const searches = runs.flatMap(({ ref, row }) =>
    row ? [{ run: ref.run, phase: ref.phase, startedAt: row.started_at, finishedAt: row.finished_at, sources: JSON.parse(row.sources) as string[], coverage: JSON.parse(row.summary) as CoverageSummary, couldNotSearch: JSON.parse(row.failures) }] : [],
  );
  const found = runs.flatMap(({ ref }) => {
    const findings = store.runs.findings(ref.run);
    const listed = findings.map((f) => {
      const task = f.system ?? `unmapped:${f.source}:${f.location.path}`;
      return { run: ref.run, phase: ref.phase, source: f.source, where: describeFile(f.location), place: describePlace(f.location), what: describeWhat(f), count: f.count, system: f.system, systemName: names.get(task) ?? task, evidence: f.evidence };
    });
    // Counted past limits.maxFindingsPerColumn: one line per column, in the system of its item's listed findings.
    const counted = (ref.unlisted ?? []).map((u) => {
      const f = findings.find((x) => x.source === u.source && x.location.path === u.path && x.location.member === u.member);
      const system = f?.system ?? null;
      const task = system ?? `unmapped:${u.source}:${u.path}`;
      return { run: ref.run, phase: ref.phase, source: u.source, where: describeFile(u), place: `and ${describeUnlisted(u)}, not listed one by one`, what: u.identifier ?? u.kind, count: u.count, system, systemName: names.get(task) ?? task, evidence: "" };
    });
    return [...listed, ...counted];
  });
  const systems = s.tasks.map((t) => ({ system: t.system, name: t.name, action: t.action, owner: t.owner, outcome: t.outcome, detail: t.detail, by: t.by, at: t.at, reachedByScan: t.sources.length > 0 }));
  const remaining = {
    backups: s.tasks.filter((t) => t.outcome === "expiring").map((t) => ({ name: t.name, until: String(t.detail.until) })),
    vendors: s.tasks.filter((t) => t.outcome === "vendor-ticket").map((t) => ({ name: t.name, ref: String(t.detail.ref) })),
    retained: s.tasks.filter((t) => t.outcome === "retained").map((t) => ({ name: t.name, reason: String(t.detail.reason), legalHold: t.detail.legalHold === true })),
  };
  const j = s.jurisdiction ? JURISDICTIONS[s.jurisdiction] : undefined;
  const deadline = deadlineStatus(s.due, s.status, s.closedAt, now, config?.timezone);
  const blockers = s.status === "open" ? closeBlockers(s) : { blocking: [], gaps: [] };
  const report: RequestReport = {
    format: "straymap-request-report/2",
    draft: s.status === "open",
    generatedAt: now.toISOString(),
    timezone: config?.timezone ?? "UTC",
    controller: config?.organisation ? { name: config.organisation.name, contact: config.organisation.contact ?? null, dpo: config.organisation.dpo ?? null } : null,
    request: {
      id,
      type: "erasure",
      status: s.status,
      outcome: s.outcome,
      owner: s.owner,
      subject: s.identifierHashes.filter((h) => h.kind !== "phone-national").map((h) => ({ kind: h.kind, masked: h.masked ?? "(kept only as a keyed hash)" })),
      receivedAt: s.receivedAt,
      openedAt: s.openedAt,
      verified: s.verified,
      closedAt: s.closedAt,
      closedBy: s.closedBy,
      acceptedGaps: s.acceptedGaps,
      cancel: s.cancel,
    },
    legal: { jurisdiction: j?.id ?? null, basis: s.legalBasis, rule: j?.describe ?? null, due: s.due, dueFrom: s.dueFrom, status: deadline.text, overdue: deadline.overdue },
    searches,
    found,
    systems,
    remaining,
    outstanding: [...blockers.blocking, ...blockers.gaps],
    foundAgain: s.foundAgain.map((f) => ({ at: f.at, places: f.places.map((p) => ({ source: p.source, where: p.where })) })),
    reopened: s.reopened,
    extensions: s.extensions,
    reply: [],
    answerSheet: [],
    log: { head: verdict.head, events: verdict.events, intact: verdict.ok, problems: verdict.problems },
    events: store.events.list(id).map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, type: e.type, data: JSON.parse(e.data), hash: e.hash })),
  };
  report.reply = customerReply(s, report);
  report.answerSheet = answerSheet(s, report);
  return report;
}

/** The reply to the customer, in plain words, from the outcomes only: nothing the record does not show. */
function customerReply(s: RequestState, r: RequestReport): string[] {
  // Display names of the map's systems; places found outside the map are counted, never named by internal id.
  const named = (tasks: typeof s.tasks) => {
    const mapped = tasks.filter((t) => t.origin === "map").map((t) => t.name);
    const other = tasks.length - mapped.length;
    return list([...mapped, ...(other ? [plural(other, mapped.length ? "other place" : "place")] : [])]);
  };
  const day = r.request.receivedAt;
  const lines = r.controller ? [`This is the answer of ${r.controller.name} ("we") to your request to erase your personal data, received {date:${day}}.`] : [];
  if (s.status === "cancelled") {
    if (s.cancel?.kind === "withdrawn") return [...lines, `As you asked, we have stopped handling your request to erase your personal data, received {date:${day}}. Nothing further is done on it.`];
    return [...lines, `We did not carry out your request to erase your personal data, received {date:${day}}, for this reason: ${s.cancel?.reason ?? ""}.`, "You may contact our data protection officer or a supervisory authority if you disagree."];
  }
  if (s.status === "open") {
    lines.unshift(`DRAFT, not an answer: your request to erase your personal data, received {date:${day}}, is still being handled.`);
    if (s.runs.length === 0) lines.push("We have not yet searched our systems.");
    else lines.push(`So far we have searched our systems ${plural(s.runs.length, "time")}.`);
    const deleted = s.tasks.filter((t) => t.outcome && DELETING.includes(t.outcome));
    if (deleted.length) lines.push(`Deletion is recorded so far in ${named(deleted)}${r.outstanding.length ? ", not yet confirmed by a final search" : ""}.`);
    for (const x of s.extensions) lines.push(`We extended the time to answer to {date:${x.due}}: ${x.reason}.`);
    if (s.due) lines.push(`We will answer by {date:${s.due}}.`);
    return lines;
  }
  const deleted = s.tasks.filter((t) => t.outcome === "done");
  const anonymised = s.tasks.filter((t) => t.outcome === "anonymized");
  const gone = [...deleted, ...anonymised];
  if (deleted.length) lines.push(`We deleted your personal data from ${named(deleted)}.`);
  if (anonymised.length) lines.push(`We anonymised your personal data in ${named(anonymised)}, so it no longer identifies you.`);
  if (!gone.length) lines.push("We searched our systems for your personal data.");
  for (const v of s.tasks.filter((t) => t.outcome === "vendor-ticket")) lines.push(`We asked ${v.origin === "map" ? v.name : "a service provider"}, which holds data for us, to delete yours (reference ${String(v.detail.ref)}).`);
  for (const b of s.tasks.filter((t) => t.outcome === "expiring")) lines.push(`A copy remains in ${b.origin === "map" ? b.name : "a backup"} until {date:${String(b.detail.until)}}, when it is deleted automatically; it is not used in the meantime.`);
  // One sentence per reason, naming the systems that keep data for it.
  const reasons = new Map<string, typeof s.tasks>();
  for (const t of s.tasks.filter((x) => x.outcome === "retained")) {
    const why = `${String(t.detail.reason)}${t.detail.legalHold === true ? " (a legal hold applies)" : ""}`;
    reasons.set(why, [...(reasons.get(why) ?? []), t]);
  }
  for (const [why, tasks] of reasons) lines.push(`We keep some of your data in ${named(tasks)} because ${why}.`);
  if (s.acceptedGaps) lines.push("Some places could not be searched completely; we have recorded why.");
  const nothingLeft = !r.remaining.vendors.length && !r.remaining.backups.length && !r.remaining.retained.length && !s.acceptedGaps && s.outcome === "completed";
  if (nothingLeft && gone.length && s.runs.some((x) => x.phase === "verification")) lines.push("A search after the deletion found no copy left with us.");
  return lines;
}

/** For support: what happened, where, until when, and who handles follow-ups. */
function answerSheet(s: RequestState, r: RequestReport): string[] {
  const by = (o: string) => s.tasks.filter((t) => t.outcome === o).map((t) => t.name);
  const lines = [
    `Status: ${s.status}${s.outcome ? ` (${s.outcome})` : ""}; deadline: ${r.legal.status}.`,
    `Deleted: ${by("done").join("; ") || "none"}.`,
    `Anonymised: ${by("anonymized").join("; ") || "none"}.`,
    `Not found: ${by("not-found").join("; ") || "none"}.`,
    ...r.remaining.backups.map((b) => `In backups: ${b.name} until {date:${b.until}}.`),
    ...r.remaining.vendors.map((v) => `Processor notified: ${v.name}, ticket ${v.ref}.`),
    ...r.remaining.retained.map((x) => `Retained: ${x.name}, because ${x.reason}${x.legalHold ? " (legal hold)" : ""}.`),
    ...(s.tasks.some((t) => !t.outcome) ? [`Pending: ${s.tasks.filter((t) => !t.outcome).map((t) => t.name).join("; ")}.`] : []),
    `Follow-ups: ${s.owner}${r.controller?.dpo ? `; data protection officer ${r.controller.dpo}` : ""}${r.controller?.contact ? `; contact ${r.controller.contact}` : ""}.`,
  ];
  return lines;
}
