#!/usr/bin/env node
import { dirname, join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import bytes from "bytes";
import { collect, scan, sweep, type RunRequest } from "../index.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { InvalidIdentifierError } from "../match/customer.js";
import { loadRules } from "../match/rules.js";
import { SCANNERS } from "../../scanners/registry.js";
import { EXIT, exitCode } from "../report/exit-codes.js";
import { withProgress } from "./progress.js";
import { Interrupt } from "./interrupt.js";
import type { RunResult, ScanEvent } from "../types.js";

const collectList = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number above 0");
  return n;
};
const size = (value: string) => {
  const n = bytes.parse(value);
  if (n === null || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a size such as 500MB or 2GB");
  return n;
};

const EXIT_HELP = `
Exit codes:
  0  ran; nothing found, and every item was scanned or skipped with a reason
  1  findings
  2  usage or configuration error
  3  internal error (a bug; the message says where)
  4  incomplete: some items could not be read (listed in the output); nothing found in the rest
  5  findings, and some items could not be read (1 + 4)
  +8 sweep: new discoveries (PII in places the data map does not cover; see straymap review)`;

interface CommonOptions {
  config?: string;
  source?: string[];
  format: "table" | "json" | "ndjson";
  showValues?: boolean;
  verbose?: boolean;
  concurrency?: number;
  maxFileSize?: number;
  include?: string[];
  exclude?: string[];
  hidden?: boolean;
  followSymlinks?: boolean;
  followSymlinksOutside?: boolean;
  progress?: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "config file (default: ./straymap.yaml when present)")
    .option("-s, --source <id>", "run only this configured source (repeatable)", collectList)
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json", "ndjson"]).default("table"))
    .option("--show-values", "print matched values unredacted (they are masked by default)")
    .option("-v, --verbose", "list every skipped item, not only the first of each reason")
    .option("--concurrency <n>", "items read at the same time (default 4)", positiveInt)
    .option("--max-file-size <size>", "skip files larger than this (default 8GB)", size)
    .option("--include <glob>", "with PATHs: read only files matching this glob (repeatable)", collectList)
    .option("--exclude <glob>", "with PATHs: leave out files and folders matching this glob (repeatable)", collectList)
    .option("--hidden", "with PATHs: read dot-files and dot-folders")
    .option("--follow-symlinks", "with PATHs: follow symbolic links inside the folder (loops are detected)")
    .option("--follow-symlinks-outside", "with PATHs and --follow-symlinks: also follow links leading outside the folder")
    .option("--no-progress", "no progress bar on stderr");
}

let interrupt: Interrupt | undefined;

function request(paths: string[], o: CommonOptions): RunRequest {
  interrupt ??= new Interrupt();
  return {
    paths,
    signal: interrupt.signal,
    config: o.config,
    sources: o.source,
    showValues: o.showValues,
    limits: { ...(o.concurrency ? { concurrency: o.concurrency } : {}), ...(o.maxFileSize ? { maxFileSize: o.maxFileSize } : {}) },
    fs: { include: o.include, exclude: o.exclude, hidden: o.hidden ?? false, followSymlinks: o.followSymlinks ?? false, symlinksOutside: o.followSymlinksOutside ?? false },
  };
}

/** What a command adds once a run is complete: more exit-code bits and a line for the summary. */
type AfterRun = (result: RunResult) => { bits: number; note?: string };

/** Print a run the way the user asked (a printer by name), and return its exit code. */
async function report(events: AsyncIterable<ScanEvent>, mode: "scan" | "sweep", o: CommonOptions, after?: AfterRun): Promise<number> {
  const { PRINTERS } = await import("../report/printers/index.js");
  const printer = PRINTERS[o.format]({ mode, verbose: o.verbose ?? false, out: process.stdout, err: process.stderr });
  const stream = o.progress !== false && o.format !== "ndjson" && process.stderr.isTTY ? withProgress(events) : events;
  const teed = async function* () {
    for await (const e of stream) {
      printer.event?.(e);
      yield e;
    }
  };
  const result = await collect(teed());
  const extra = after?.(result);
  printer.end(result, extra?.note);
  return exitCode(result) | (extra?.bits ?? 0);
}

const program = new Command()
  .name("straymap")
  .description("Find every stray copy of a customer's personal data, and the exports nobody mapped.")
  .version("0.1.0")
  .showHelpAfterError()
  .addHelpText("after", EXIT_HELP)
  .exitOverride();

