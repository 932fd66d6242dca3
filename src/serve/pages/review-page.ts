import { html } from "hono/html";
import { ACTIONS } from "../../map/data-map.js";
import type { AcceptPlan, AcceptTarget, QueueEntry } from "../../review/discoveries.js";
import { formBasics, layout, when, type Html } from "../layout.js";

interface Ctx {
  csrf: string;
  actor?: string;
  notice?: string;
  problem?: string;
}

/** Each pending discovery with its three ways out: Accept into a system, Accept as new system, Dismiss. */
export function queuePage(queue: QueueEntry[], systems: { id: string; name: string }[], ctx: Ctx): Html {
  const body = queue.length
    ? queue.map(
        (d) => html`<section class="card" aria-labelledby="${d.name}-title">
<h2 id="${d.name}-title">${d.name}: ${d.source}: ${d.path}${d.member ? ` → ${d.member}` : ""}</h2>
<p>PII types <strong>${d.pii.join(", ")}</strong> in columns ${d.columns.join(", ")}; sample ${d.sample} rows; confidence ${d.confidence.toFixed(2)}; first seen ${when(d.firstSeen)}, last seen ${when(d.lastSeen)}.</p>
<form class="inline" method="post" action="/review/${d.name}/preview">${formBasics(ctx.csrf, ctx.actor)}
<label>System <select name="system" required>${systems.map((s) => html`<option value="${s.id}">${s.name} (${s.id})</option>`)}</select></label>
<button type="submit">Accept</button></form>
<form class="inline" method="post" action="/review/${d.name}/preview">${formBasics(ctx.csrf, ctx.actor)}<input type="hidden" name="new" value="1">
<label>New system id <input name="id" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"></label><label>Name <input name="name" required></label><label>Owner <input name="owner" required></label>
<label>Action <select name="action">${ACTIONS.map((a) => html`<option>${a}</option>`)}</select></label>
<button type="submit">Accept as new system</button></form>
<form class="inline" method="post" action="/review/${d.name}/dismiss">${formBasics(ctx.csrf, ctx.actor)}
<label>Reason <input name="reason" required></label><button type="submit" class="secondary">Dismiss</button></form>
</section>`,
      )
    : html`<p>No pending discovery.</p>`;
  return layout("Review queue", "/review", body, ctx);
}

/** The exact change to data-map.yaml, before anything is written; confirming sends back the file version it was made from. */
export function previewPage(plan: AcceptPlan, target: AcceptTarget, ctx: Ctx): Html {
  const t = target.newSystem;
  const body = html`<p>Accepting ${plan.discovery} into <strong>${plan.system}</strong> changes ${plan.mapFile} like this:</p>
<pre class="diff" aria-label="Changes to data-map.yaml">${plan.diff.map((hunk, i) => html`${i ? "…\n" : ""}${hunk.map((d) => html`<span class="${d.op === "+" ? "add" : d.op === "-" ? "del" : "same"}">${d.op}${d.text}</span>\n`)}`)}</pre>
<form class="inline" method="post" action="/review/${plan.discovery}/accept">${formBasics(ctx.csrf, ctx.actor)}
<input type="hidden" name="version" value="${plan.version}">
${t ? html`<input type="hidden" name="new" value="1"><input type="hidden" name="id" value="${t.id}"><input type="hidden" name="name" value="${t.name}"><input type="hidden" name="owner" value="${t.owner}"><input type="hidden" name="action" value="${t.action}">` : html`<input type="hidden" name="system" value="${target.system}">`}
<button type="submit">Write to data-map.yaml</button></form>
<p><a href="/review">Back to the review queue</a> (nothing written)</p>`;
  return layout(`Accept ${plan.discovery}`, "/review", body, ctx);
}
