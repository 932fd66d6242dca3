import pg from "pg";
import { classifyColumn, withArticle, type ColumnVerdict } from "../../src/match/columns.js";
import { redactValue } from "../../src/match/redact.js";
import type { RuleSet } from "../../src/match/rules.js";
import type { PgColumn, PgRelation } from "./catalog.js";
import type { PgSession } from "./session.js";

const q = (name: string) => pg.escapeIdentifier(name);

export interface ColumnStats {
  /** Most common values and histogram bounds from pg_stats: real values, read without touching the table. */
  values: string[];
}

/**
 * pg_stats for every column the session may read, in one statement: schema.table → column → values.
 * For array columns the values are the most common elements (an email inside a text[]), not whole arrays.
 */
export async function readStats(session: PgSession): Promise<Map<string, Map<string, ColumnStats>>> {
  const rows = await session.query<{ t: string; column: string; mcv: string[] | null; hist: string[] | null; elems: string[] | null }>(
    `SELECT schemaname || '.' || tablename AS t, attname AS column,
            CASE WHEN most_common_elems IS NULL THEN most_common_vals::text::text[] END AS mcv,
            CASE WHEN most_common_elems IS NULL THEN histogram_bounds::text::text[] END AS hist,
            most_common_elems::text::text[] AS elems
       FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  const stats = new Map<string, Map<string, ColumnStats>>();
  for (const r of rows) {
    const table = stats.get(r.t) ?? new Map<string, ColumnStats>();
    stats.set(r.t, table);
    table.set(r.column, { values: [...(r.mcv ?? []), ...(r.hist ?? []), ...(r.elems ?? [])] });
  }
  return stats;
}

/** The strings inside a JSON array (of any depth): the elements of an array column. */
function arrayElements(json: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && v !== undefined) out.push(String(v));
  };
  walk(JSON.parse(json));
  return out;
}

const readsAsText = (c: PgColumn) => c.category === "S";

export interface SweptColumn {
  column: string;
  verdict: ColumnVerdict;
  /** Where the values came from. */
  source: "statistics" | "sample" | "header";
  evidence: string;
}

/**
 * Classify a table's columns: names first, then the values PostgreSQL keeps
 * in pg_stats, and only for columns still undecided a sample of rows
 * (TABLESAMPLE SYSTEM on big tables reads a few pages, not the table).
 */
export async function sweepRelation(
  session: PgSession,
  rel: PgRelation,
  stats: Map<string, ColumnStats> | undefined,
  rules: RuleSet,
  showValues: boolean,
): Promise<{ columns: SweptColumn[]; sampled: number; method: string }> {
  const fromStats = new Map<string, string[]>();
  const needSample: PgColumn[] = [];
  const minSamples = Math.max(...rules.rules.map((r) => r.minSamples), 1);
  for (const c of rel.columns) {
    if (!readsAsText(c)) continue;
    const values = stats?.get(c.name)?.values ?? [];
    if (values.length >= minSamples) fromStats.set(c.name, values.slice(0, rules.sampleSize));
    else needSample.push(c);
  }
  const sampled = new Map<string, string[]>();
  let rows = 0;
  if (needSample.length) {
    const n = rules.sampleSize;
    // TABLESAMPLE SYSTEM picks whole pages: ask for a few times the rows needed, then LIMIT.
    const percent = Math.min(100, Math.max(0.01, ((n * 5) / Math.max(rel.estimatedRows, 1)) * 100));
    const sample = rel.estimatedRows > n * 10 ? ` TABLESAMPLE SYSTEM (${percent.toFixed(4)})` : "";
    // Arrays are read as JSON so that each element is a value of its own.
    const cols = needSample.map((c) => (c.isArray ? `array_to_json(${q(c.name)})::text AS ${q(c.name)}` : `${q(c.name)}::text AS ${q(c.name)}`)).join(", ");
    for await (const batch of session.stream<Record<string, string | null>>(`SELECT ${cols} FROM ${q(rel.schema)}.${q(rel.name)}${sample} LIMIT ${n}`)) {
      rows += batch.length;
      for (const row of batch) {
        for (const c of needSample) {
          const v = row[c.name];
          if (v === null || v === undefined) continue;
          const list = sampled.get(c.name) ?? [];
          if (c.isArray) list.push(...arrayElements(v));
          else list.push(v);
          sampled.set(c.name, list);
        }
      }
    }
  }
  const columns: SweptColumn[] = [];
  for (const c of rel.columns) {
    const values = fromStats.get(c.name) ?? sampled.get(c.name) ?? [];
    const source = fromStats.has(c.name) ? "statistics" : readsAsText(c) ? "sample" : "header";
    for (const verdict of classifyColumn(rules, c.name, values)) {
      const examples = verdict.examples.map((e) => (showValues ? e : redactValue(e, verdict.piiType)));
      const where = source === "statistics" ? "pg_stats" : source === "sample" ? `${rows} sampled rows` : `a ${c.type} column`;
      const why =
        verdict.reason === "values"
          ? `${verdict.sample.valid}/${verdict.sample.size} values from ${where} are ${verdict.piiType}`
          : verdict.reason === "embedded in free text"
            ? `embedded in free text: ${verdict.sample.valid}/${verdict.sample.size} texts from ${where} contain ${withArticle(verdict.piiType)}`
            : verdict.reason === "header"
              ? `column name "${c.name}" names ${verdict.piiType}`
              : `column name "${c.name}" and ${verdict.sample.valid}/${verdict.sample.size} values from ${where}`;
      const elements = c.isArray && verdict.reason !== "header" ? " (array elements)" : "";
      columns.push({ column: c.name, verdict, source, evidence: why + elements + (verdict.detail ? `; ${verdict.detail}` : "") + (examples.length ? `, e.g. ${examples.join(", ")}` : "") });
    }
  }
  const method = needSample.length
    ? `catalog, pg_stats, and ${rel.estimatedRows > rules.sampleSize * 10 ? "a TABLESAMPLE SYSTEM" : "a LIMIT"} sample of ${rows} rows`
    : "catalog and pg_stats (no rows read)";
  return { columns, sampled: rows, method };
}