common(
  program
    .command("scan")
    .description("find one customer in files, folders and configured sources")
    .argument("[path...]", "folders or files to search (default: the sources in straymap.yaml)")
    .option("--customer <email>", "the customer's email address (repeatable)", collectList)
    .option("--id <id>", "a customer ID, matched as an exact token (repeatable)", collectList)
    .option("--phone <number>", "a phone number, matched in any common format (repeatable)", collectList)
    .option("--region <code>", "region for phone numbers without a country code (default US, or phoneRegion in config)")
    .option("--request <id>", "scan for an open request's customer, and store the run as its evidence")
    .option("--fast", "sources that can search their provider's index (mail, drives) read only its candidates; coverage says what that misses"),
)
  .addHelpText("after", EXIT_HELP)
  .action(async (paths: string[], o: CommonOptions & { customer?: string[]; id?: string[]; phone?: string[]; region?: string; request?: string; fast?: boolean }) => {
    const given = Boolean(o.customer?.length || o.id?.length || o.phone?.length);
    if (o.request && given) throw new InvalidIdentifierError("--request takes the customer from the request: leave out --customer, --id and --phone");
    if (!o.request && !given) throw new InvalidIdentifierError("say who to look for: --customer EMAIL, --id ID and/or --phone NUMBER (or --request REQ-…)");
    if (!o.request) {
      const events = scan({ ...request(paths, o), narrow: o.fast, customer: { emails: o.customer, ids: o.id, phones: o.phone, defaultRegion: o.region } });
      process.exitCode = await report(events, "scan", o);
      return;
    }
    const { scanForRequest } = await import("./request-commands.js");
    process.exitCode = await scanForRequest(o.request, { ...request(paths, o), narrow: o.fast }, (events) => report(events, "scan", o));
  });

common(
  program
    .command("sweep")
    .description("find columns holding personal data in CSV, XLSX and JSON files")
    .argument("[path...]", "folders or files to sweep (default: the sources in straymap.yaml)")
    .option("--no-cache", "read every item, even those unchanged since the last sweep"),
)
  .addHelpText("after", EXIT_HELP)
  .action(async (paths: string[], o: CommonOptions & { cache?: boolean }) => {
    // Incremental by default: the memory of earlier sweeps sits next to the store (.straymap/).
    const config = loadConfig(o.config);
    const cacheFile = o.cache === false ? undefined : join(dirname(config.store), "sweep-cache.json");
    const { sweepWithDiscoveries } = await import("./review-commands.js");
    process.exitCode = await sweepWithDiscoveries(config, (after) => report(sweep({ ...request(paths, o), config, cacheFile }), "sweep", o, after));
  });

common(
  program
    .command("restore-check")
    .description("after restoring a backup: find the customers of closed requests again, by their stored hashes")
    .argument("[path...]", "restored folders or files (default: the sources in straymap.yaml, or --source)"),
)
  .addHelpText("after", EXIT_HELP)
  .action(async (paths: string[], o: CommonOptions) => {
    const { runRestoreCheck } = await import("./request-commands.js");
    process.exitCode = await runRestoreCheck(request(paths, o), (events) => report(events, "scan", o));
  });

program
  .command("rules")
  .description("list the PII rules in force (built-in rules/ plus rules: in the config)")
  .option("-c, --config <file>", "config file (default: ./straymap.yaml when present)")
  .action((o: { config?: string }) => {
    const config = loadConfig(o.config);
    const set = loadRules(config.rules);
    for (const r of set.rules) {
      const values = [r.pattern ? "pattern" : "", r.validator ? "validator" : ""].filter(Boolean).join("+") || "header only";
      process.stdout.write(`${r.id.padEnd(14)} ${r.piiType.padEnd(14)} ${String(r.phrases.length).padStart(3)} header phrases, values: ${values}\n`);
    }
  });

program
  .command("check")
  .description("validate straymap.yaml and list its sources")
  .option("-c, --config <file>", "config file (default: ./straymap.yaml)")
  .action((o: { config?: string }) => {
    const config = loadConfig(o.config ?? "straymap.yaml");
    try {
      loadRules(config.rules, { phoneRegion: config.phoneRegion });
    } catch (e) {
      throw e instanceof ConfigError ? new ConfigError(`${config.file}: ${e.message}`) : e;
    }
    process.stdout.write(`${config.file}: OK\n`);
    for (const s of config.sources) process.stdout.write(`  ${s.id} (${s.kind}: ${SCANNERS[s.kind].description})\n`);
  });

const { registerSetupCommands } = await import("./setup-commands.js");
registerSetupCommands(program);
const { registerRequestCommands } = await import("./request-commands.js");
registerRequestCommands(program);
const { registerReviewCommands } = await import("./review-commands.js");
registerReviewCommands(program);

// A reader that stops early (`straymap request list | head`) closes the pipe: one line, not a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.stderr.write("straymap: the output was closed before the end (EPIPE): stopped\n");
  process.exit(EXIT.USAGE);
});

try {
  await program.parseAsync(process.argv);
  if (interrupt?.exitCode) process.exitCode = interrupt.exitCode;
} catch (e) {
  const err = e as Error & { code?: string; exitCode?: number };
  if (err.code?.startsWith("commander.")) {
    // Help and version exit 0; usage mistakes exit 2 (commander already printed why).
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.USAGE;
  } else if (err instanceof ConfigError || err instanceof InvalidIdentifierError || err instanceof UsageError) {
    process.stderr.write(`straymap: ${err.message}\n`);
    process.exitCode = EXIT.USAGE;
  } else {
    process.stderr.write(`straymap: unexpected error: ${err.stack ?? err.message}\n`);
    process.exitCode = 3;
  }
}
