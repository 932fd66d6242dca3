import { html } from "hono/html";
import { OUTCOMES } from "../../requests/state.js";
import type { RequestRow, RequestView } from "../../requests/views.js";
import { detailText } from "../../requests/printers/printer.js";
import { formBasics, layout, when, type Html } from "../layout.js";

interface Ctx {
  csrf: string;
  actor?: string;
  notice?: string;
  problem?: string;
}

export function requestListPage(rows: RequestRow[]): Html {
  const body = rows.length
    ? html`<table><thead><tr><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Owner</th><th scope="col">Due</th><th scope="col">Deadline</th><th scope="col">Tasks</th></tr></thead>
<tbody>${rows.map(
        (r) => html`<tr><th scope="row"><a href="/requests/${r.id}">${r.id}</a></th><td>${r.status}${r.outcome ? ` (${r.outcome})` : ""}</td><td>${r.owner}</td><td>${r.due ?? ""}</td>
<td${r.overdue ? html` class="overdue"` : ""}>${r.deadline}</td><td>${r.status === "open" ? `${r.pendingTasks} pending` : ""}</td></tr>`,
      )}</tbody></table>`
    : html`<p>No request yet (<code>straymap request open</code>).</p>`;
  return layout("Requests", "/requests", body);
}

/** One request: its checklist with a form per task (the same required fields as `request task`), its runs, its log. */
export function requestPage(v: RequestView, ctx: Ctx): Html {
  const open = v.status === "open";
  const body = html`<p>${v.status}${v.outcome ? ` (${v.outcome})` : ""} · owner ${v.owner} · customer ${v.customer.map((c) => c.masked).join(", ")} ·
<span${v.deadline.overdue ? html` class="overdue"` : ""}>${v.deadline.text}</span></p>
<p><a href="/requests/${v.id}/report" target="_blank" rel="noopener">Open report</a> (the HTML report <code>request report -f html</code> writes; print it from the browser)</p>
${v.outstanding.length ? html`<h2>Before it can close</h2><ul>${v.outstanding.map((o) => html`<li>${o}</li>`)}</ul>` : ""}
<h2>Checklist</h2>
<table><thead><tr><th scope="col">System</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Set by</th>${open ? html`<th scope="col">Set an outcome</th>` : ""}</tr></thead>
<tbody>${v.tasks.map(
    (t) => html`<tr><th scope="row">${t.name}<br><span class="muted">${t.system}</span></th><td>${t.action}</td>
<td>${t.outcome ?? html`<span class="muted">pending</span>`}${Object.keys(t.detail).length ? html`<br><span class="muted">${detailText(t.detail)}</span>` : ""}</td>
<td>${t.by ? html`${t.by}<br><span class="muted">${when(t.at)}</span>` : ""}</td>
${open ? html`<td><form class="inline" method="post" action="/requests/${v.id}/tasks" aria-label="Outcome for ${t.system}">${formBasics(ctx.csrf, ctx.actor)}<input type="hidden" name="system" value="${t.system}">
<label>Outcome <select name="outcome">${OUTCOMES.map((o) => html`<option${o === t.outcome ? " selected" : ""}>${o}</option>`)}</select></label>
<label>Ticket reference (vendor-ticket) <input name="ref"></label><label>Reason (retained) <input name="reason"></label>
<label>Until (expiring, YYYY-MM-DD) <input name="until" pattern="\\d{4}-\\d{2}-\\d{2}"></label><label>Note <input name="note"></label>
<label class="check"><input type="checkbox" name="legalHold" value="1"> Legal hold</label><button type="submit">Set outcome</button></form></td>` : ""}</tr>`,
  )}</tbody></table>
<h2>Runs</h2>
${v.runs.length
    ? html`<table><thead><tr><th scope="col">Run</th><th scope="col">Phase</th><th scope="col">When</th><th scope="col">Sources</th><th scope="col">Findings</th><th scope="col">Coverage</th></tr></thead><tbody>${v.runs.map(
        (r) => html`<tr><th scope="row">${r.run}</th><td>${r.phase}</td><td>${when(r.at)}</td><td>${r.sources.join(", ")}</td><td>${r.findings}${r.moreCounted ? ` (and ${r.moreCounted} more counted, not listed)` : ""}</td>
<td>${r.coverage ? `${r.coverage.scanned} of ${r.coverage.total} read, ${r.coverage.skipped} skipped, ${r.coverage.failed} failed` : ""}${r.failures ? html` <span class="problem">${r.failures} not read</span>` : ""}${r.gaps ? html` <span class="problem">${r.gaps} not fully searched</span>` : ""}</td></tr>`,
      )}</tbody></table>`
    : html`<p>Not scanned yet (<code>straymap scan --request ${v.id}</code>).</p>`}
<h2>Log</h2>
<p>${v.log.events} events, head <code class="hash">${v.log.head}</code>: ${v.log.intact ? html`<span class="ok">keyed hash chain intact, tables agree with the log</span>` : html`<span class="problem">does not verify: ${v.log.problems.join("; ")}</span>`}</p>
<table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th></tr></thead>
<tbody>${v.events.map((e) => html`<tr><td>${e.seq}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.type}</td></tr>`)}</tbody></table>`;
  return layout(`Request ${v.id}`, "/requests", body, ctx);
}
