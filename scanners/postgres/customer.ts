import pg from "pg";
import type { CustomerHit, CustomerMatcher } from "../../src/match/customer.js";
import type { IdentifierKind, MatchVariant } from "../../src/types.js";
import { snippet } from "../../src/match/redact.js";
import { ndjsonLineUnits } from "../../src/readers/json.js";
import type { PgColumn, PgRelation } from "./catalog.js";
import type { PgSession } from "./session.js";

const q = (name: string) => pg.escapeIdentifier(name);

/** A row key: primary key values, or the physical row id when there is no primary key. */
export type RowKey = Record<string, unknown>;

interface Candidate {
  column: PgColumn;
  /** SQL that reads the column as text for the precise matcher. */
  read: string;
  json: boolean;
}

export interface TableSearch {
  sql: string;
  params: unknown[];
  candidates: Candidate[];
  keyColumns: string[];
  /** How the table is searched, for coverage. */
  method: string;
}

/** SQL that selects a relation's row key: the primary key, or ctid (with the partition for partitioned tables). */
export function keySelect(rel: PgRelation, alias = ""): { sql: string; columns: string[] } {
  const a = alias ? `${alias}.` : "";
  if (rel.primaryKey.length) return { sql: rel.primaryKey.map((c) => `${a}${q(c)} AS ${q(c)}`).join(", "), columns: rel.primaryKey };
  if (rel.kind === "p") return { sql: `${a}tableoid::regclass::text AS "partition", ${a}ctid::text AS "ctid"`, columns: ["partition", "ctid"] };
  return { sql: `${a}ctid::text AS "ctid"`, columns: ["ctid"] };
}

const LIKE_SPECIAL = /[\\%_]/g;
const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const isInteger = (s: string) => /^-?\d{1,18}$/.test(s);
const looksLikeEmailColumn = (name: string) => /mail|courriel|correo/i.test(name);

/**
 * One query per table whose WHERE covers every candidate column, so the
 * table is read at most once: substring search (ILIKE) for text, JSON and
 * text arrays, a digit pattern for phones, equality for integer and uuid IDs.
 * When the only candidates are email columns with a case-insensitive index
 * (lower(col) or citext) and integer/uuid columns, equality lets the planner
 * use the indexes instead; the coverage says so.
 */
export function planTableSearch(rel: PgRelation, matcher: CustomerMatcher, ids: string[], emails: string[], bytea: boolean): TableSearch | undefined {
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const patterns = matcher.literals.map((l) => `%${l.replace(LIKE_SPECIAL, "\\$&")}%`);
  const phone = matcher.phonePattern;
  const numericIds = ids.filter(isInteger);
  const uuidIds = ids.filter(isUuid);

  const substring: { column: PgColumn; text: string; json: boolean }[] = [];
  const exact: { column: PgColumn; where: string }[] = [];
  for (const column of rel.columns) {
    const c = q(column.name);
    if (column.category === "S" && !column.isArray) substring.push({ column, text: c, json: false });
    else if (column.base === "json" || column.base === "jsonb") substring.push({ column, text: `${c}::text`, json: !column.isArray });
    else if (column.category === "S" && column.isArray) substring.push({ column, text: `${c}::text`, json: false });
    else if (column.base === "bytea" && bytea && !column.isArray) substring.push({ column, text: `encode(${c}, 'escape')`, json: false });
    else if (column.category === "N" && !column.isArray && numericIds.length && /^(int2|int4|int8|numeric)$/.test(column.base)) {
      exact.push({ column, where: `${c} = ANY(${param(numericIds)}::numeric[])` });
    } else if (column.base === "uuid" && !column.isArray && uuidIds.length) {
      exact.push({ column, where: `${c} = ANY(${param(uuidIds)}::uuid[])` });
    }
  }
  if (substring.length === 0 && exact.length === 0) return undefined;

  // The index path: every text candidate is an indexed email column, and there is an address to look for.
  const indexable = emails.length > 0 && substring.length > 0 && substring.every((s) => !s.json && looksLikeEmailColumn(s.column.name) && rel.caseInsensitiveIndexes.has(s.column.name));
  const conditions: string[] = [...exact.map((e) => e.where)];
  let method: string;
  if (indexable) {
    const lowered = param(emails.map((e) => e.trim().toLowerCase()));
    for (const s of substring) {
      conditions.push(s.column.base === "citext" ? `${q(s.column.name)} = ANY(${lowered}::citext[])` : `lower(${q(s.column.name)}) = ANY(${lowered})`);
    }
    method = `one query, by index on ${substring.map((s) => s.column.name).join(", ")} (the exact address in any case; plus-tagged or encoded forms in these columns are not searched)`;
  } else {
    const like = patterns.length ? param(patterns) : undefined;
    const regex = phone ? param(phone) : undefined;
    for (const s of substring) {
      if (like) conditions.push(`${s.text} ILIKE ANY(${like})`);
      if (regex) conditions.push(`${s.text} ~ ${regex}`);
    }
    method = `one query over ${substring.length + exact.length} candidate column${substring.length + exact.length === 1 ? "" : "s"}`;
  }
  const key = keySelect(rel);
  const reads: Candidate[] = [
    ...substring.map((s) => ({ column: s.column, read: s.text, json: s.json })),
    ...exact.map((e) => ({ column: e.column, read: `${q(e.column.name)}::text`, json: false })),
  ];
  const select = [key.sql, ...reads.map((r, i) => `${r.read} AS "c${i}"`)].join(", ");
  return {
    sql: `SELECT ${select} FROM ${q(rel.schema)}.${q(rel.name)} WHERE ${conditions.join(" OR ")}`,
    params,
    candidates: reads,
    keyColumns: key.columns,
    method,
  };
}

