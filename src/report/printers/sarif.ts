import type { Finding } from "../../types.js";
import { VERSION } from "../../version.js";
import { describeFile, describePlace, describeUnlisted, describeWhat } from "../describe.js";
import { fingerprint } from "../published.js";
import type { PrinterFactory } from "./printer.js";
import { jsonMembers, Sink } from "./sink.js";

const INFO_URI = "https://github.com/straymap/straymap";

/** One rule per kind of finding and kind of data: customer-match/email, pii-column/phone … */
const ruleIdOf = (f: Finding) => `${f.kind}/${(f.kind === "pii-column" ? f.piiType : f.kind === "linked-row" ? "row" : f.identifier) ?? "unknown"}`;

function ruleFor(id: string) {
  const [kind, what] = id.split("/");
  const text =
    kind === "pii-column"
      ? `A column holding personal data (${what})`
      : kind === "linked-row"
        ? "A database row tied to the customer's rows by foreign keys"
        : kind === "unlocated"
          ? `The customer's ${what} is in an item that could not be parsed to the end: no cell or line can be named`
          : `The customer's ${what} found`;
  return { id, name: id.replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase()), shortDescription: { text } };
}

/** A scan's matches are errors (her data is there); a sweep's unmapped columns are warnings, mapped ones notes. */
const levelOf = (f: Finding) => (f.kind === "pii-column" ? (f.system ? "note" : "warning") : "error");

function resultOf(f: Finding) {
  const loc = f.location;
  const where = describePlace(loc);
  const region: Record<string, number> = {};
  if (loc.line !== undefined) region.startLine = loc.line;
  else if (loc.row !== undefined && !loc.sheet) region.startLine = loc.row;
  if (region.startLine !== undefined && loc.offset !== undefined) region.startColumn = loc.offset + 1;
  const file = describeFile(loc);
  return {
    ruleId: ruleIdOf(f),
    level: levelOf(f),
    message: { text: `${describeWhat(f)} in ${file}${where ? ` (${where})` : ""}: ${f.evidence}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: loc.uri.startsWith("file:") ? loc.uri : loc.path },
          ...(Object.keys(region).length ? { region } : {}),
        },
        ...(loc.member || where ? { logicalLocations: [{ fullyQualifiedName: [loc.member, where].filter(Boolean).join(" ") }] } : {}),
      },
    ],
    partialFingerprints: { "straymap/v1": fingerprint(f) },
    properties: { source: f.source, count: f.count, confidence: f.confidence, system: f.system, evidence: f.evidence, location: loc },
  };
}

/**
 * `--format sarif`: SARIF 2.1.0, what code-scanning dashboards read. Results are
 * written as they are found; the tool, its rules (one per kind of finding seen)
 * and the invocation, with each item that could not be read as a notification,
 * close the document.
 */
export const sarifPrinter: PrinterFactory = (ctx) => {
  const sink = new Sink(ctx.out);
  const rules = new Map<string, number>();
  let first = true;
  sink.write(`{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n  "version": "2.1.0",\n  "runs": [\n    {\n      "results": [`);
  return {
    event(e) {
      if (e.type !== "finding") return;
      const r = resultOf(e.finding);
      if (!rules.has(r.ruleId)) rules.set(r.ruleId, rules.size);
      sink.write(`${first ? "\n" : ",\n"}        ${JSON.stringify({ ...r, ruleIndex: rules.get(r.ruleId) })}`);
      first = false;
    },
    end(result, note) {
      const failed = result.coverage.items.filter((i) => i.status === "failed");
      const gaps = result.coverage.items.filter((i) => i.status === "skipped" && i.gap);
      const tail = {
        tool: { driver: { name: "straymap", version: VERSION, semanticVersion: VERSION, informationUri: INFO_URI, rules: [...rules.keys()].map(ruleFor) } },
        invocations: [
          {
            executionSuccessful: failed.length === 0 && gaps.length === 0,
            startTimeUtc: ctx.startedAt.toISOString(),
            endTimeUtc: new Date().toISOString(),
            toolExecutionNotifications: [
              ...failed.map((i) => ({ level: "error", message: { text: `could not search ${describeFile(i)}: ${i.error}` }, locations: [{ physicalLocation: { artifactLocation: { uri: i.uri } } }] })),
              ...gaps.map((i) => ({ level: "warning", message: { text: `not fully searched: ${describeFile(i)}: ${i.reason}` }, locations: [{ physicalLocation: { artifactLocation: { uri: i.uri } } }] })),
              ...result.coverage.items.flatMap((i) =>
                (i.unlisted ?? []).map((u) => ({ level: "note", message: { text: `${describeFile(i)}: ${describeUnlisted(u)}, not listed as results (limits.maxFindingsPerColumn)` }, locations: [{ physicalLocation: { artifactLocation: { uri: i.uri } } }] })),
              ),
              ...result.warnings.map((w) => ({ level: "warning", message: { text: w } })),
            ],
            properties: { command: ctx.command, coverage: result.coverage.summary, ...(note ? { note } : {}) },
          },
        ],
      };
      sink.write(`${first ? "" : "\n      "}],\n${jsonMembers(tail, "      ")}\n    }\n  ]\n}\n`);
      sink.flush();
    },
  };
};
