import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RE2JS as RE2JSClass } from "re2js";
import { ConfigError } from "../errors.js";
import { lazy, memo, yaml, zod } from "../lazy.js";

// RE2 loads with the first user pattern (its CommonJS build, through require).
const re2js = lazy<{ RE2JS: typeof RE2JSClass }>("re2js");
import { DESCRIBERS, FINDERS, VALIDATORS } from "./validators.js";

/** The folder of built-in rules at the package root, found from src/match/ and dist/src/match/ alike. */
export const RULES_DIR = ["../../rules/", "../../../rules/"]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(`${dir}pii.yaml`)) ?? fileURLToPath(new URL("../../rules/", import.meta.url));

/** A PII rule as written in rules/pii.yaml or under rules: in the config. */
type Phrases = string[] | Record<string, string[]>;

export interface RuleSpec {
  id: string;
  piiType?: string;
  headers?: Phrases;
  /** Headers that name this type only when enough sampled values agree (`name` in a genre table does not). */
  confirmHeaders?: Phrases;
  /** Share of values that must agree with a confirm header (default 0.5). */
  confirmRatio?: number;
  headerExclude?: string[];
  /** In the config: phrases added to a built-in rule's headers, confirm headers or excluded words, rather than replacing them. */
  addHeaders?: Phrases;
  addConfirmHeaders?: Phrases;
  addHeaderExclude?: string[];
  values?: { pattern?: string; validator?: string; alone?: string; strict?: boolean; find?: string };
  minRatio?: number;
  minSamples?: number;
  disabled?: boolean;
}

/** The rule schema, built on first use (see lazy.ts). */
export const ruleSchema = memo(() => {
  const z = zod();
  const phrases = z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))]).optional();
  return z
    .object({
      id: z.string().min(1),
      piiType: z.string().min(1).optional(),
      headers: phrases,
      confirmHeaders: phrases,
      confirmRatio: z.number().min(0).max(1).optional(),
      headerExclude: z.array(z.string()).optional(),
      addHeaders: phrases,
      addConfirmHeaders: phrases,
      addHeaderExclude: z.array(z.string()).optional(),
      values: z
        .object({
          pattern: z.string().optional(),
          validator: z.enum(Object.keys(VALIDATORS) as [string, ...string[]]).optional(),
          alone: z.string().optional(),
          strict: z.boolean().optional(),
          find: z.enum(Object.keys(FINDERS) as [string, ...string[]]).optional(),
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
  /** Header phrases that need sampled values to agree (at least `confirmRatio` of them). */
  confirmPhrases: string[][];
  confirmRatio: number;
  exclude: Set<string>;
  pattern?: ValuePattern;
  validator?: (v: string) => boolean;
  /** What validated values have in common, for the evidence (card brands). */
  describe?: (values: string[]) => string | undefined;
  /** Free-text rule: the validated entities inside a value (emails in a ticket body). */
  find?: (text: string) => string[];
  alone?: ValuePattern;
  /** Values that fail the validator overrule a matching header (not only values of the wrong shape). */
  strict: boolean;
  minRatio: number;
  minSamples: number;
}

export interface RuleSet {
  sampleSize: number;
  /** The default least number of values for values to decide a column (a rule may ask for more). */
  minSamples: number;
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

const flat = (p: Phrases | undefined): string[] => (Array.isArray(p) ? p : Object.values(p ?? {}).flat());
const toPhrases = (list: string[]) => list.map(headerWords).filter((w) => w.length > 0);

function compile(spec: RuleSpec, defaults: { minSamples: number; minRatio: number }, where: string, phoneRegion: string, user?: RuleSpec["values"]): CompiledRule {
  const check = spec.values?.validator ? VALIDATORS[spec.values.validator] : undefined;
  const finder = spec.values?.find ? FINDERS[spec.values.find] : undefined;
  return {
    id: spec.id,
    piiType: spec.piiType ?? spec.id,
    phrases: toPhrases([...flat(spec.headers), ...flat(spec.addHeaders)]),
    confirmPhrases: toPhrases([...flat(spec.confirmHeaders), ...flat(spec.addConfirmHeaders)]),
    confirmRatio: spec.confirmRatio ?? 0.5,
    exclude: new Set([...(spec.headerExclude ?? []), ...(spec.addHeaderExclude ?? [])].flatMap(headerWords)),
    pattern: spec.values?.pattern ? compilePattern(spec.values.pattern, `${where}.values.pattern`, user?.pattern !== undefined) : undefined,
    validator: check ? (v: string) => check(v, { phoneRegion }) : undefined,
    describe: spec.values?.validator ? DESCRIBERS[spec.values.validator] : undefined,
    find: finder ? (t: string) => finder(t, { phoneRegion }) : undefined,
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
    if (!base) {
      specs.set(r.id, r);
      continue;
    }
    // add… fields extend the built-in lists; the others replace what they name.
    const merged: RuleSpec = { ...base, ...r, values: r.values ? { ...base.values, ...r.values } : base.values };
    merged.addHeaders = [...flat(base.addHeaders), ...flat(r.addHeaders)];
    merged.addConfirmHeaders = [...flat(base.addConfirmHeaders), ...flat(r.addConfirmHeaders)];
    merged.addHeaderExclude = [...(base.addHeaderExclude ?? []), ...(r.addHeaderExclude ?? [])];
    specs.set(r.id, merged);
  }
  // Which patterns the user wrote: those run on RE2.
  const userValues = new Map(userRules.map((r) => [r.id, r.values]));
  const rules = [...specs.values()]
    .filter((r) => !r.disabled)
    .map((r) => {
      const at = userRules.findIndex((u) => u.id === r.id);
      return compile(r, parsed.defaults, at >= 0 ? `rules[${at}] (${r.id})` : `built-in rule ${r.id}`, options.phoneRegion ?? "US", userValues.get(r.id));
    });
  return { sampleSize: parsed.defaults.sampleSize, minSamples: parsed.defaults.minSamples, rules };
}