export interface ColumnMatch {
  /** restore-check: the closed request whose customer this is. */
  request?: string;
  column: string;
  identifier: IdentifierKind;
  variant: MatchVariant;
  confidence: number;
  jsonPath?: string;
  count: number;
  keys: RowKey[];
  evidence: string;
}

/** Cap on row keys kept per finding; counts stay exact. */
export const MAX_KEYS = 1000;

/** Every row of a table, its text, JSON and array columns read as text: for restore-check, which has nothing to filter on. */
export function planFullRead(rel: PgRelation): TableSearch | undefined {
  const reads: Candidate[] = rel.columns
    .filter((c) => c.category === "S" || c.base === "json" || c.base === "jsonb")
    .map((c) => ({ column: c, read: c.category === "S" && !c.isArray ? q(c.name) : `${q(c.name)}::text`, json: (c.base === "json" || c.base === "jsonb") && !c.isArray }));
  if (reads.length === 0) return undefined;
  const key = keySelect(rel);
  const select = [key.sql, ...reads.map((r, i) => `${r.read} AS "c${i}"`)].join(", ");
  return { sql: `SELECT ${select} FROM ${q(rel.schema)}.${q(rel.name)}`, params: [], candidates: reads, keyColumns: key.columns, method: `read every row of ${reads.length} text column${reads.length === 1 ? "" : "s"}, tokens hashed and compared` };
}

type Hit = CustomerHit & { request?: string };

/** Run a table's search, streaming rows, and check every candidate value precisely with the shared matcher. */
export async function searchTable(session: PgSession, plan: TableSearch, matcher: { find(text: string): Hit[] }, showValues: boolean, fullRead = false): Promise<ColumnMatch[]> {
  const found = new Map<string, ColumnMatch>();
  const add = (column: string, text: string, hit: Hit, key: RowKey, jsonPath?: string) => {
    const id = `${column}\u0000${jsonPath ?? ""}\u0000${hit.identifier}\u0000${hit.variant}\u0000${hit.request ?? ""}`;
    let m = found.get(id);
    if (!m) {
      m = { column, identifier: hit.identifier, variant: hit.variant, confidence: hit.confidence, jsonPath, count: 0, keys: [], evidence: snippet(text, hit.index, hit.length, hit.identifier, showValues), ...(hit.request ? { request: hit.request } : {}) };
      found.set(id, m);
    }
    m.count++;
    if (m.keys.length < MAX_KEYS) m.keys.push(key);
  };
  const rowsOf = fullRead ? session.stream<Record<string, unknown>>(plan.sql, plan.params) : session.search<Record<string, unknown>>(plan.sql, plan.params);
  for await (const rows of rowsOf) {
    for (const row of rows) {
      const key: RowKey = Object.fromEntries(plan.keyColumns.map((c) => [c, row[c]]));
      plan.candidates.forEach((cand, i) => {
        const value = row[`c${i}`];
        if (typeof value !== "string") return;
        if (cand.json) {
          for (const unit of ndjsonLineUnits(value, 0)) {
            if (unit.kind === "child" || unit.kind === "skip") continue;
            const seen = new Set<string>();
            for (const hit of matcher.find(unit.text)) {
              // One count per row, value and kind: a row is one place to delete.
              const tag = `${hit.identifier}/${hit.variant}`;
              if (seen.has(tag)) continue;
              seen.add(tag);
              add(cand.column.name, unit.text, hit, key, unit.loc.jsonPath);
            }
          }
        } else {
          const seen = new Set<string>();
          for (const hit of matcher.find(value)) {
            const tag = `${hit.identifier}/${hit.variant}`;
            if (seen.has(tag)) continue;
            seen.add(tag);
            add(cand.column.name, value, hit, key);
          }
        }
      });
    }
  }
  return [...found.values()];
}
