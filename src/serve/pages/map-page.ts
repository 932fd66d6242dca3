import { html } from "hono/html";
import type { MapOverview } from "../../map/overview.js";
import { layout, type Html } from "../layout.js";

/** Every system of data-map.yaml with what `map check` says about it; each problem links to its system. */
export function mapPage(view: MapOverview): Html {
  const body = html`
<p>${view.file}: ${view.ok ? html`<span class="ok">no problems</span>` : html`<span class="problem">${view.problems.length} problem${view.problems.length === 1 ? "" : "s"}</span>`}</p>
${view.problems.length ? html`<h2>Problems</h2><ul>${view.problems.map((p) => html`<li class="problem">${p.text} ${p.systems.map((s) => html`<a href="#system-${s}">${s}</a> `)}</li>`)}</ul>` : ""}
<h2>Systems</h2>
<table><thead><tr><th scope="col">System</th><th scope="col">Owner</th><th scope="col">Data held</th><th scope="col">Action</th><th scope="col">Retention</th><th scope="col">Sources that reach it</th><th scope="col">Last stored finding</th></tr></thead>
<tbody>${view.systems.map(
    (s) => html`<tr id="system-${s.id}"><th scope="row">${s.name}<br><span class="muted">${s.id}</span>${s.problems.map((p) => html`<br><span class="problem">${p}</span>`)}</th>
<td>${s.owner || html`<span class="problem">(none)</span>`}</td><td>${s.data.join(", ")}</td><td>${s.action}</td><td>${s.retention ?? ""}</td>
<td>${s.sources.length ? s.locations.map((l) => html`${l.source}: ${l.path ?? l.table ?? "**"}<br>`) : html`<span class="muted">no scanner reaches it</span>`}</td><td>${s.lastSeen}</td></tr>`,
  )}</tbody></table>`;
  return layout("Data map", "/map", body);
}
