import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfig, UnresolvedSource, type Config } from "../config/load.js";
import { ConfigError } from "../errors.js";
import { DEFAULT_LIMITS } from "../limits.js";
import type { Source } from "../engine/scanner.js";
import { loadRules } from "../match/rules.js";
import { SCANNERS } from "../../scanners/registry.js";
import { VERSION } from "../version.js";
import { EXIT } from "../report/exit-codes.js";

const out = (s: string) => process.stdout.write(`${s}\n`);

function rulesOf(config: Config) {
  try {
    return loadRules(config.rules, { phoneRegion: config.phoneRegion });
  } catch (e) {
    throw new ConfigError(`${config.file}: ${(e as Error).message}`);
  }
}

/** `straymap rules [-f json]`: the PII rules in force. */
export async function listRules(o: { config?: string; format: "table" | "json" }): Promise<void> {
  const set = rulesOf(loadConfig(o.config));
  if (o.format === "json") {
    const rules = set.rules.map((r) => ({
      id: r.id,
      piiType: r.piiType,
      headerPhrases: r.phrases.map((words) => words.join(" ")),
      pattern: (r.pattern as { source?: string } | undefined)?.source ?? null,
      validator: Boolean(r.validator),
      strict: r.strict,
      minRatio: r.minRatio,
      minSamples: r.minSamples,
    }));
    out(JSON.stringify({ straymapVersion: VERSION, sampleSize: set.sampleSize, rules }, null, 2));
    return;
  }
  for (const r of set.rules) {
    const values = [r.pattern ? "pattern" : "", r.validator ? "validator" : ""].filter(Boolean).join("+") || "header only";
    out(`${r.id.padEnd(14)} ${r.piiType.padEnd(14)} ${String(r.phrases.length).padStart(3)} header phrases, values: ${values}`);
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s (${what})`)), ms).unref())]);

/** Open a source and list its first item: what `check` does for local folders and `check --connect` for every source. */
async function probe(source: Source): Promise<{ ok: true; first?: string; reached?: string; untested?: boolean } | { ok: false; why: string; where?: string }> {
  const session = await source.open({ job: "scan", limits: DEFAULT_LIMITS });
  try {
    // A source that searches natively (SQL) has no items to list: it says what it reached.
    if (session.reach) {
      try {
        return { ok: true, reached: await session.reach() };
      } catch (e) {
        return { ok: false, why: (e as Error).message };
      }
    }
    if (!session.enumerate) return { ok: true, untested: true };
    for await (const e of session.enumerate({ limits: DEFAULT_LIMITS })) {
      if ("item" in e) return { ok: true, first: e.item.path };
      if (e.settled.status === "failed") {
        const where = e.settled.uri.startsWith("file:") ? fileURLToPath(e.settled.uri) : e.settled.uri;
        const error = e.settled.error ?? "cannot be read";
        return { ok: false, why: /\(ENOENT\)/.test(error) ? "does not exist" : error, where };
      }
      return { ok: true, first: `${e.settled.path} (${e.settled.status}: ${e.settled.reason ?? ""})` };
    }
    return { ok: true };
  } finally {
    await session.close();
  }
}

/**
 * `straymap check [--connect]`: the config is valid (every problem listed at once),
 * its rules compile, its data map exists, each folder it names exists; with
 * --connect, each source is opened and its first item listed.
 * Exit 0, 2 (the config is wrong), or 4 (--connect: a source could not be reached).
 */
export async function check(o: { config?: string; connect?: boolean }): Promise<number> {
  const config = loadConfig(o.config ?? "straymap.yaml");
  rulesOf(config);
  const problems: string[] = [];
  if (config.map && !existsSync(config.map)) problems.push(`${config.file}: map: ${config.map} does not exist (straymap init writes one)`);
  let unreachable = 0;
  const lines: string[] = [];
  for (const [i, s] of config.sources.entries()) {
    const label = `  ${s.id} (${s.kind}: ${SCANNERS[s.kind]?.description ?? s.kind})`;
    if (s instanceof UnresolvedSource) {
      lines.push(`${label}\n    not checked: ${s.problem.split("\n").map((l) => l.replace(`${config.file}: `, "")).join("; ")}`);
      if (o.connect) unreachable++;
      continue;
    }
    // Local folders are cheap to look at: always. Remote sources only when asked (--connect).
    if (s.kind !== "fs" && !o.connect) {
      lines.push(label);
      continue;
    }
    try {
      const r = await withTimeout(probe(s), 30_000, `opening ${s.id}`);
      if (r.ok && r.untested) lines.push(`${label}\n    settings valid; not connected (this kind connects only when it searches)`);
      else if (r.ok && r.reached) lines.push(`${label}\n    reachable: ${r.reached}`);
      else if (r.ok) lines.push(`${label}\n    ${o.connect ? "reachable" : "found"}${r.first ? `; first item: ${r.first}` : ""}`);
      else if (s.kind === "fs") problems.push(`${config.file}: sources[${i}].path (${s.id}): ${r.where}: ${r.why}`);
      else {
        unreachable++;
        lines.push(`${label}\n    cannot reach: ${r.where ? `${r.where}: ` : ""}${r.why}`);
      }
    } catch (e) {
      unreachable++;
      lines.push(`${label}\n    cannot reach: ${(e as Error).message.replace(/\s+/g, " ")}`);
    }
  }
  if (problems.length) {
    for (const p of problems) process.stderr.write(`straymap: ${p}\n`);
    return EXIT.USAGE;
  }
  out(`${config.file}: OK`);
  for (const l of lines) out(l);
  if (unreachable) {
    out(`${unreachable} source${unreachable === 1 ? "" : "s"} could not be reached.`);
    return EXIT.INCOMPLETE;
  }
  return 0;
}
