#!/usr/bin/env node
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { ConfigError, UsageError } from "../errors.js";
import { EXIT } from "../report/exit-codes.js";
import { FORMATS, type Format } from "../report/printers/formats.js";
import { VERSION } from "../version.js";
import { Interrupt } from "./interrupt.js";
import { LAZY_VERBS, type LazyVerb } from "./verbs.js";
import { exitHelp, VERBOSE_HELP } from "./help-text.js";
import type { AfterRun, PrintRun } from "./print-run.js";
import type { RunRequest } from "../index.js";
import type { CoverageEntry, Finding, RunResult, ScanEvent } from "../types.js";

// Start-up is measured (within 0.1 s of bare node): everything heavy (the engine, the
// config validator, the store, the printers) is imported inside the command that needs it.

const collectList = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number above 0");
  return n;
};
const exitCodeArg = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 125) throw new InvalidArgumentError("expected a whole number from 0 to 125");
  return n;
};

interface CommonOptions {
  config?: string;
  source?: string[];
  format: Format;
  color: "auto" | "always" | "never";
  showValues?: boolean;
  verbose?: boolean;
  concurrency?: number;
  maxFileSize?: string;
  include?: string[];
  exclude?: string[];
  hidden?: boolean;
  followSymlinks?: boolean;
  ignoreFile?: boolean;
  followSymlinksOutside?: boolean;
  progress?: boolean;
  fail?: boolean;
  exitCode?: number;
}

function common(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "config file (default: ./straymap.yaml when present)")
    .option("-s, --source <id>", "run only this configured source (repeatable)", collectList)
    .addOption(new Option("-f, --format <format>", "output format").choices([...FORMATS]).default("table"))
    .addOption(new Option("--color <when>", "colour the table: on a terminal unless NO_COLOR is set (auto), always, never").choices(["auto", "always", "never"]).default("auto"))
    .option("--show-values", "print matched values unredacted (they are masked by default)")
    .option("-v, --verbose", VERBOSE_HELP)
    .option("--concurrency <n>", "items read at the same time (default 4)", positiveInt)
    .option("--max-file-size <size>", "skip files larger than this, e.g. 500MB (default 8GB)")
    .option("--include <glob>", "with PATHs: read only files matching this glob (repeatable)", collectList)
    .option("--exclude <glob>", "with PATHs: leave out files and folders matching this glob (repeatable)", collectList)
    .option("--hidden", "with PATHs: read dot-files and dot-folders")
    .option("--follow-symlinks", "with PATHs: follow symbolic links inside the folder (loops are detected)")
    .option("--follow-symlinks-outside", "with PATHs and --follow-symlinks: also follow links leading outside the folder")
    .option("--no-ignore-file", "with PATHs: do not read .straymapignore files")
    .option("--no-progress", "no progress line on stderr")
    .option("--no-fail", "exit 0 when the run completes, whatever it found (errors still exit 2 or 3)")
    .option("--exit-code <n>", "exit with N instead of 1, 4, 5 (or 8 and up) when something was found or not searched", exitCodeArg);
}

let interrupt: Interrupt | undefined;

async function request(paths: string[], o: CommonOptions): Promise<RunRequest> {
  interrupt ??= new Interrupt();
  let maxFileSize: number | undefined;
  if (o.maxFileSize !== undefined) {
    const { default: bytes } = await import("bytes");
    const n = bytes.parse(o.maxFileSize);
    if (n === null || !Number.isFinite(n) || n <= 0) throw new UsageError(`--max-file-size "${o.maxFileSize}": expected a size such as 500MB or 2GB`);
    maxFileSize = n;
  }
  return {
    paths,
    signal: interrupt.signal,
    config: o.config,
    sources: o.source,
    showValues: o.showValues,
    limits: { ...(o.concurrency ? { concurrency: o.concurrency } : {}), ...(maxFileSize ? { maxFileSize } : {}) },
    fs: {
      include: o.include,
      exclude: o.exclude,
      hidden: o.hidden ?? false,
      followSymlinks: o.followSymlinks ?? false,
      symlinksOutside: o.followSymlinksOutside ?? false,
      ...(o.ignoreFile === false ? { ignoreFile: false } : {}),
    },
  };
}


/** The exit code the user asked for: the run's own, or --exit-code N / --no-fail instead when it is not 0. */
function chosenExit(code: number, o: CommonOptions): number {
  if (code === 0) return 0;
  if (o.fail === false) return 0;
  return o.exitCode ?? code;
}

/** Standard output while a run prints: whether it must be read to its end (it is stored), and whether the reader went away. */
const output = { mustFinish: false, closed: false };

