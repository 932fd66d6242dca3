import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  ["/map", "Map"],
  ["/review", "Review queue"],
  ["/requests", "Requests"],
] as const;

/** Every page: the navigation, one heading, the stylesheet served by the app (nothing from the internet). */
export function layout(title: string, current: string, body: Html | Html[] | string, status?: { notice?: string; problem?: string }): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · straymap</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><header class="top"><strong>straymap</strong><nav aria-label="Main">${NAV.map(([href, name]) => html`<a href="${href}"${current === href ? html` aria-current="page"` : ""}>${name}</a>`)}</nav></header>
<main><h1>${title}</h1>
${status?.notice ? html`<p class="notice" role="status">${status.notice}</p>` : ""}
${status?.problem ? html`<p class="conflict" role="alert">${status.problem}</p>` : ""}
${body}</main></body></html>`;
}

/** The fields every form that changes something carries: the CSRF token, and who is acting (asked once, then kept in a cookie). */
export function formBasics(csrf: string, actor: string | undefined): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}"><label>Your name <input name="actor" required autocomplete="name" value="${actor ?? ""}"></label>`;
}

export const when = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC") : "");
