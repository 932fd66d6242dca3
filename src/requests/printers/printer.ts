import type { CouldNotSearch, RequestReport } from "../report.js";

/** One output format of a request report. A new format is one file and one line in printers/index.ts. */
export interface ReportPrinter {
  id: string;
  description: string;
  print(report: RequestReport): string;
}

/** A time in the report's time zone, for people: "27 December 2026, 14:05 CET"; a bare date stays a date. */
export function humanTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {
    return new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone, timeZoneName: "short" }).formatToParts(d);
  const p = (type: string) => parts.find((x) => x.type === type)?.value ?? "";
  return `${p("day")} ${p("month")} ${p("year")}, ${p("hour")}:${p("minute")} ${p("timeZoneName")}`;
}

/** The dates the report's sentences carry as `{date:ISO}`, written for people (or left ISO for machines). */
export function fillDates(text: string, timeZone: string | null): string {
  return text.replace(/\{date:([^}]*)\}/g, (_m, iso: string) => (timeZone ? humanTime(iso, timeZone).replace(/, \d\d:\d\d.*$/, "") : iso));
}

/** Outcome detail in words ("until: 2026-12-27; note: …"). */
export function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("; ");
}

/** One place a run could not search, in words: a failure with its error, a gap with its reason. */
export function couldNotSearchLine(c: CouldNotSearch): string {
  return c.gap ? `Did not fully search ${c.where}: ${c.reason ?? "no reason recorded"}` : `Could not search ${c.where}: ${c.error ?? "unknown error"}`;
}
