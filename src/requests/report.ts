import type { Store, StoredEvent } from "../store/store.js";
import type { CoverageSummary, Finding } from "../types.js";
import { describeFile, describePlace, describeWhat } from "../report/describe.js";
import { getRequest, tasksOf, type TaskRow } from "./requests.js";

export interface RequestReport {
  request: { id: string; owner: string; openedAt: string; due: string | null; status: string; closedAt: string | null; outcome: string | null; acceptedGaps: string | null };
  searches: { run: number; startedAt: string; finishedAt: string; sources: string[]; coverage: CoverageSummary; couldNotSearch: { source: string; where: string; error?: string }[] }[];
  found: { run: number; source: string; where: string; place: string; what: string; count: number; system: string | null; evidence: string }[];
  systems: { system: string; name: string; action: string; owner: string | null; outcome: string | null; detail: Record<string, unknown>; by: string | null; at: string | null }[];
  remainingInBackups: { system: string; until: string }[];
  retained: { system: string; reason: string; legalHold: boolean }[];
  reply: string;
  events: { seq: number; at: string; actor: string; type: string; data: unknown; hash: string }[];
  chainIntact: boolean;
}

const detailOf = (t: TaskRow) => (t.detail ? (JSON.parse(t.detail) as Record<string, unknown>) : {});

/** The plain-language answer to the customer: exactly what was done, nothing more. */
function replyText(systems: RequestReport["systems"], backups: RequestReport["remainingInBackups"], retained: RequestReport["retained"]): string {
  const parts: string[] = [];
  const deleted = systems.filter((s) => s.outcome === "done" || s.outcome === "anonymized");
  const vendors = systems.filter((s) => s.outcome === "vendor-ticket");
  if (deleted.length) parts.push(`We have deleted or anonymised your personal data in ${deleted.length === 1 ? "the system" : `${deleted.length} systems`} where we found it.`);
  else parts.push("We searched our systems for your personal data.");
  if (vendors.length) parts.push(`We have asked ${vendors.length === 1 ? "a service provider" : `${vendors.length} service providers`} who hold data for us to delete yours (${vendors.map((v) => `reference ${String(v.detail.ref)}`).join(", ")}).`);
  for (const b of backups) parts.push(`A copy remains in our backups (${b.system}) until ${b.until}, when it is deleted automatically; it is not used in the meantime.`);
  for (const r of retained) parts.push(`We keep some of your data in ${r.system} because ${r.reason}${r.legalHold ? " (a legal hold applies)" : ""}.`);
  if (!backups.length && !retained.length && !vendors.length) parts.push("No copy of it remains with us.");
  return parts.join(" ");
}

export function buildReport(store: Store, id: string): RequestReport {
  const req = getRequest(store, id);
  const runs = store.db.prepare("SELECT * FROM runs WHERE request = ? ORDER BY id").all(id) as { id: number; started_at: string; finished_at: string; sources: string; summary: string; failures: string }[];
  const found: RequestReport["found"] = [];
  for (const run of runs) {
    for (const row of store.db.prepare("SELECT data FROM findings WHERE run = ?").all(run.id) as { data: string }[]) {
      const f = JSON.parse(row.data) as Finding;
      found.push({ run: run.id, source: f.source, where: describeFile(f.location), place: describePlace(f.location), what: describeWhat(f), count: f.count, system: f.system, evidence: f.evidence });
    }
  }
  const systems = tasksOf(store, id).map((t) => ({ system: t.system, name: t.name, action: t.action, owner: t.owner, outcome: t.outcome, detail: detailOf(t), by: t.updated_by, at: t.updated_at }));
  const remainingInBackups = systems.filter((s) => s.outcome === "expiring").map((s) => ({ system: s.system, until: String(s.detail.until) }));
  const retained = systems.filter((s) => s.outcome === "retained").map((s) => ({ system: s.system, reason: String(s.detail.reason), legalHold: s.detail.legalHold === true }));
  return {
    request: { id, owner: req.owner, openedAt: req.opened_at, due: req.due, status: req.status, closedAt: req.closed_at, outcome: req.outcome, acceptedGaps: req.accepted_gaps },
    searches: runs.map((r) => ({ run: r.id, startedAt: r.started_at, finishedAt: r.finished_at, sources: JSON.parse(r.sources), coverage: JSON.parse(r.summary), couldNotSearch: JSON.parse(r.failures) })),
    found,
    systems,
    remainingInBackups,
    retained,
    reply: replyText(systems, remainingInBackups, retained),
    events: store.events(id).map((e: StoredEvent) => ({ seq: e.seq, at: e.at, actor: e.actor, type: e.type, data: JSON.parse(e.data), hash: e.hash })),
    chainIntact: store.verify(id) === undefined,
  };
}