/** Print a run the way the user asked (a printer by name), and return its exit code. */
async function report(events: AsyncIterable<ScanEvent>, command: string, o: CommonOptions, after?: AfterRun, filter?: (e: ScanEvent) => boolean): Promise<number> {
  const { PRINTERS, summarize, incomplete, exitCodeOf, ProgressLine, wantColour, outputWidth } = await import("./run-printing.js");
  const human = o.format === "table";
  const progress = o.progress !== false && process.stderr.isTTY ? new ProgressLine() : undefined;
  const printer = PRINTERS[o.format]({
    mode: command === "sweep" ? "sweep" : "scan",
    command,
    verbose: o.verbose ?? false,
    out: process.stdout,
    err: process.stderr,
    startedAt: new Date(),
    color: human && wantColour(o.color, process.stdout),
    width: human ? outputWidth(process.stdout) : undefined,
    // Rows go to stdout as they come; when that is the terminal the progress line is on, it steps aside.
    beforeWrite: progress && process.stdout.isTTY ? () => progress.clear() : undefined,
  });
  // Findings are printed as they come and kept only when the command needs them afterwards
  // (sweep's discoveries): a scan with a million hits does not hold them all.
  const findings: Finding[] = [];
  const items: CoverageEntry[] = [];
  const warnings: string[] = [];
  let found = 0;
  // A run the command stores (a request's evidence) is read to its end even when the output fails or goes away.
  if (after) output.mustFinish = true;
  let failure: unknown;
  const print = (write: () => void) => {
    if (output.closed || failure) return;
    try {
      write();
    } catch (e) {
      if (!after) throw e;
      failure = e;
    }
  };
  for await (const e of progress ? progress.watch(events) : events) {
    if (filter && !filter(e)) continue;
    print(() => printer.event?.(e));
    if (e.type === "finding") {
      found++;
      if (after) findings.push(e.finding);
    } else if (e.type === "coverage") items.push(e.entry);
    else if (e.type === "warning") warnings.push(`${e.source}: ${e.message}`);
  }
  const result: RunResult = { findings, coverage: { summary: summarize(items), items }, warnings };
  // The command's own step (storing the run, recording discoveries) comes before the summary is printed.
  const extra = after?.(result);
  print(() => printer.end(result, extra?.note));
  output.mustFinish = false;
  if (failure) throw failure;
  return chosenExit(exitCodeOf(found, incomplete(result.coverage.summary)) | (extra?.bits ?? 0), o);
}

