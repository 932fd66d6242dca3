import { VERSION } from "../../version.js";
import { publishFinding, SCHEMA_VERSION } from "../published.js";
import type { PrinterFactory } from "./printer.js";
import { Sink } from "./sink.js";

/**
 * `--format ndjson`: one JSON record per line, each with a `type`, written as the
 * run goes: `begin` (versions, start time), a `finding` per finding (the finding's
 * fields beside `type`), a `coverage` record per item, `warning`s, and a closing
 * `summary` (counts, end time, the command's note). Nothing goes to stderr.
 */
export const ndjsonPrinter: PrinterFactory = (ctx) => {
  const sink = new Sink(ctx.out);
  const line = (record: object) => sink.write(`${JSON.stringify(record)}\n`);
  let findings = 0;
  line({ type: "begin", schemaVersion: SCHEMA_VERSION, straymapVersion: VERSION, command: ctx.command, startedAt: ctx.startedAt.toISOString() });
  return {
    event(e) {
      if (e.type === "finding") {
        findings++;
        line({ type: "finding", ...publishFinding(e.finding) });
      } else if (e.type === "coverage") line({ type: "coverage", ...e.entry });
      else if (e.type === "warning") line({ type: "warning", source: e.source, message: e.message });
    },
    end(result, note) {
      // result.findings may be empty: the CLI keeps findings only when a command needs them after the run.
      line({ type: "summary", findings, coverage: result.coverage.summary, ...(note ? { note } : {}), endedAt: new Date().toISOString() });
      sink.flush();
    },
  };
};
