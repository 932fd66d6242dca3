import { VERSION } from "../../version.js";
import { publishFinding, SCHEMA_VERSION } from "../published.js";
import type { PrinterFactory } from "./printer.js";
import { jsonMembers, Sink } from "./sink.js";

const indent = (json: string, by: string) => json.replace(/\n/g, `\n${by}`);

/**
 * `--format json`: one document (schema/straymap-output.schema.json). Findings are
 * written as they are found, so a run with a million of them never holds the
 * whole document in memory; coverage and the end time close it.
 */
export const jsonPrinter: PrinterFactory = (ctx) => {
  const sink = new Sink(ctx.out);
  let opened = false;
  let first = true;
  const open = () => {
    if (opened) return;
    opened = true;
    const head = { schemaVersion: SCHEMA_VERSION, straymapVersion: VERSION, command: ctx.command, startedAt: ctx.startedAt.toISOString() };
    sink.write(`{\n${jsonMembers(head, "  ")},\n  "findings": [`);
  };
  return {
    event(e) {
      if (e.type !== "finding") return;
      open();
      sink.write(`${first ? "\n" : ",\n"}    ${indent(JSON.stringify(publishFinding(e.finding), null, 2), "    ")}`);
      first = false;
    },
    end(result, note) {
      open();
      const tail = { coverage: result.coverage, warnings: result.warnings, ...(note ? { note } : {}), endedAt: new Date().toISOString() };
      sink.write(`${first ? "" : "\n  "}],\n${jsonMembers(tail, "  ")}\n}\n`);
      sink.flush();
    },
  };
};
