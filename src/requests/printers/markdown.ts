import type { RequestReport } from "../report.js";
import { couldNotSearchLine, detailText, fillDates, humanTime, type ReportPrinter } from "./printer.js";

/**
 * Any value as inert Markdown text on one line: every character Markdown
 * gives a meaning to is escaped, newlines become spaces, and bare URLs are
 * broken so no renderer turns them into links. A value can add no heading,
 * link, image, HTML or table cell.
 */
export function md(value: unknown): string {
  return String(value ?? "")
    .replace(/[\r\n\u2028\u2029]+/g, " ")
    .replace(/[\\`*_{}[\]<>#|!~&]/g, (c) => `\\${c}`)
    .replace(/^([-+=]|\d+(?=[.)]))/, (c) => (/\d/.test(c) ? `${c}\\` : `\\${c}`))
    .replace(/:\/\//g, ":\\/\\/")
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\\.`);
}

const row = (cells: unknown[]) => `| ${cells.map(md).join(" | ")} |`;
const table = (head: string[], rows: unknown[][]) => [row(head), `|${head.map(() => " --- |").join("")}`, ...rows.map(row)];

export function renderMarkdown(r: RequestReport): string {
  const tz = r.timezone;
  const t = (iso: string | null | undefined) => humanTime(iso, tz);
  const q = r.request;
  const draft = r.draft ? " (DRAFT)" : "";
  const section = (title: string) => ["", `## ${title}${draft}`, ""];
  const lines = [
    `# Erasure request ${md(q.id)}${r.draft ? " — DRAFT, not a final answer" : ""}`,
    "",
    ...(r.draft ? ["**DRAFT: this request is still open. Nothing in this report is a final answer.**", ""] : []),
    `Log head \`${r.log.head}\`, ${r.log.events} events${r.log.intact ? "" : " — **THE RECORD DOES NOT VERIFY**"}. Times in ${md(tz)}.`,
    ...section("Who"),
    `- Controller: ${r.controller ? `${md(r.controller.name)}${r.controller.contact ? `, contact ${md(r.controller.contact)}` : ""}${r.controller.dpo ? `, data protection officer ${md(r.controller.dpo)}` : ""}` : "not configured (organisation: in straymap.yaml)"}`,
    `- Data subject: ${q.subject.map((x) => `${md(x.kind)} ${md(x.masked)}`).join(", ")}`,
    `- Request: erasure; legal basis: ${md(r.legal.basis ?? "not stated")}`,
    `- Owner: ${md(q.owner)}`,
    ...section("When"),
    `- Received: ${md(t(q.receivedAt))}; opened ${md(t(q.openedAt))}`,
    `- Identity verified: ${md(q.verified ?? "not recorded")}`,
    `- Deadline: ${r.legal.due ? `${md(t(r.legal.due))}${r.legal.rule ? ` (${md(r.legal.rule)})` : ""}` : "none set"}; ${md(r.legal.status)}`,
    `- Status: **${md(q.status)}**${q.outcome ? ` — ${md(q.outcome)}` : ""}${q.closedAt ? `, ${md(q.status === "cancelled" ? "cancelled" : "closed")} ${md(t(q.closedAt))} by ${md(q.closedBy)}` : ""}`,
    ...(q.cancel ? [`- ${md(q.cancel.kind === "withdrawn" ? "Withdrawn" : "Refused")}: ${md(q.cancel.reason)}`] : []),
    ...(q.acceptedGaps ? [`- Gaps accepted at close: ${md(q.acceptedGaps)}`] : []),
    ...r.extensions.map((x) => `- Deadline extended ${md(t(x.at))} by ${md(x.by)} to ${md(t(x.due))}: ${md(x.reason)}`),
    ...r.reopened.map((x) => `- Reopened ${md(t(x.at))} by ${md(x.by)}: ${md(x.reason)}`),
    ...(r.outstanding.length ? ["- Before it can close:", ...r.outstanding.map((o) => `  - ${md(o)}`)] : []),
    ...section("What was searched"),
    ...(r.searches.length === 0
      ? ["No search has been run."]
      : r.searches.flatMap((s) => [
          `- Run ${s.run} (${md(s.phase)}), ${md(t(s.startedAt))} to ${md(t(s.finishedAt))}: sources ${md(s.sources.join(", "))}; ${s.coverage.total} items, ${s.coverage.scanned} searched, ${s.coverage.skipped} skipped, ${s.coverage.failed} could not be searched.`,
          ...s.couldNotSearch.map((c) => `  - ${md(couldNotSearchLine(c))} (${md(c.source)})`),
        ])),
    ...section("What was found"),
    ...(r.found.length
      ? table(["Run", "Source", "Where", "Place", "Matched", "Count", "System", "Evidence (redacted)"], r.found.map((f) => [`${f.run} (${f.phase})`, f.source, f.where, f.place, f.what, f.count, f.systemName, f.evidence]))
      : [r.searches.length ? "Nothing." : "Nothing yet: no search has been run."]),
    ...section("Systems and outcomes"),
    ...table(["System", "Action", "Owner", "Outcome", "Detail", "By", "When"], r.systems.map((s) => [s.name, s.action, s.owner, s.outcome ?? "pending", detailText(s.detail), s.by, t(s.at)])),
    ...section("What remains"),
    ...[
      ...r.remaining.backups.map((b) => `- In backups (${md(b.name)}) until ${md(t(b.until))}.`),
      ...r.remaining.vendors.map((v) => `- With a processor (${md(v.name)}), deletion asked, ticket ${md(v.ref)}.`),
      ...r.remaining.retained.map((x) => `- Retained in ${md(x.name)}: ${md(x.reason)}${x.legalHold ? " (legal hold)" : ""}.`),
    ],
    ...(r.remaining.backups.length + r.remaining.vendors.length + r.remaining.retained.length === 0 ? [r.draft ? "Not known yet: the request is open." : "No outcome records a remaining copy."] : []),
    ...(r.foundAgain.length ? [...section("Found again after a restore"), ...r.foundAgain.map((f) => `- ${md(t(f.at))}: ${md(f.places.map((p) => `${p.source}: ${p.where}`).join("; "))}`)] : []),
    ...section("Reply to the customer"),
    ...r.reply.map((l) => `> ${md(fillDates(l, tz))}`).flatMap((l) => [l, ">"]).slice(0, -1),
    ...section("Answer sheet for support (internal)"),
    ...r.answerSheet.map((l) => `- ${md(fillDates(l, tz))}`),
    ...section("Event log"),
    `Head \`${r.log.head}\`, ${r.log.events} events. ${r.log.intact ? "Keyed hash chain intact; the tables agree with the log." : `**Does not verify:** ${md(r.log.problems.join("; "))}`}`,
    "",
    ...table(["#", "When", "Who", "What", "Hash"], r.events.map((e) => [e.seq, t(e.at), e.actor, `${e.type}: ${JSON.stringify(e.data)}`, `${e.hash.slice(0, 16)}…`])),
    "",
    `Check this record later: straymap request verify ${md(q.id)} \\-\\-against ${md(q.id)}\\.json (the JSON report), or the head above.`,
    "",
  ];
  return lines.join("\n");
}

export const markdownPrinter: ReportPrinter = { id: "md", description: "Markdown, for a ticket or a wiki", print: renderMarkdown };
