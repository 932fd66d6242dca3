import type { RequestReport } from "../report.js";
import { couldNotSearchLine, detailText, fillDates, humanTime, type ReportPrinter } from "./printer.js";

/** Any value as HTML text: it can add no element, attribute or entity of its own. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Only what a CSS string in @page may safely hold (the id and the hash are these already). */
const cssText = (s: string) => s.replace(/[^A-Za-z0-9 .:#-]/g, "");

/**
 * A table that wraps long values, and on a narrow screen or paper becomes
 * stacked rows (each cell labelled with its column).
 */
function table(head: string[], rows: unknown[][], cls = ""): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td data-label="${esc(head[i])}">${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

const STYLE = (footer: string, draft: boolean) => `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#111;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;break-after:avoid}
p,li,dd{max-width:100%}
dl{display:grid;grid-template-columns:minmax(8rem,max-content) minmax(0,1fr);gap:.2rem 1rem;margin:.5rem 0}
dt{font-weight:600}dd{margin:0;min-width:0}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.5rem 0 1.2rem}
th,td{border:1px solid #bbb;padding:.3rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word}
th{background:#eee}
tr{break-inside:avoid}
code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere;word-break:break-all}
.reply{border-left:4px solid #333;padding:.5rem 1rem;background:#f6f6f6}
.status{font-weight:700}
.draft-banner{border:2px solid #b00;color:#b00;padding:.4rem .8rem;font-weight:700;margin:.5rem 0}
.draft-mark{position:fixed;top:40%;left:0;right:0;text-align:center;font-size:6rem;color:rgba(180,0,0,.08);transform:rotate(-20deg);pointer-events:none;z-index:-1}
.problem{color:#b00;font-weight:700}
footer{margin-top:2rem;font-size:.8rem;color:#555}
/* Narrow screens and paper: wide tables become labelled stacked rows. */
@media (max-width:62rem){${stacked}}
@media print{body{margin:0;max-width:none;padding:0;font-size:11pt}${stacked}footer{display:none}}
@page{size:auto;margin:16mm 14mm 20mm 14mm;
 @bottom-left{content:"${cssText(footer)}";font:8pt ui-monospace,monospace;color:#444}
 @bottom-right{content:"Page " counter(page) " of " counter(pages);font:8pt system-ui,sans-serif;color:#444}
 ${draft ? '@top-center{content:"DRAFT - not a final answer";font:bold 10pt system-ui,sans-serif;color:#b00}' : ""}}
`;

const stacked = `table.wide,table.wide tbody,table.wide tr,table.wide td{display:block;width:100%}
table.wide thead{display:none}
table.wide tr{border:1px solid #bbb;margin:0 0 .6rem;padding:.2rem 0}
table.wide td{border:0;border-bottom:1px dotted #ddd;display:grid;grid-template-columns:minmax(6rem,30%) minmax(0,1fr);gap:.6rem}
table.wide td:last-child{border-bottom:0}
table.wide td::before{content:attr(data-label);font-weight:600}`;

export function renderHtml(r: RequestReport): string {
  const tz = r.timezone;
  const t = (iso: string | null | undefined) => humanTime(iso, tz);
  const q = r.request;
  const footer = `${q.id} - log head ${r.log.head} - ${r.log.events} events`;
  const dl = (rows: [string, string][]) => `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
  const remaining = [
    ...r.remaining.backups.map((b) => `<li>In backups (${esc(b.name)}) until ${esc(t(b.until))}.</li>`),
    ...r.remaining.vendors.map((v) => `<li>With a processor (${esc(v.name)}), deletion asked, ticket ${esc(v.ref)}.</li>`),
    ...r.remaining.retained.map((x) => `<li>Retained in ${esc(x.name)}: ${esc(x.reason)}${x.legalHold ? " (legal hold)" : ""}.</li>`),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${r.draft ? "DRAFT - " : ""}Erasure request ${esc(q.id)}</title>
<style>${STYLE(footer, r.draft)}</style></head><body>
${r.draft ? '<div class="draft-mark" aria-hidden="true">DRAFT</div>' : ""}
<header>
<h1>Erasure request ${esc(q.id)}${r.draft ? " (DRAFT)" : ""}</h1>
${r.draft ? '<p class="draft-banner">DRAFT: this request is still open. Nothing in this report is a final answer.</p>' : ""}
<p>Log head <code class="hash">${esc(r.log.head)}</code>, ${r.log.events} events${r.log.intact ? "" : ' <span class="problem">THE RECORD DOES NOT VERIFY</span>'}. Times in ${esc(tz)}.</p>
</header>
<h2>Who</h2>
${dl([
  ["Controller", r.controller ? `${esc(r.controller.name)}${r.controller.contact ? `, contact ${esc(r.controller.contact)}` : ""}${r.controller.dpo ? `, data protection officer ${esc(r.controller.dpo)}` : ""}` : "not configured"],
  ["Data subject", esc(q.subject.map((x) => `${x.kind} ${x.masked}`).join(", "))],
  ["Request", `erasure; legal basis: ${esc(r.legal.basis ?? "not stated")}`],
  ["Owner", esc(q.owner)],
])}
<h2>When</h2>
${dl([
  ["Received", `${esc(t(q.receivedAt))}; opened ${esc(t(q.openedAt))}`],
  ["Identity verified", esc(q.verified ?? "not recorded")],
  ["Deadline", `${r.legal.due ? `${esc(t(r.legal.due))}${r.legal.rule ? ` (${esc(r.legal.rule)})` : ""}` : "none set"}; ${esc(r.legal.status)}`],
  ["Status", `<span class="status">${esc(q.status)}${q.outcome ? ` — ${esc(q.outcome)}` : ""}</span>${q.closedAt ? `, ${esc(t(q.closedAt))} by ${esc(q.closedBy)}` : ""}`],
  ...(q.cancel ? ([[q.cancel.kind === "withdrawn" ? "Withdrawn" : "Refused", esc(q.cancel.reason)]] as [string, string][]) : []),
  ...(q.acceptedGaps ? ([["Gaps accepted", esc(q.acceptedGaps)]] as [string, string][]) : []),
  ...r.extensions.map((x): [string, string] => ["Deadline extended", `${esc(t(x.at))} by ${esc(x.by)} to ${esc(t(x.due))}: ${esc(x.reason)}`]),
  ...r.reopened.map((x): [string, string] => ["Reopened", `${esc(t(x.at))} by ${esc(x.by)}: ${esc(x.reason)}`]),
  ...(r.outstanding.length ? ([["Before it can close", `<ul>${r.outstanding.map((o) => `<li>${esc(o)}</li>`).join("")}</ul>`]] as [string, string][]) : []),
])}
<h2>What was searched</h2>
${r.searches.length ? table(["Run", "Phase", "From", "To", "Sources", "Items", "Searched", "Skipped", "Could not search"], r.searches.map((s) => [s.run, s.phase, t(s.startedAt), t(s.finishedAt), s.sources.join(", "), s.coverage.total, s.coverage.scanned, s.coverage.skipped, s.couldNotSearch.map(couldNotSearchLine).join("; ") || "none"]), "wide") : "<p>No search has been run.</p>"}
<h2>What was found</h2>
${r.found.length ? table(["Run", "Source", "Where", "Place", "Matched", "Count", "System", "Evidence (redacted)"], r.found.map((f) => [`${f.run} (${f.phase})`, f.source, f.where, f.place, f.what, f.count, f.systemName, f.evidence]), "wide") : `<p>${r.searches.length ? "Nothing." : "Nothing yet: no search has been run."}</p>`}
<h2>Systems and outcomes</h2>
${table(["System", "Action", "Owner", "Outcome", "Detail", "By", "When"], r.systems.map((s) => [s.name, s.action, s.owner, s.outcome ?? "pending", detailText(s.detail), s.by, t(s.at)]), "wide")}
<h2>What remains</h2>
${remaining.length ? `<ul>${remaining.join("")}</ul>` : `<p>${r.draft ? "Not known yet: the request is open." : "No outcome records a remaining copy."}</p>`}
${r.foundAgain.length ? `<h2>Found again after a restore</h2><ul>${r.foundAgain.map((f) => `<li>${esc(t(f.at))}: ${esc(f.places.map((p) => `${p.source}: ${p.where}`).join("; "))}</li>`).join("")}</ul>` : ""}
<h2>Reply to the customer</h2>
<div class="reply">${r.reply.map((l) => `<p>${esc(fillDates(l, tz))}</p>`).join("")}</div>
<h2>Answer sheet for support (internal)</h2>
<ul>${r.answerSheet.map((l) => `<li>${esc(fillDates(l, tz))}</li>`).join("")}</ul>
<h2>Event log</h2>
<p>Head <code class="hash">${esc(r.log.head)}</code>, ${r.log.events} events. ${r.log.intact ? "Keyed hash chain intact; the tables agree with the log." : `<span class="problem">Does not verify: ${esc(r.log.problems.join("; "))}</span>`}</p>
${table(["#", "When", "Who", "What", "Hash"], r.events.map((e) => [e.seq, t(e.at), e.actor, `${e.type}: ${JSON.stringify(e.data)}`, e.hash]), "wide events")}
<footer>${esc(footer)}</footer>
</body></html>
`;
}

export const htmlPrinter: ReportPrinter = { id: "html", description: "one self-contained HTML file, laid out to print", print: renderHtml };
