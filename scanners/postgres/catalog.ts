import type { PgSession } from "./session.js";

export interface PgColumn {
  name: string;
  /** format_type(): "text", "character varying(80)", "jsonb", "text[]", "integer"… */
  type: string;
  /** pg_type.typname of the column, or of its elements for arrays. */
  base: string;
  /** pg_type.typcategory: S string, N numeric, U user (uuid, json…), A array… */
  category: string;
  isArray: boolean;
}

export interface PgRelation {
  oid: number;
  schema: string;
  name: string;
  /** r table, p partitioned table, m materialized view, v view, f foreign table. */
  kind: string;
  /** The partitioned table this is a partition of, if any. */
  partitionOf?: string;
  estimatedRows: number;
  columns: PgColumn[];
  primaryKey: string[];
  /** Columns with a btree index usable for case-insensitive equality: `lower(col)`, or col itself for citext. */
  caseInsensitiveIndexes: Set<string>;
  /** For views: the relations the view reads. */
  viewOf: string[];
}

export interface PgForeignKey {
  name: string;
  /** schema.table of the referencing (child) table. */
  from: string;
  fromColumns: string[];
  /** schema.table of the referenced (parent) table. */
  to: string;
  toColumns: string[];
}

export const qualified = (r: { schema: string; name: string }) => `${r.schema}.${r.name}`;

const SYSTEM_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/** Everything the scanner needs to know before reading a row, in a handful of catalog queries. */
export async function readCatalog(session: PgSession): Promise<{ relations: PgRelation[]; foreignKeys: PgForeignKey[] }> {
  const rels = await session.query<{ oid: number; schema: string; name: string; kind: string; parent: string | null; reltuples: number }>(
    // reltuples is -1 until a table is first analysed: then guess from its size (about 100 bytes a row),
    // and for a partitioned table add up its partitions.
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind,
            CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(CASE WHEN p.reltuples >= 0 THEN p.reltuples ELSE pg_relation_size(p.oid) / 100.0 END), 0)
                                              FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid)
                 WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_relation_size(c.oid) / 100.0 END::float8 AS reltuples,
            (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
               JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1) AS parent
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f') AND ${SYSTEM_SCHEMAS}
      ORDER BY 2, 3`,
  );
  const cols = await session.query<{ oid: number; name: string; type: string; base: string; category: string; is_array: boolean }>(
    `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            coalesce(et.typname, t.typname) AS base, coalesce(et.typcategory, t.typcategory) AS category, et.oid IS NOT NULL AS is_array
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm', 'v', 'f') AND ${SYSTEM_SCHEMAS}
      ORDER BY a.attrelid, a.attnum`,
  );
  const keys = await session.query<{ oid: number; columns: string[] }>(
    `SELECT con.conrelid::int AS oid, array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_constraint con CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
      WHERE con.contype = 'p' GROUP BY con.conrelid`,
  );
  // Index expressions are compared as text: pg_get_indexdef(…, 1, true) is "lower(email)" or "email".
  const indexes = await session.query<{ oid: number; key: string; citext: boolean }>(
    `SELECT i.indrelid::int AS oid, pg_get_indexdef(i.indexrelid, 1, true) AS key,
            coalesce((SELECT t.typname = 'citext' FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                       WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0]), false) AS citext
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
      WHERE am.amname = 'btree' AND i.indpred IS NULL`,
  );
  const views = await session.query<{ oid: number; reads: string[] }>(
    `SELECT r.ev_class::int AS oid, array_agg(DISTINCT rn.nspname || '.' || rc.relname) AS reads
       FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class rc ON rc.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE rc.oid <> r.ev_class GROUP BY r.ev_class`,
  );
  const fks = await session.query<{ name: string; from: string; from_columns: string[]; to: string; to_columns: string[] }>(
    `SELECT con.conname AS name, fn.nspname || '.' || fc.relname AS from, tn.nspname || '.' || tc.relname AS to,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(n, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS from_columns,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(n, ord)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS to_columns
       FROM pg_constraint con
       JOIN pg_class fc ON fc.oid = con.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
       JOIN pg_class tc ON tc.oid = con.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE con.contype = 'f' AND con.conparentid = 0`,
  );

  const byOid = new Map<number, PgRelation>();
  for (const r of rels) {
    byOid.set(r.oid, {
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      partitionOf: r.parent ?? undefined,
      estimatedRows: Math.max(0, r.reltuples),
      columns: [],
      primaryKey: [],
      caseInsensitiveIndexes: new Set(),
      viewOf: [],
    });
  }
  for (const c of cols) byOid.get(c.oid)?.columns.push({ name: c.name, type: c.type, base: c.base, category: c.category, isArray: c.is_array });
  for (const k of keys) {
    const rel = byOid.get(k.oid);
    if (rel) rel.primaryKey = k.columns;
  }
  for (const ix of indexes) {
    const rel = byOid.get(ix.oid);
    if (!rel) continue;
    const lower = /^lower\(\(?"?([^")]+)"?\)?(::text)?\)$/.exec(ix.key);
    if (lower) rel.caseInsensitiveIndexes.add(lower[1]);
    else if (ix.citext) rel.caseInsensitiveIndexes.add(ix.key.replace(/^"|"$/g, ""));
  }
  for (const v of views) {
    const rel = byOid.get(v.oid);
    if (rel) rel.viewOf = v.reads.filter((name) => name !== qualified(rel));
  }
  // A key declared on each partition (as Pagila does for payment) belongs to the partitioned table.
  const byName = new Map([...byOid.values()].map((r) => [qualified(r), r]));
  const root = (name: string): string => {
    const parent = byName.get(name)?.partitionOf;
    return parent && parent !== name ? root(parent) : name;
  };
  const foreignKeys = new Map<string, PgForeignKey>();
  for (const f of fks) {
    const fk = { name: f.name, from: root(f.from), fromColumns: f.from_columns, to: root(f.to), toColumns: f.to_columns };
    foreignKeys.set(JSON.stringify([fk.from, fk.fromColumns, fk.to, fk.toColumns]), fk);
  }
  return { relations: [...byOid.values()], foreignKeys: [...foreignKeys.values()] };
}
