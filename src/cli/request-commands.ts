import { existsSync, writeFileSync } from "node:fs";
import { CONFIG_TEMPLATE, MAP_TEMPLATE } from "./init-templates.js";
import { checkMap, lastSeen } from "../map/map-check.js";
import { Command, InvalidArgumentError, Option } from "commander";
import { collect, restoreCheck, scan, type RunRequest, type RunResult } from "../index.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { DataMap } from "../map/data-map.js";
import { Store } from "../store/store.js";
import { closeRequest, dateAfter, getRequest, identifiersOf, openRequest, OUTCOMES, recordRun, setTask, tasksOf, type Outcome } from "../requests/requests.js";
import { UsageError } from "../errors.js";
import { describeError } from "../engine/errors.js";
import { buildReport, renderHtml, renderMarkdown } from "../requests/report.js";
import type { ScanEvent } from "../types.js";

function context(configFile?: string) {
  const config = loadConfig(configFile);
  const map = config.map ? DataMap.load(config.map) : undefined;
  return { config, map, store: new Store(config.store) };
}

/** `--due`: a calendar date or a delay whose end is a real date (99999999d is not). */
function dueDate(value: string): string {
  // A real calendar day: it reads back the same (2026-02-31 does not), before the year 10000.
  const real = (iso: string | undefined) => iso !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(iso.slice(0, 10)) && !Number.isNaN(Date.parse(iso)) && new Date(iso.slice(0, 10)).toISOString().slice(0, 10) === iso.slice(0, 10);
  let delay: string | undefined;
  try {
    delay = dateAfter(value);
  } catch {
    throw new InvalidArgumentError("that delay ends past any calendar (give a date such as 2026-12-27 or a delay such as 30d)");
  }
  if (delay !== undefined ? real(delay) : /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) && real(value.trim())) return value;
  throw new InvalidArgumentError("expected a date such as 2026-12-27 or a delay such as 30d, 6w, 3m or 1y");
}

const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);

/** `scan --request`: the request's customer, every configured source (or PATHs), the run kept as evidence. */
export async function scanForRequest(id: string, req: RunRequest, print: (events: AsyncIterable<ScanEvent>) => Promise<number>): Promise<number> {
  const { config, store } = context(typeof req.config === "string" ? req.config : undefined);
  try {
    const customer = identifiersOf(store, id);
    const started = new Date();
    let result: RunResult | undefined;
    const events = scan({ ...req, config, customer });
    // Print as usual while keeping the whole run for the store.
    const kept: ScanEvent[] = [];
    const tee = async function* () {
      for await (const e of events) {
        kept.push(e);
        yield e;
      }
      result = await collect((async function* () { yield* kept; })());
    };
    const code = await print(tee());
    const sources = req.paths?.length ? req.paths.map((p) => `fs:${p}`) : req.sources?.length ? req.sources : config.sourceIds;
    const run = recordRun(store, id, sources, result!, started);
    process.stderr.write(`stored as run ${run} of ${id}\n`);
    return code;
  } finally {
    store.close();
  }
}

/** `restore-check`: closed requests' customers, by their hashes, in a restored copy. */
export async function runRestoreCheck(req: RunRequest, print: (events: AsyncIterable<ScanEvent>) => Promise<number>): Promise<number> {
  const { config, store } = context(typeof req.config === "string" ? req.config : undefined);
  try {
    return await print(restoreCheck({ ...req, config, store }));
  } finally {
    store.close();
  }
}

