import { UsageError } from "../errors.js";

/** What the law says about an erasure request where the customer is. */
export interface Jurisdiction {
  id: string;
  legalBasis: string;
  /** Time to answer from receipt, and how much longer it may be extended (with notice to the customer). */
  deadline: { months?: number; days?: number };
  extension: { months?: number; days?: number };
  describe: string;
}

export const JURISDICTIONS: Record<string, Jurisdiction> = {
  gdpr: {
    id: "gdpr",
    legalBasis: "GDPR Art. 17 (right to erasure)",
    deadline: { months: 1 },
    extension: { months: 2 },
    describe: "one month from receipt, extendable by two further months (GDPR Art. 12(3))",
  },
  ccpa: {
    id: "ccpa",
    legalBasis: "CCPA/CPRA, Cal. Civ. Code § 1798.105 (right to delete)",
    deadline: { days: 45 },
    extension: { days: 45 },
    describe: "45 days from receipt, extendable once by 45 days (Cal. Civ. Code § 1798.130)",
  },
};

export function jurisdiction(id: string | null | undefined): Jurisdiction | undefined {
  if (!id) return undefined;
  const j = JURISDICTIONS[id.toLowerCase()];
  if (!j) throw new UsageError(`--jurisdiction ${id}: known are ${Object.keys(JURISDICTIONS).join(", ")} (or give --legal-basis for another law)`);
  return j;
}

function add(from: Date, span: { months?: number; days?: number }): Date {
  const d = new Date(from);
  if (span.months) d.setUTCMonth(d.getUTCMonth() + span.months);
  if (span.days) d.setUTCDate(d.getUTCDate() + span.days);
  return d;
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export function statutoryDue(j: Jurisdiction, received: Date): { due: string; extendedTo: string } {
  const due = add(received, j.deadline);
  return { due: isoDay(due), extendedTo: isoDay(add(due, j.extension)) };
}

/** A calendar date written YYYY-MM-DD that exists (2026-02-30 does not). */
export function parseDay(text: string, what: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || isoDay(d) !== text.trim()) throw new UsageError(`${what} ${text}: expected a date that exists, written YYYY-MM-DD (e.g. 2026-12-27), or a delay such as 30d, 6w, 2m`);
  return d;
}

/**
 * `--due`, strictly: a date (YYYY-MM-DD) or a delay from now (30d, 6w, 2m,
 * up to 3 years); a date in the past, an impossible date or anything else is
 * a usage error.
 */
export function parseDue(text: string, now = new Date()): string {
  const delay = /^(\d{1,4})\s*(d|days?|w|weeks?|m|months?)$/i.exec(text.trim());
  let due: Date;
  if (delay) {
    const n = Number(delay[1]);
    const unit = delay[2][0].toLowerCase();
    const days = unit === "d" ? n : unit === "w" ? 7 * n : 31 * n;
    if (n === 0 || days > 3 * 366) throw new UsageError(`--due ${text}: a delay between 1 day and 3 years`);
    due = unit === "m" ? add(now, { months: n }) : add(now, { days: unit === "w" ? 7 * n : n });
  } else due = parseDay(text, "--due");
  if (isoDay(due) < isoDay(now)) throw new UsageError(`--due ${text}: that date has passed`);
  return isoDay(due);
}

/** "30d", "6w", "13 months", "7y" from a date, as an ISO date; undefined for "until-deleted" or nothing (data-map retention). */
export function dateAfter(duration: string | undefined, from = new Date()): string | undefined {
  const m = /^(\d+)\s*(d|days?|w|weeks?|m|months?|y|years?)$/i.exec(duration?.trim() ?? "");
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2][0].toLowerCase();
  const d = unit === "d" ? add(from, { days: n }) : unit === "w" ? add(from, { days: 7 * n }) : unit === "m" ? add(from, { months: n }) : add(from, { months: 12 * n });
  return isoDay(d);
}

/** Where a request stands against its deadline, in words. */
export function deadlineStatus(due: string | null, status: string, closedAt: string | null, now = new Date()): { overdue: boolean; text: string } {
  if (!due) return { overdue: false, text: "no deadline set" };
  const dayMs = 86_400_000;
  const end = closedAt ? closedAt.slice(0, 10) : isoDay(now);
  const diff = Math.round((Date.parse(due) - Date.parse(end)) / dayMs);
  if (status !== "open") return { overdue: false, text: diff >= 0 ? `met (answered ${end}, due ${due})` : `missed by ${-diff} day${diff === -1 ? "" : "s"} (answered ${end}, due ${due})` };
  if (diff < 0) return { overdue: true, text: `OVERDUE by ${-diff} day${diff === -1 ? "" : "s"} (due ${due})` };
  return { overdue: false, text: diff === 0 ? `due today (${due})` : `due in ${diff} day${diff === 1 ? "" : "s"} (${due})` };
}