/**
 * A reader that went away (`straymap … | head -1`) ends the run quietly, as with
 * ripgrep: no stack trace, exit 0. Any other write error is reported once.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (output.closed) return;
    if (output.mustFinish) {
      // The run goes on to be stored; only the printing stops.
      output.closed = true;
      if (e.code !== "EPIPE") process.stderr.write(`straymap: cannot write the output: ${e.message}\n`);
      return;
    }
    if (e.code === "EPIPE") process.exit(process.exitCode && process.exitCode !== 0 ? Number(process.exitCode) : 0);
    process.stderr.write(`straymap: cannot write the output: ${e.message}\n`);
    process.exit(EXIT.USAGE);
  });
}
quietOnClosedPipe(process.stdout);

const program = new Command()
  .name("straymap")
  .description("Find every stray copy of a customer's personal data, and the exports nobody mapped.")
  .version(VERSION)
  .showHelpAfterError()
  .addHelpText("after", exitHelp({ sweep: true }))
  .exitOverride();

common(
  program
    .command("scan")
    .description("find one customer in files, folders and configured sources")
    .argument("[path...]", "folders or files to search, - for standard input (default: the sources in straymap.yaml)")
    .option("--customer <email>", "the customer's email address (repeatable)", collectList)
    .option("--id <id>", "a customer ID, matched as an exact token (repeatable)", collectList)
    .option("--phone <number>", "a phone number, matched in any common format (repeatable)", collectList)
    .option("--region <code>", "region for phone numbers without a country code (default US, or phoneRegion in config)")
    .option("--request <id>", "scan for an open request's customer, and store the run as its evidence")
    .option("--fast", "sources that can search their provider's index (mail, drives) read only its candidates; coverage says what that misses"),
)
  .addHelpText("after", exitHelp({ sweep: false }))
  .action(async (paths: string[], o: CommonOptions & { customer?: string[]; id?: string[]; phone?: string[]; region?: string; request?: string; fast?: boolean }) => {
    const given = Boolean(o.customer?.length || o.id?.length || o.phone?.length);
    if (o.request && given) throw new UsageError("--request takes the customer from the request: leave out --customer, --id and --phone");
    if (!o.request && !given) throw new UsageError("say who to look for: --customer EMAIL, --id ID and/or --phone NUMBER (or --request REQ-…)");
    const req = await request(paths, o);
    const print: PrintRun = (events, after) => report(events, "scan", o, after);
    if (!o.request) {
      const { scan } = await import("../index.js");
      const events = scan({ ...req, narrow: o.fast, customer: { emails: o.customer, ids: o.id, phones: o.phone, defaultRegion: o.region } });
      process.exitCode = await print(events);
      return;
    }
    const { scanForRequest } = await import("./request-commands.js");
    process.exitCode = await scanForRequest(o.request, { ...req, narrow: o.fast }, print);
  });

common(
  program
    .command("sweep")
    .description("find columns holding personal data in CSV, XLSX and JSON files")
    .argument("[path...]", "folders or files to sweep, - for standard input (default: the sources in straymap.yaml)")
    .option("--no-cache", "read every item, even those unchanged since the last sweep")
    .option("--baseline <file>", "leave out findings whose fingerprint is in FILE (a -f json/ndjson output, or one fingerprint a line)"),
)
  .addHelpText("after", exitHelp({ sweep: true }))
  .action(async (paths: string[], o: CommonOptions & { cache?: boolean; baseline?: string }) => {
    const [{ dirname, join }, { loadConfig }, { sweep }, { sweepWithDiscoveries }] = await Promise.all([
      import("node:path"),
      import("../config/load.js"),
      import("../index.js"),
      import("./review-commands.js"),
    ]);
    // Incremental by default: the memory of earlier sweeps sits next to the store (.straymap/).
    const config = loadConfig(o.config);
    const cacheFile = o.cache === false ? undefined : join(dirname(config.store), "sweep-cache.json");
    const req = await request(paths, o);
    let filter: ((e: ScanEvent) => boolean) | undefined;
    if (o.baseline) {
      const { loadBaseline, baselineFilter } = await import("./baseline.js");
      filter = baselineFilter(loadBaseline(o.baseline));
    }
    process.exitCode = await sweepWithDiscoveries(config, paths.length > 0, (after) => report(sweep({ ...req, config, cacheFile }), "sweep", o, after, filter));
  });

common(
  program
    .command("restore-check")
    .description("after restoring a backup: find the customers of closed requests again, by their stored hashes")
    .argument("[path...]", "restored folders or files (default: the sources in straymap.yaml, or --source)"),
)
  .addHelpText("after", exitHelp({ sweep: false }))
  .action(async (paths: string[], o: CommonOptions) => {
    const { runRestoreCheck } = await import("./request-commands.js");
    process.exitCode = await runRestoreCheck(await request(paths, o), (events, after) => report(events, "restore-check", o, after));
  });

program
  .command("rules")
  .description("list the PII rules in force (built-in rules/ plus rules: in the config)")
  .option("-c, --config <file>", "config file (default: ./straymap.yaml when present)")
  .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"))
  .action(async (o: { config?: string; format: "table" | "json" }) => {
    const { listRules } = await import("./check-commands.js");
    await listRules(o);
  });

program
  .command("check")
  .description("validate straymap.yaml: its keys, its rules, and that the folders it names exist")
  .option("-c, --config <file>", "config file (default: ./straymap.yaml)")
  .option("--connect", "also open each source (databases, buckets, drives, mail) and list what it can reach")
  .action(async (o: { config?: string; connect?: boolean }) => {
    const { check } = await import("./check-commands.js");
    process.exitCode = await check(o);
  });

program
  .command("completion")
  .description("print a shell completion script: eval \"$(straymap completion bash)\", or see the README for zsh and fish")
  .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
  .action(async (shell: "bash" | "zsh" | "fish") => {
    const { completionScript } = await import("./completion.js");
    process.stdout.write(completionScript(shell, program));
  });

// The request, review, init, map and serve commands load the store and the engine with their module: each is registered
// in full only when it is asked for (its verb, `help VERB`, completion); otherwise it is listed by name for help.
const asked = process.argv[2] === "help" ? process.argv[3] : process.argv[2];
const whole = asked === "completion";
const REGISTER: Record<LazyVerb, () => Promise<(program: Command) => void>> = {
  request: async () => (await import("./request-commands.js")).registerRequestCommands,
  review: async () => (await import("./review-commands.js")).registerReviewCommands,
  init: async () => (await import("./setup-commands.js")).registerSetupCommands,
  map: async () => (await import("./setup-commands.js")).registerSetupCommands,
  serve: async () => (await import("./serve-command.js")).registerServeCommand,
};
const verbs = Object.keys(LAZY_VERBS) as LazyVerb[];
// init and map share a module that registers both: each module once.
const modules = new Set(await Promise.all(verbs.filter((v) => whole || asked === v).map((v) => REGISTER[v]())));
for (const register of modules) register(program);
for (const verb of verbs) if (!program.commands.some((c) => c.name() === verb)) program.command(verb).description(LAZY_VERBS[verb]);

try {
  await program.parseAsync(process.argv);
  if (interrupt?.exitCode) process.exitCode = interrupt.exitCode;
} catch (e) {
  const err = e as Error & { code?: string; exitCode?: number };
  const { InvalidIdentifierError } = await import("../match/forms.js");
  if (err.code?.startsWith("commander.")) {
    // Help and version exit 0; usage mistakes exit 2 (commander already printed why).
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.USAGE;
  } else if (err instanceof ConfigError || err instanceof UsageError || err instanceof InvalidIdentifierError) {
    process.stderr.write(`straymap: ${err.message}\n`);
    process.exitCode = EXIT.USAGE;
  } else {
    process.stderr.write(`straymap: unexpected error: ${err.stack ?? err.message}\n`);
    process.exitCode = 3;
  }
}