export function registerRequestCommands(program: Command): void {
  program
    .command("init")
    .description("write a commented straymap.yaml and data-map.yaml to start from")
    .option("--force", "overwrite files that exist")
    .action((o: { force?: boolean }) => {
      for (const [file, text] of [["straymap.yaml", CONFIG_TEMPLATE], ["data-map.yaml", MAP_TEMPLATE]] as const) {
        if (existsSync(file) && !o.force) {
          out(`${file} exists: left as it is (--force overwrites)`);
          continue;
        }
        writeFileSync(file, text);
        out(`wrote ${file}`);
      }
      // The store and its HMAC key are created now, so the key exists before any request.
      new Store(loadConfig("straymap.yaml").store).close();
      out("created .straymap/ (the store and its hash key; keep the key out of git)");
    });

  program
    .command("map")
    .description("the data map")
    .command("check")
    .description("validate data-map.yaml against the config, and show what was last found per system")
    .addOption(new Option("-c, --config <file>", "config file (default: ./straymap.yaml)"))
    .action((o: { config?: string }) => {
      const config = loadConfig(o.config ?? "straymap.yaml");
      if (!config.map) throw new ConfigError(`${config.file}: map: no data map configured`);
      const map = DataMap.load(config.map);
      const problems = checkMap(map, config.sourceIds);
      const store = new Store(config.store);
      try {
        for (const s of map.systems) {
          const last = lastSeen(store, s.id);
          out(`${s.id.padEnd(20)} ${s.action.padEnd(13)} owner ${s.owner || "(none)"}  ${s.locations.length ? `${s.locations.length} location${s.locations.length === 1 ? "" : "s"}` : "no scanner reaches it"}  ${last}`);
        }
      } finally {
        store.close();
      }
      if (problems.length) {
        for (const p of problems) process.stderr.write(`${config.map}: ${p}\n`);
        process.exitCode = 2;
      } else out(`${config.map}: OK`);
    });

  const request = program.command("request").description("deletion requests: open, record outcomes, close with proof");
  const configOption = () => new Option("-c, --config <file>", "config file (default: ./straymap.yaml)");

  request
    .command("open")
    .description("open a request for one customer; builds its checklist from the data map")
    .option("--customer <email>", "the customer's email address (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .option("--id <id>", "a customer ID (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .option("--phone <number>", "a phone number (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .requiredOption("--owner <who>", "who owns the request")
    .option("--due <when>", "a date (2026-12-27) or a delay (30d)", dueDate)
    .addOption(configOption())
    .action((o: { customer?: string[]; id?: string[]; phone?: string[]; owner: string; due?: string; config?: string }) => {
      const { config, map, store } = context(o.config);
      try {
        const id = openRequest(store, map, { emails: o.customer, ids: o.id, phones: o.phone, defaultRegion: config.phoneRegion }, o.owner, o.due);
        out(`${id} opened, ${tasksOf(store, id).length} tasks from the data map. Next: straymap scan --request ${id}`);
      } finally {
        store.close();
      }
    });

  request
    .command("task")
    .description(`record a system's outcome: ${OUTCOMES.join(", ")}`)
    .argument("<request>")
    .argument("<system>")
    .argument("<outcome>")
    .option("--note <text>")
    .option("--until <date>", "expiring: when the copy expires (default: from the system's retention)")
    .option("--ref <ticket>", "vendor-ticket: the ticket reference")
    .option("--reason <text>", "retained: why the data is kept")
    .option("--legal-hold", "retained: under legal hold")
    .addOption(configOption())
    .action((id: string, system: string, outcome: string, o: { note?: string; until?: string; ref?: string; reason?: string; legalHold?: boolean; config?: string }) => {
      if (!(OUTCOMES as readonly string[]).includes(outcome)) throw new ConfigError(`outcome must be one of ${OUTCOMES.join(", ")}`);
      const { map, store } = context(o.config);
      try {
        const t = setTask(store, map, id, system, { outcome: outcome as Outcome, note: o.note, until: o.until, ref: o.ref, reason: o.reason, legalHold: o.legalHold });
        out(`${id} ${t.system}: ${t.outcome}`);
      } finally {
        store.close();
      }
    });

  request
    .command("close")
    .description("close a request: refused while a task has no outcome or the last scan had gaps")
    .argument("<request>")
    .option("--accept-gaps <why>", "close although the last scan could not read everything, saying why")
    .addOption(configOption())
    .action((id: string, o: { acceptGaps?: string; config?: string }) => {
      const { store } = context(o.config);
      try {
        const r = closeRequest(store, id, o.acceptGaps);
        out(`${id} closed: ${r.outcome}. Its raw identifiers are purged; keyed hashes remain.`);
      } finally {
        store.close();
      }
    });

  request
    .command("report")
    .description("the written proof of a request")
    .argument("<request>")
    .addOption(new Option("-f, --format <format>", "md, html or json").choices(["md", "html", "json"]).default("md"))
    .option("-o, --output <file>", "write to a file instead of stdout")
    .addOption(configOption())
    .action((id: string, o: { format: string; output?: string; config?: string }) => {
      const { store } = context(o.config);
      try {
        const r = buildReport(store, id);
        const text = o.format === "json" ? JSON.stringify(r, null, 2) : o.format === "html" ? renderHtml(r) : renderMarkdown(r);
        if (o.output) {
          try {
            writeFileSync(o.output, text);
          } catch (e) {
            throw new UsageError(`-o ${o.output}: cannot write the report there: ${describeError(e)}`);
          }
        }
        else out(text);
      } finally {
        store.close();
      }
    });

  request
    .command("verify")
    .description("check that the request's event log was not edited (hash chain)")
    .argument("<request>")
    .addOption(configOption())
    .action((id: string, o: { config?: string }) => {
      const { store } = context(o.config);
      try {
        getRequest(store, id);
        const broken = store.verify(id);
        if (broken) {
          out(`${id}: event ${broken.seq} does not verify: ${broken.why}`);
          process.exitCode = 1;
        } else out(`${id}: ${store.events(id).length} events, hash chain intact`);
      } finally {
        store.close();
      }
    });

  request
    .command("list")
    .description("list requests")
    .addOption(configOption())
    .action((o: { config?: string }) => {
      const { store } = context(o.config);
      try {
        const rows = store.db.prepare("SELECT id, owner, status, outcome, due FROM requests ORDER BY id").all() as { id: string; owner: string; status: string; outcome: string | null; due: string | null }[];
        for (const r of rows) {
          const pending = tasksOf(store, r.id).filter((t) => !t.outcome).length;
          out(`${r.id}  ${r.status.padEnd(6)}  ${r.outcome ?? `${pending} tasks pending`}  owner ${r.owner}${r.due ? `  due ${r.due}` : ""}`);
        }
      } finally {
        store.close();
      }
    });
}
