import { loadConfig, ConfigError, UnresolvedSource, type Config } from "./config/load.js";
import { Engine, HashJob, ScanJob, SweepJob, type Job } from "./engine/run.js";
import { summarize } from "./engine/coverage.js";
import type { Limits } from "./limits.js";
import type { Source } from "./engine/scanner.js";
import { CustomerMatcher, type CustomerQuery } from "./match/customer.js";
import { loadRules } from "./match/rules.js";
import { DataMap } from "./map/data-map.js";
import { SweepCache } from "./store/sweep-cache.js";
import { HashedMatcher } from "./match/hashed.js";
import { maskEvents } from "./match/redact.js";
import type { Store } from "./store/store.js";
import { FsSource, type FsSettings } from "../scanners/fs.js";
import { StdinSource } from "./sources/stdin.js";
import type { CoverageEntry, Finding, RunResult, ScanEvent } from "./types.js";

export type * from "./types.js";
export { ConfigError, loadConfig, type Config } from "./config/load.js";
export { CustomerMatcher, InvalidIdentifierError, type CustomerQuery } from "./match/customer.js";
export { DataMap } from "./map/data-map.js";
export { SCANNERS } from "../scanners/registry.js";
export { summarize } from "./engine/coverage.js";

export interface RunRequest {
  /** Folders or files to read directly (source id "fs"); when given, configured sources are not used. */
  paths?: string[];
  /** A loaded config, or the path of a straymap.yaml. Defaults to ./straymap.yaml when present. */
  config?: Config | string;
  /** Configured source ids to run (default: all). */
  sources?: string[];
  showValues?: boolean;
  limits?: Partial<Limits>;
  signal?: AbortSignal;
  /** Where archives not on local disk are copied for reading (default: the OS temp dir). */
  tmpDir?: string;
  /** Settings for the folders given as `paths` (include/exclude globs, hidden files, symlinks). */
  fs?: Partial<Omit<FsSettings, "path">>;
  /**
   * Sweep only: a file remembering what earlier sweeps found, so that items
   * unchanged since (size, modification time, ETag) are not read again.
   * Off unless given; the CLI uses `.straymap/sweep-cache.json` next to the store.
   */
  cacheFile?: string;
  /** Opt-in (scan): sources that can ask their provider's search read only its candidates (`scan --fast`). */
  narrow?: boolean;
}

export interface ScanRequest extends RunRequest {
  customer: CustomerQuery;
}

function resolveConfig(config: Config | string | undefined): Config {
  return typeof config === "object" ? config : loadConfig(config);
}

function pickSources(req: RunRequest, config: Config): Source[] {
  if (req.paths?.length) {
    // "-" is standard input, as in most command-line tools.
    return req.paths.map((p) => (p === "-" ? new StdinSource("fs") : new FsSource("fs", { hidden: false, followSymlinks: false, ...req.fs, path: p }, process.cwd())));
  }
  const wanted = req.sources?.length ? req.sources : config.sourceIds;
  for (const id of wanted) {
    if (!config.sourceIds.includes(id)) {
      throw new ConfigError(`--source ${id}: no such source in ${config.file} (configured: ${config.sourceIds.join(", ") || "none"})`);
    }
  }
  const picked = config.sources.filter((s) => wanted.includes(s.id));
  // A source whose environment variables are missing is a configuration error when it is asked to run.
  for (const s of picked) if (s instanceof UnresolvedSource) throw new ConfigError(s.problem);
  if (picked.length === 0) throw new ConfigError("nothing to search: give one or more PATHs, or configure sources: in straymap.yaml");
  return picked;
}

function engineFor(job: Job, req: RunRequest, config: Config): Engine {
  const map = config.map ? DataMap.load(config.map) : undefined;
  return new Engine(job, {
    cache: job.incremental && req.cacheFile ? SweepCache.load(req.cacheFile) : undefined,
    limits: { ...config.limits, ...req.limits },
    showValues: req.showValues,
    tmpDir: req.tmpDir,
    signal: req.signal,
    narrow: req.narrow,
    systemFor: map ? (source, loc) => map.systemFor(source, loc) : undefined,
  });
}

function rulesFor(config: Config) {
  try {
    return loadRules(config.rules, { phoneRegion: config.phoneRegion });
  } catch (e) {
    throw new ConfigError(`${config.file ?? "straymap.yaml"}: ${(e as Error).message}`);
  }
}

/**
 * Find one customer everywhere: yields a `finding` event per location and a
 * `coverage` event per item (scanned, skipped with a reason, or failed).
 */
export function scan(req: ScanRequest): AsyncIterable<ScanEvent> {
  const config = resolveConfig(req.config);
  const query = { ...req.customer, defaultRegion: req.customer.defaultRegion ?? config.phoneRegion };
  const matcher = new CustomerMatcher(query);
  const sources = pickSources(req, config);
  // Her identifiers masked wherever they stand: file names, CSV headers, JSON keys, errors.
  return maskEvents(engineFor(new ScanJob(matcher, query), req, config).run(sources), [matcher], req.showValues);
}

/** Find columns that hold personal data in tabular files: one `pii-column` finding per column and type. */
export function sweep(req: RunRequest): AsyncIterable<ScanEvent> {
  const config = resolveConfig(req.config);
  const rules = rulesFor(config);
  const sources = pickSources(req, config);
  return engineFor(new SweepJob(rules), req, config).run(sources);
}

/**
 * After a restore: look for the customers of closed requests, by the keyed
 * hashes the store kept, in the given sources or paths. Findings say which
 * request (`request`) a match belongs to.
 */
export function restoreCheck(req: RunRequest & { store: Store }): AsyncIterable<ScanEvent> {
  const config = resolveConfig(req.config);
  const known = new Map<string, { request: string; kind: string }>();
  for (const h of req.store.requests.hashes(["closed"])) known.set(h.hash, { request: h.request, kind: h.kind });
  if (known.size === 0) throw new ConfigError("no closed request: restore-check looks for the customers of closed requests");
  const matcher = new HashedMatcher(known, (kind, value) => req.store.hash(kind, value));
  return maskEvents(engineFor(new HashJob(matcher), req, config).run(pickSources(req, config)), [matcher], req.showValues);
}


/** Gather a run's events into the `--format json` shape. */
export async function collect(events: AsyncIterable<ScanEvent>): Promise<RunResult> {
  const findings: Finding[] = [];
  const items: CoverageEntry[] = [];
  const warnings: string[] = [];
  for await (const e of events) {
    if (e.type === "finding") findings.push(e.finding);
    else if (e.type === "coverage") items.push(e.entry);
    else if (e.type === "warning") warnings.push(`${e.source}: ${e.message}`);
  }
  return { findings, coverage: { summary: summarize(items), items }, warnings };
}
