import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import bytes from "bytes";
import type { z } from "zod";
import { SCANNERS } from "../../scanners/registry.js";
import { memo, yaml, zod } from "../lazy.js";
import { DEFAULT_LIMITS, type Limits } from "../limits.js";
import type { Source } from "../engine/scanner.js";
import { ruleSchema, type RuleSpec } from "../match/rules.js";
import { ConfigError } from "../errors.js";
import { didYouMean, explainIssues } from "./explain.js";

export { ConfigError };

/** The config schema, built on first use: commands given only PATHs never load the validator. */
const schemas = memo(() => {
  const z = zod();
  const size = z.unknown().transform((v, ctx) => {
    const n = typeof v === "number" ? v : typeof v === "string" ? bytes.parse(v) : null;
    if (typeof n === "number" && Number.isInteger(n) && n > 0) return n;
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a size (use a number of bytes, or e.g. 500MB, 2GB)` });
    return z.NEVER;
  });
  const limits = z
    .object({
      maxFileSize: size,
      maxExpandedBytes: size,
      maxRatio: z.number().positive(),
      maxDepth: z.number().int().min(0),
      maxEntries: z.number().int().positive(),
      maxMessageBytes: size,
      maxNesting: z.number().int().positive(),
      concurrency: z.number().int().min(1).max(64),
      maxFindingsPerColumn: z.number().int().positive(),
    })
    .partial()
    .strict();
  const sourceBase = z.object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' or '-'"),
    kind: z.string(),
  });
  const config = z
    .object({
      sources: z.array(z.record(z.string(), z.unknown())).default([]),
      map: z.string().optional(),
      store: z.string().default(DEFAULT_STORE),
      limits: limits.default({}),
      rules: z.array(ruleSchema()).default([]),
      phoneRegion: z.string().regex(/^[A-Za-z]{2}$/, "use a two-letter region code such as US, GB, FR").default("US"),
      // Requests: the controller named on reports, and the time zone reports are written in.
      organisation: z.object({ name: z.string().min(1), contact: z.string().optional(), dpo: z.string().optional() }).strict().optional(),
      timezone: z.string().refine(validTimeZone, "use an IANA time zone such as Europe/Paris or America/New_York").optional(),
    })
    .strict();
  return { config, sourceBase };
});

const DEFAULT_STORE = ".straymap/straymap.db";

export interface Config {
  file?: string;
  dir: string;
  sources: Source[];
  sourceIds: string[];
  map?: string;
  store: string;
  limits: Limits;
  rules: RuleSpec[];
  phoneRegion: string;
  organisation?: { name: string; contact?: string; dpo?: string };
  timezone?: string;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?)$/i;

/**
 * Replace ${VAR} with the environment's value; refuse literal secrets. A variable
 * that is not set throws, or, with `missing`, is noted there and left as written.
 */
function interpolate(value: unknown, path: string, file: string, missing?: string[]): unknown {
  if (typeof value === "string") {
    const key = path.split(".").pop() ?? "";
    if (SECRET_KEY.test(key) && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value.trim())) {
      throw new ConfigError(`${file}: ${path}: secrets must not be written in the config; use an environment variable, e.g. ${key}: \${${key.toUpperCase()}}`);
    }
    const inUrl = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^@\s]+)@/i.exec(value.trim());
    if (inUrl && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(inUrl[1])) {
      throw new ConfigError(`${file}: ${path}: the URL has a password in it; use an environment variable for the whole URL (${key}: \${DATABASE_URL}) or for the password`);
    }
    // A password in the query string (postgres://host/db?password=…) is as much a secret as user:password@.
    const inQuery = /^[a-z][a-z0-9+.-]*:\/\/[^?#\s]*\?(?:[^#\s]*&)?(password|passwd|pwd|sslpassword)=([^&#\s]*)/i.exec(value.trim());
    if (inQuery && inQuery[2] !== "" && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(inQuery[2])) {
      throw new ConfigError(`${file}: ${path}: the URL has a password in its query string (${inQuery[1]}=); use an environment variable for the whole URL (${key}: \${DATABASE_URL}) or for the password`);
    }
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = process.env[name];
      if (v !== undefined) return v;
      const message = `${file}: ${path}: environment variable ${name} is not set`;
      if (!missing) throw new ConfigError(message);
      missing.push(message);
      return _m;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, `${path}[${i}]`, file, missing));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, path ? `${path}.${k}` : k, file, missing)]));
  }
  return value;
}

/** Validate a parsed config object; `file` names it in messages. */
export function buildConfig(raw: unknown, file: string, dir: string): Config {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(`${file}: expected a mapping with sources:, map:, limits:, rules:`);
  if (Object.keys(raw as object).length === 0) {
    // Nothing to validate: PATH arguments without a config file.
    return { file, dir, sources: [], sourceIds: [], store: resolve(dir, DEFAULT_STORE), limits: { ...DEFAULT_LIMITS }, rules: [], phoneRegion: "US" };
  }
  const { config: configSchema, sourceBase } = schemas();
  // Every problem is listed at once, each with its key, so one edit fixes them all.
  const problems: string[] = [];
  // Sources' secrets are resolved per source: a variable a source needs is only required when it runs.
  const { sources: rawSources, ...rest } = raw as { sources?: unknown };
  const parsed = configSchema.safeParse({ ...(interpolate(rest, "", file) as object), sources: rawSources ?? [] });
  if (!parsed.success) problems.push(...explainIssues(file, "", parsed.error, configSchema));
  const cfg = parsed.success ? parsed.data : undefined;
  const seen = new Set<string>();
  const sources: Source[] = [];
  for (const [i, s] of (Array.isArray(rawSources) ? rawSources : []).entries()) {
    const where = `sources[${i}]`;
    if (!s || typeof s !== "object" || Array.isArray(s)) continue; // reported above
    const base = sourceBase.safeParse(s);
    if (!base.success) {
      problems.push(...explainIssues(file, where, base.error, sourceBase));
      continue;
    }
    const { id, kind } = s as { id: string; kind: string };
    if (seen.has(id)) problems.push(`${file}: ${where}.id: "${id}" is used by another source`);
    seen.add(id);
    const scanner = SCANNERS[kind];
    if (!scanner) {
      const near = didYouMean(kind, Object.keys(SCANNERS));
      problems.push(`${file}: ${where}.kind: unknown kind "${kind}" (${near ? `did you mean ${near}? ` : ""}known: ${Object.keys(SCANNERS).join(", ")})`);
      continue;
    }
    try {
      const missing: string[] = [];
      const { id: _id, kind: _kind, ...settings } = interpolate(s, where, file, missing) as Record<string, unknown>;
      if (missing.length) {
        sources.push(new UnresolvedSource(id, kind, missing.join("\n")));
        continue;
      }
      const schema = scanner.settings();
      const checked = schema.safeParse(settings);
      if (!checked.success) {
        problems.push(...explainIssues(file, where, checked.error, schema));
        continue;
      }
      sources.push(scanner.create(id, checked.data, { configDir: dir }));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length || !cfg) throw new ConfigError(problems.join("\n"));
  return {
    file,
    dir,
    sources,
    sourceIds: sources.map((s) => s.id),
    map: cfg.map ? resolve(dir, cfg.map) : undefined,
    store: resolve(dir, cfg.store),
    limits: { ...DEFAULT_LIMITS, ...(cfg.limits as Partial<Limits>) },
    rules: cfg.rules,
    phoneRegion: cfg.phoneRegion.toUpperCase(),
    organisation: cfg.organisation,
    timezone: cfg.timezone,
  };
}

/**
 * A configured source whose settings name environment variables that are not set.
 * Commands that do not run it work as usual; running it is a configuration error.
 */
export class UnresolvedSource implements Source {
  constructor(
    readonly id: string,
    readonly kind: string,
    readonly problem: string,
  ) {}

  open(): Promise<never> {
    return Promise.reject(new ConfigError(this.problem));
  }
}

/**
 * Load straymap.yaml from `path`, or from the working directory when no
 * path is given. Without a file, an empty config (PATH arguments still work).
 */
export function loadConfig(path?: string): Config {
  const file = path ? resolve(path) : resolve("straymap.yaml");
  if (!existsSync(file)) {
    if (path) throw new ConfigError(`${path}: no such config file`);
    return buildConfig({}, "straymap.yaml", process.cwd());
  }
  let raw: unknown;
  try {
    raw = yaml().parse(readFileSync(file, "utf8"));
  } catch (e) {
    if (e instanceof yaml().YAMLParseError) throw new ConfigError(`${file}: not valid YAML: ${e.message.split("\n")[0]}`);
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  return buildConfig(raw, file, dirname(file));
}
