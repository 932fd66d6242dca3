import type { ReportPrinter } from "./printer.js";
import { fillDates } from "./printer.js";

/** The report as data: times in UTC (ISO 8601), every value escaped by JSON itself. */
export const jsonPrinter: ReportPrinter = {
  id: "json",
  description: "the report as JSON (times in UTC)",
  print: (r) => JSON.stringify({ ...r, reply: r.reply.map((l) => fillDates(l, null)), answerSheet: r.answerSheet.map((l) => fillDates(l, null)) }, null, 2),
};
