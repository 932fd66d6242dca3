import { readFileSync, statSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { LAZY_VERBS } from "./verbs.js";
import { restoreCheck, scan, type RunRequest } from "../index.js";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { DataMap } from "../map/data-map.js";
import { Store } from "../store/store.js";
import { JURISDICTIONS } from "../requests/deadlines.js";
import { CANCEL_KINDS, cancelRequest, extendRequest, closeRequest, findersOf, identifiersOf, openRequest, OUTCOMES, recordFoundAgain, recordRun, reopenRequest, setTask, stateOf, type Outcome } from "../requests/requests.js";
import { buildReport } from "../requests/report.js";
import { REPORT_PRINTERS, reportPrinter } from "../requests/printers/index.js";
import { verifyRequest, type Anchor } from "../requests/verify.js";
import { requestList, requestView } from "../requests/views.js";
import type { PrintRun } from "./print-run.js";

function context(configFile: string | undefined, readOnly = false) {
  const config = loadConfig(configFile);
  const map = config.map ? DataMap.load(config.map) : undefined;
  return { config, map, store: readOnly ? Store.reader(config.store) : new Store(config.store) };
}

/** Run `fn` with the store open (read-only for the commands that only read), and close it whatever happens. */
function withStore<T>(configFile: string | undefined, fn: (c: ReturnType<typeof context>) => T, readOnly = false): T {
  const c = context(configFile, readOnly);
  try {
    return fn(c);
  } finally {
    c.store.close();
  }
}

const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
const repeatable = (v: string, p: string[] = []) => [...p, v];

const sourcesOf = (req: RunRequest, configured: string[]) => (req.paths?.length ? req.paths.map((p) => `fs:${p}`) : req.sources?.length ? req.sources : configured);

/** `scan --request`: the request's customer, every configured source (or PATHs), the run kept as evidence. */
export async function scanForRequest(id: string, req: RunRequest, print: PrintRun): Promise<number> {
  if (req.showValues) throw new UsageError("--show-values cannot be used with --request: a request's record keeps only redacted evidence (scan without --request to see values)");
  const { config, store } = context(typeof req.config === "string" ? req.config : undefined);
  try {
    const customer = identifiersOf(store, id);
    const started = new Date();
    // Stored once the run is complete and before its summary prints: a closed pipe or a printer failure cannot lose it.
    return await print(scan({ ...req, config, customer }), (result) => {
      const run = recordRun(store, id, sourcesOf(req, config.sourceIds), result, started, findersOf({ ...customer, defaultRegion: customer.defaultRegion ?? config.phoneRegion }));
      process.stderr.write(`stored as run ${run} of ${id}\n`);
      return { bits: 0 };
    });
  } finally {
    store.close();
  }
}

/** `restore-check`: closed requests' customers, by their hashes, in a restored copy; each request found again gets an event. */
export async function runRestoreCheck(req: RunRequest, print: PrintRun): Promise<number> {
  const { config, store } = context(typeof req.config === "string" ? req.config : undefined);
  try {
    const started = new Date();
    return await print(restoreCheck({ ...req, config, store }), (result) => {
      const requests = recordFoundAgain(store, sourcesOf(req, config.sourceIds), result, started);
      for (const id of requests) process.stderr.write(`${id}: found again after a restore, recorded in its log (straymap request reopen ${id} --reason "…")\n`);
      return { bits: 0 };
    });
  } finally {
    store.close();
  }
}

/** A report's log anchor, from the JSON report a person kept (or sent). */
function anchorFrom(file: string): Anchor {
  let data: { log?: { head?: unknown; events?: unknown }; request?: { id?: unknown } };
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`--against ${file}: a folder, not a JSON report`);
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--against ${file}: not a readable JSON report (${(e as Error).message})`);
  }
  const head = data.log?.head;
  const events = data.log?.events;
  if (typeof head !== "string" || !/^[0-9a-f]{64}$/.test(head) || typeof events !== "number") throw new UsageError(`--against ${file}: no log head in it (straymap request report REQ --format json writes one)`);
  return { head, events };
}

export function registerRequestCommands(program: Command): void {
  const request = program.command("request").description(LAZY_VERBS.request);
  const configOption = () => new Option("-c, --config <file>", "config file (default: ./straymap.yaml)");
  const formatOption = () => new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table");

  request
    .command("open")
    .description("open a request for one customer; builds its checklist from the data map")
    .option("--customer <email>", "the customer's email address (repeatable)", repeatable)
    .option("--id <id>", "a customer ID (repeatable)", repeatable)
    .option("--phone <number>", "a phone number (repeatable)", repeatable)
    .requiredOption("--owner <who>", "who owns the request")
    .addOption(new Option("--jurisdiction <law>", "sets the legal basis and the statutory deadline").choices(Object.keys(JURISDICTIONS)))
    .option("--legal-basis <text>", "the legal basis, in words, when no --jurisdiction applies")
    .option("--received <date>", "when the request was received, YYYY-MM-DD (default today)")
    .option("--verified <how>", 'how the requester\'s identity was verified, e.g. "reply from the account\'s address"')
    .option("--due <when>", "a date (2026-12-27) or a delay (30d, 6w, 2m); default from --jurisdiction")
    .addOption(configOption())
    .action((o: { customer?: string[]; id?: string[]; phone?: string[]; owner: string; due?: string; config?: string; jurisdiction?: string; legalBasis?: string; received?: string; verified?: string }) =>
      withStore(o.config, ({ config, map, store }) => {
        const id = openRequest(store, map, { emails: o.customer, ids: o.id, phones: o.phone, defaultRegion: config.phoneRegion }, o);
        const s = stateOf(store, id);
        out(`${id} opened, ${s.tasks.length} tasks from the data map${s.due ? `, due ${s.due}` : ""}. Next: straymap scan --request ${id}`);
      }),
    );

  request
    .command("task")
    .description(`record a system's outcome: ${OUTCOMES.join(", ")}`)
    .argument("<request>")
    .argument("<system>")
    .argument("<outcome>")
    .option("--note <text>")
    .option("--until <date>", "expiring: when the copy expires, YYYY-MM-DD (default: from the system's retention)")
    .option("--ref <ticket>", "vendor-ticket: the ticket reference")
    .option("--reason <text>", "retained: why the data is kept")
    .option("--legal-hold", "retained: under legal hold")
    .addOption(configOption())
    .action((id: string, system: string, outcome: string, o: { note?: string; until?: string; ref?: string; reason?: string; legalHold?: boolean; config?: string }) =>
      withStore(o.config, ({ map, store }) => {
        const t = setTask(store, map, id, system, { outcome: outcome as Outcome, note: o.note, until: o.until, ref: o.ref, reason: o.reason, legalHold: o.legalHold });
        out(`${id} ${t.system}: ${t.outcome}`);
      }),
    );

  request
    .command("close")
    .description("close a request: refused while a task has no outcome, or a system marked deleted was not scanned again, still holds her, or the last scan had gaps")
    .argument("<request>")
    .option("--accept-gaps <why>", "close despite gaps (places not read, a system not verified), saying why")
    .addOption(configOption())
    .action((id: string, o: { acceptGaps?: string; config?: string }) =>
      withStore(o.config, ({ store }) => {
        const r = closeRequest(store, id, o.acceptGaps);
        out(`${id} closed: ${r.outcome}. Its raw identifiers are purged; keyed hashes remain.`);
      }),
    );

  request
    .command("extend")
    .description("extend the deadline (as far as the jurisdiction allows), with the reason the customer is told")
    .argument("<request>")
    .requiredOption("--reason <text>", "why more time is needed")
    .option("--to <when>", "the new deadline, a date or a delay (default: the jurisdiction's limit)")
    .addOption(configOption())
    .action((id: string, o: { reason: string; to?: string; config?: string }) =>
      withStore(o.config, ({ store }) => {
        const s = extendRequest(store, id, o.reason, o.to);
        out(`${id} now due ${s.due}. Tell the customer why, within the first deadline.`);
      }),
    );

  request
    .command("cancel")
    .description("cancel an open request: withdrawn by the customer, or refused (the reason stays in its log)")
    .argument("<request>")
    .addOption(new Option("--as <kind>", "withdrawn or refused").choices([...CANCEL_KINDS]).default("withdrawn"))
    .requiredOption("--reason <text>", "why")
    .addOption(configOption())
    .action((id: string, o: { as: string; reason: string; config?: string }) =>
      withStore(o.config, ({ store }) => {
        cancelRequest(store, id, o.as, o.reason);
        out(`${id} cancelled (${o.as}). Its raw identifiers are purged; keyed hashes remain.`);
      }),
    );

  request
    .command("reopen")
    .description("reopen a closed request (e.g. found again after a restore), with a task per place it was found again")
    .argument("<request>")
    .requiredOption("--reason <text>", "why")
    .option("--customer <email>", "her address again, to scan again (checked against the kept hash)", repeatable)
    .option("--id <id>", "a customer ID again", repeatable)
    .option("--phone <number>", "a phone number again", repeatable)
    .addOption(configOption())
    .action((id: string, o: { reason: string; customer?: string[]; id?: string[]; phone?: string[]; config?: string }) =>
      withStore(o.config, ({ config, store }) => {
        const given = Boolean(o.customer?.length || o.id?.length || o.phone?.length);
        const s = reopenRequest(store, id, o.reason, given ? { emails: o.customer, ids: o.id, phones: o.phone, defaultRegion: config.phoneRegion } : undefined);
        const added = s.tasks.filter((t) => t.origin === "found-again" && !t.outcome).length;
        out(`${id} reopened, ${added} new task${added === 1 ? "" : "s"}.${given ? ` Next: straymap scan --request ${id}` : " Give her identifiers again (--customer, --id, --phone) to scan for her."}`);
      }),
    );

  request
    .command("show")
    .description("a request's tasks, runs and events")
    .argument("<request>")
    .addOption(formatOption())
    .addOption(configOption())
    .action((id: string, o: { format: "table" | "json"; config?: string }) =>
      withStore(o.config, ({ config, store }) => {
        const v = requestView(store, config, id);
        if (o.format === "json") return void out(JSON.stringify(v, null, 2));
        out(`${v.id}  ${v.status}${v.outcome ? ` (${v.outcome})` : ""}  owner ${v.owner}  ${v.deadline.text}`);
        out(`received ${v.receivedAt.slice(0, 10)}${v.legalBasis ? `  legal basis: ${v.legalBasis}` : ""}${v.verified ? `  identity verified: ${v.verified}` : ""}`);
        out("\ntasks:");
        for (const t of v.tasks) out(`  ${t.system.padEnd(28)} ${(t.outcome ?? "pending").padEnd(13)} ${t.name}${t.by ? `  (${t.by}, ${t.at})` : ""}`);
        out("\nruns:");
        if (!v.runs.length) out("  none");
        for (const r of v.runs) out(`  run ${r.run}  ${r.at}  ${r.phase}  ${r.findings} findings${r.moreCounted ? ` (and ${r.moreCounted} more counted, not listed)` : ""}, ${r.failures} not read${r.gaps ? `, ${r.gaps} not fully searched` : ""}  sources ${r.sources.join(", ")}`);
        out("\nevents:");
        for (const e of v.events) out(`  ${String(e.seq).padStart(4)}  ${e.at}  ${e.actor}  ${e.type}`);
      }, true),
    );

  request
    .command("report")
    .description("the written proof of a request (a DRAFT while it is open)")
    .argument("<request>")
    .addOption(new Option("-f, --format <format>", Object.values(REPORT_PRINTERS).map((p) => `${p.id}: ${p.description}`).join("; ")).choices(Object.keys(REPORT_PRINTERS)).default("md"))
    .option("-o, --output <file>", "write to a file instead of stdout")
    .addOption(configOption())
    .action((id: string, o: { format: string; output?: string; config?: string }) =>
      withStore(o.config, ({ config, store }) => {
        const text = reportPrinter(o.format).print(buildReport(store, id, config));
        if (o.output) {
          if (statSync(o.output, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`-o ${o.output}: a folder; name a file`);
          writeFileSync(o.output, text);
        } else out(text);
      }, true),
    );

  request
    .command("verify")
    .description("check a request's record: keyed hash chain, tables equal to the replayed log, runs unchanged; with --against, that the log still extends the head a report showed")
    .argument("<request>")
    .option("--against <report.json>", "a JSON report of this request: proves no event after it was removed or rewritten")
    .addOption(configOption())
    .action((id: string, o: { against?: string; config?: string }) =>
      withStore(o.config, ({ store }) => {
        const v = verifyRequest(store, id, o.against ? anchorFrom(o.against) : undefined);
        if (v.ok) out(`${id}: ${v.events} events, head ${v.head}; keyed hash chain intact, tables agree with the log${o.against ? ", and the log extends the report's head" : ""}`);
        else {
          for (const p of v.problems) out(`${id}: ${p}`);
          process.exitCode = 1;
        }
      }, true),
    );

  request
    .command("list")
    .description("list requests (overdue ones flagged)")
    .addOption(formatOption())
    .addOption(configOption())
    .action((o: { format: "table" | "json"; config?: string }) =>
      withStore(o.config, ({ config, store }) => {
        const rows = requestList(store, config);
        if (o.format === "json") return void out(JSON.stringify({ requests: rows }, null, 2));
        for (const r of rows) out(`${r.id}  ${r.status.padEnd(9)}  ${r.outcome ?? `${r.pendingTasks} tasks pending`}  owner ${r.owner}  ${r.deadline}`);
      }, true),
    );
}