const cell = (s: unknown) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderMarkdown(r: RequestReport): string {
  const q = r.request;
  const lines = [
    `# Deletion request ${q.id}`,
    "",
    `- Owner: ${q.owner}`,
    `- Opened: ${q.openedAt}${q.due ? `, due ${q.due}` : ""}`,
    `- Status: ${q.status}${q.outcome ? ` — ${q.outcome}` : ""}${q.closedAt ? ` (closed ${q.closedAt})` : ""}`,
    ...(q.acceptedGaps ? [`- Gaps accepted at close: ${q.acceptedGaps}`] : []),
    "",
    "## What was searched",
    "",
    ...(r.searches.length === 0 ? ["No search has been run."] : []),
    ...r.searches.flatMap((s) => [
      `- Run ${s.run}, ${s.startedAt} to ${s.finishedAt}: sources ${s.sources.join(", ")}; ${s.coverage.total} items, ${s.coverage.scanned} scanned, ${s.coverage.skipped} skipped, ${s.coverage.failed} could not be searched.`,
      ...s.couldNotSearch.map((c) => `  - Could not search ${c.where} (${c.source}): ${c.error ?? "unknown error"}`),
    ]),
    "",
    "## What was found",
    "",
    ...(r.found.length ? ["| Source | Where | Place | Matched | Count | System | Evidence (redacted) |", "| --- | --- | --- | --- | --- | --- | --- |", ...r.found.map((f) => `| ${cell(f.source)} | ${cell(f.where)} | ${cell(f.place)} | ${cell(f.what)} | ${f.count} | ${cell(f.system ?? "unmapped")} | ${cell(f.evidence)} |`)] : ["Nothing."]),
    "",
    "## Systems and outcomes",
    "",
    "| System | Action | Owner | Outcome | Detail | By | When |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...r.systems.map((s) => `| ${cell(s.name)} (${cell(s.system)}) | ${s.action} | ${cell(s.owner)} | ${s.outcome ?? "**pending**"} | ${cell(Object.entries(s.detail).map(([k, v]) => `${k}: ${v}`).join("; "))} | ${cell(s.by)} | ${cell(s.at)} |`),
    "",
    "## What remains",
    "",
    ...(r.remainingInBackups.length ? r.remainingInBackups.map((b) => `- In backups (${b.system}) until ${b.until}.`) : ["- Nothing in backups."]),
    ...r.retained.map((x) => `- Retained in ${x.system}: ${x.reason}${x.legalHold ? " (legal hold)" : ""}.`),
    "",
    "## Reply to the customer",
    "",
    r.reply,
    "",
    "## Event log",
    "",
    `Hash chain: ${r.chainIntact ? "intact" : "BROKEN — an event was changed after it was written"}.`,
    "",
    "| # | When | Who | What | Hash |",
    "| --- | --- | --- | --- | --- |",
    ...r.events.map((e) => `| ${e.seq} | ${e.at} | ${cell(e.actor)} | ${e.type}: ${cell(JSON.stringify(e.data))} | ${e.hash.slice(0, 16)}… |`),
    "",
  ];
  return lines.join("\n");
}

const esc = (s: unknown) => String(s ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A single self-contained HTML file, laid out to be printed. */
export function renderHtml(r: RequestReport): string {
  const table = (head: string[], rows: unknown[][]) =>
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  const q = r.request;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Deletion request ${esc(q.id)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#111}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#eee}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem}.reply{border-left:4px solid #333;padding:.5rem 1rem;background:#f6f6f6}@media print{body{margin:0}}</style></head><body>
<h1>Deletion request ${esc(q.id)}</h1>
<p>Owner: ${esc(q.owner)} · Opened ${esc(q.openedAt)}${q.due ? ` · Due ${esc(q.due)}` : ""} · Status: <strong>${esc(q.status)}${q.outcome ? ` — ${esc(q.outcome)}` : ""}</strong>${q.acceptedGaps ? ` · Gaps accepted: ${esc(q.acceptedGaps)}` : ""}</p>
<h2>What was searched</h2>
${table(["Run", "From", "To", "Sources", "Items", "Scanned", "Skipped", "Could not search"], r.searches.map((s) => [s.run, s.startedAt, s.finishedAt, s.sources.join(", "), s.coverage.total, s.coverage.scanned, s.coverage.skipped, s.couldNotSearch.map((c) => `${c.where}: ${c.error}`).join("; ") || "none"]))}
<h2>What was found</h2>
${r.found.length ? table(["Source", "Where", "Place", "Matched", "Count", "System", "Evidence (redacted)"], r.found.map((f) => [f.source, f.where, f.place, f.what, f.count, f.system ?? "unmapped", f.evidence])) : "<p>Nothing.</p>"}
<h2>Systems and outcomes</h2>
${table(["System", "Action", "Owner", "Outcome", "Detail", "By", "When"], r.systems.map((s) => [`${s.name} (${s.system})`, s.action, s.owner, s.outcome ?? "pending", Object.entries(s.detail).map(([k, v]) => `${k}: ${v}`).join("; "), s.by, s.at]))}
<h2>What remains</h2>
<ul>${r.remainingInBackups.map((b) => `<li>In backups (${esc(b.system)}) until ${esc(b.until)}.</li>`).join("") || "<li>Nothing in backups.</li>"}${r.retained.map((x) => `<li>Retained in ${esc(x.system)}: ${esc(x.reason)}${x.legalHold ? " (legal hold)" : ""}.</li>`).join("")}</ul>
<h2>Reply to the customer</h2>
<p class="reply">${esc(r.reply)}</p>
<h2>Event log</h2>
<p>Hash chain: <strong>${r.chainIntact ? "intact" : "BROKEN"}</strong></p>
${table(["#", "When", "Who", "What", "Hash"], r.events.map((e) => [e.seq, e.at, e.actor, `${e.type}: ${JSON.stringify(e.data)}`, e.hash]))}
</body></html>
`;
}
