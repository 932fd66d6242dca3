import type { z } from "zod";

/**
 * Validation problems in plain words, all at once, each naming its key:
 * `straymap.yaml: limits.maxRaito: unknown key (did you mean maxRatio?)`.
 */

/** Edit distance (insert, delete, replace, swap two neighbours), for "did you mean". */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known name closest to `given`, when it is close enough to be a typo (or differs only in case). */
export function didYouMean(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = k.toLowerCase() === given.toLowerCase() ? 0 : distance(given.toLowerCase(), k.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  // Short names allow one slip (fss → fs, pth → path), longer ones a few (maxRaito → maxRatio).
  const allowed = given.length <= 4 ? 1 : Math.min(3, Math.floor(given.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The keys an object schema allows at `path` (through defaults, optionals, lists and records). */
export function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let def = defOf(schema);
  const unwrap = () => {
    while (def.innerType || def.in) def = defOf((def.innerType ?? def.in)!);
  };
  unwrap();
  for (const p of path) {
    if (def.type === "object" && typeof p === "string" && def.shape?.[p]) def = defOf(def.shape[p]);
    else if (def.type === "array" && typeof p === "number" && def.element) def = defOf(def.element);
    else if (def.type === "record" && def.valueType) def = defOf(def.valueType);
    else return [];
    unwrap();
  }
  if (def.type === "union") return (def.options ?? []).flatMap((o) => keysAt(o, []));
  return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

const KINDS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
  null: "nothing",
  undefined: "nothing",
};
const kind = (k: string) => KINDS[k] ?? k;

function plain(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case "invalid_type": {
      const received = /received (\w+)/.exec(i.message)?.[1];
      if (received === "undefined") return `required, and missing (${kind(i.expected)})`;
      return `expected ${kind(i.expected)}${received ? `, not ${kind(received)}` : ""}`;
    }
    case "too_small":
      if (i.origin === "string") return Number(i.minimum) <= 1 ? "must not be empty" : `must be at least ${i.minimum} characters`;
      if (i.origin === "array") return `needs at least ${i.minimum} entr${Number(i.minimum) === 1 ? "y" : "ies"}`;
      return `must be ${i.inclusive ? "at least" : "more than"} ${i.minimum}`;
    case "too_big":
      if (i.origin === "string") return `must be at most ${i.maximum} characters`;
      if (i.origin === "array") return `takes at most ${i.maximum} entries`;
      return `must be ${i.inclusive ? "at most" : "less than"} ${i.maximum}`;
    case "invalid_value":
      return `must be ${i.values.length === 1 ? JSON.stringify(i.values[0]) : `one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}`}`;
    case "invalid_format":
      return i.message.startsWith("Invalid") ? `has the wrong form${i.format === "regex" ? "" : ` (expected ${i.format})`}` : i.message;
    case "invalid_union":
      return "is none of the forms this key takes";
    case "not_multiple_of":
      return `must be a multiple of ${i.divisor}`;
    default:
      return i.message;
  }
}

function keyPath(prefix: string, path: PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), prefix);
}

/** One line per problem, `file: key: what is wrong`, unknown keys with the nearest known one. */
export function explainIssues(file: string, prefix: string, error: z.ZodError, schema: z.ZodType): string[] {
  const lines: string[] = [];
  for (const i of error.issues) {
    if (i.code === "unrecognized_keys") {
      const known = keysAt(schema, i.path);
      for (const key of i.keys) {
        const near = didYouMean(key, known);
        const where = keyPath(prefix, [...i.path, key]);
        lines.push(`${file}: ${where}: unknown key${near ? ` (did you mean ${near}?)` : known.length ? ` (known here: ${known.join(", ")})` : ""}`);
      }
      continue;
    }
    lines.push(`${file}: ${keyPath(prefix, i.path) || "(top level)"}: ${plain(i)}`);
  }
  return lines;
}
