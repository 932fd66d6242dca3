import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RE2JS as RE2JSClass } from "re2js";
import { ConfigError } from "../errors.js";
import { lazy, memo, yaml, zod } from "../lazy.js";

// RE2 loads with the first user pattern (its CommonJS build, through require).
const re2js = lazy<{ RE2JS: typeof RE2JSClass }>("re2js");
import { VALIDATORS } from "./validators.js";

/** The folder of built-in rules at the package root, found from src/match/ and dist/src/match/ alike. */
export const RULES_DIR = ["../../rules/", "../../../rules/"]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(`${dir}pii.yaml`)) ?? fileURLToPath(new URL("../../rules/", import.meta.url));

/** A PII rule as written in rules/pii.yaml or under rules: in the config. */
export interface RuleSpec {
  id: string;
  piiType?: string;
  headers?: string[] | Record<string, string[]>;
  headerExclude?: string[];
  values?: { pattern?: string; validator?: string; alone?: string; strict?: boolean };
  minRatio?: number;
  minSamples?: number;
  disabled?: boolean;
}

/** The rule schema, built on first use (see lazy.ts). */
export const ruleSchema = memo(() => {
  const z = zod();
  return z
    .object({
      id: z.string().min(1),
      piiType: z.string().min(1).optional(),
      headers: z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))]).optional(),
      headerExclude: z.array(z.string()).optional(),
      values: z
        .object({
          pattern: z.string().optional(),
          validator: z.enum(Object.keys(VALIDATORS) as [string, ...string[]]).optional(),
          alone: z.string().optional(),
          strict: z.boolean().optional(),
        })
        .strict()
        .optional(),
      minRatio: z.number().min(0).max(1).optional(),
      minSamples: z.number().int().min(1).optional(),
      disabled: z.boolean().optional(),
    })
    .strict();
});

const fileSchema = memo(() => {
  const z = zod();
  return z.object({
    defaults: z.object({ sampleSize: z.number().int().min(1), minSamples: z.number().int().min(1), minRatio: z.number().min(0).max(1) }),
    rules: z.array(ruleSchema()),
  });
});

export interface CompiledRule {
  id: string;
  piiType: string;
  /** Each header phrase as its normalised words. */
  phrases: string[][];
  exclude: Set<string>;
  pattern?: ValuePattern;
  validator?: (v: string) => boolean;
  alone?: ValuePattern;
  /** Values that fail the validator overrule a matching header (not only values of the wrong shape). */
  strict: boolean;
  minRatio: number;
  minSamples: number;
}

export interface RuleSet {
  sampleSize: number;
  rules: CompiledRule[];
}

/** Header words: accents dropped, lower case, split on separators, camelCase and letter/digit changes. */
export function headerWords(header: string): string[] {
  return header
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Za-z])(\d)|(\d)([A-Za-z])/g, "$1$3 $2$4")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A compiled value pattern: whether it occurs in a value (RegExp.test semantics). */
export interface ValuePattern {
  test(value: string): boolean;
  readonly source: string;
}

/**
 * Built-in patterns are reviewed and run on JavaScript's engine (they use
 * look-ahead). Patterns from the user's config run on RE2 semantics (re2js),
 * in time linear in the value: `^(a+)+$` cannot hang a sweep. A pattern RE2
 * cannot run (back-references, look-around) is refused, naming the rule.
 */
function compilePattern(source: string, where: string, fromUser: boolean): ValuePattern {
  if (fromUser) {
    try {
      const { RE2JS } = re2js();
      const re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
      return { test: (value) => re.test(value), source };
    } catch (e) {
      throw new ConfigError(`${where}: "${source}" cannot be used: ${(e as Error).message} (rule patterns run on RE2 syntax, in linear time: no back-references or look-around)`);
    }
  }
  try {
    return new RegExp(source, "iu");
  } catch (e) {
    throw new ConfigError(`${where}: invalid regular expression: ${(e as Error).message}`);
  }
}

function compile(spec: RuleSpec, defaults: { minSamples: number; minRatio: number }, where: string, phoneRegion: string, user?: RuleSpec["values"]): CompiledRule {
  const check = spec.values?.validator ? VALIDATORS[spec.values.validator] : undefined;
  const headers = Array.isArray(spec.headers) ? spec.headers : Object.values(spec.headers ?? {}).flat();
  return {
    id: spec.id,
    piiType: spec.piiType ?? spec.id,
    phrases: headers.map(headerWords).filter((w) => w.length > 0),
    exclude: new Set((spec.headerExclude ?? []).flatMap(headerWords)),
    pattern: spec.values?.pattern ? compilePattern(spec.values.pattern, `${where}.values.pattern`, user?.pattern !== undefined) : undefined,
    validator: check ? (v: string) => check(v, { phoneRegion }) : undefined,
    alone: spec.values?.alone ? compilePattern(spec.values.alone, `${where}.values.alone`, user?.alone !== undefined) : undefined,
    strict: spec.values?.strict ?? false,
    minRatio: spec.minRatio ?? defaults.minRatio,
    minSamples: spec.minSamples ?? defaults.minSamples,
  };
}

/**
 * The built-in rules merged with the user's: a user rule with a built-in id
 * changes that rule (fields given replace fields there), a new id adds one.
 */
export function loadRules(userRules: RuleSpec[] = [], options: { file?: string; phoneRegion?: string } = {}): RuleSet {
  const file = options.file ?? `${RULES_DIR}pii.yaml`;
  const parsed = fileSchema().parse(yaml().parse(readFileSync(file, "utf8"))) as { defaults: { sampleSize: number; minSamples: number; minRatio: number }; rules: RuleSpec[] };
  const specs = new Map(parsed.rules.map((r) => [r.id, r]));
  for (const r of userRules) {
    const base = specs.get(r.id);
    specs.set(r.id, base ? { ...base, ...r, values: r.values ? { ...base.values, ...r.values } : base.values } : r);
  }
  // Which patterns the user wrote: those run on RE2.
  const userValues = new Map(userRules.map((r) => [r.id, r.values]));
  const rules = [...specs.values()]
    .filter((r) => !r.disabled)
    .map((r) => {
      const at = userRules.findIndex((u) => u.id === r.id);
      return compile(r, parsed.defaults, at >= 0 ? `rules[${at}] (${r.id})` : `built-in rule ${r.id}`, options.phoneRegion ?? "US", userValues.get(r.id));
    });
  return { sampleSize: parsed.defaults.sampleSize, rules };
}
