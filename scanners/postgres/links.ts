import pg from "pg";
import { keySelect, MAX_KEYS, type RowKey } from "./customer.js";
import type { PgForeignKey, PgRelation } from "./catalog.js";
import type { PgSession } from "./session.js";

const q = (name: string) => pg.escapeIdentifier(name);
const table = (rel: PgRelation) => `${q(rel.schema)}.${q(rel.name)}`;

/** Rows found by following one foreign key from rows already known to be hers. */
export interface LinkedRows {
  table: string;
  via: string;
  /** How many foreign keys away from a row that holds her identifiers. */
  hops: number;
  count: number;
  keys: RowKey[];
}

/** Rows kept per table to follow further; counts stay exact. */
const MAX_FRONTIER = 10_000;

/** A WHERE condition selecting exactly these rows of `rel` by their keys, with typed parameters. */
function keyCondition(rel: PgRelation, keys: RowKey[], alias: string, param: (v: unknown) => string): string {
  const a = `${alias}.`;
  const columnType = (name: string) => rel.columns.find((c) => c.name === name)?.type ?? "text";
  if (rel.primaryKey.length === 1) {
    const k = rel.primaryKey[0];
    return `${a}${q(k)} = ANY(${param(keys.map((r) => r[k]))}::${columnType(k)}[])`;
  }
  if (rel.primaryKey.length > 1) {
    const arrays = rel.primaryKey.map((k) => `${param(keys.map((r) => r[k]))}::${columnType(k)}[]`);
    return `(${rel.primaryKey.map((k) => a + q(k)).join(", ")}) IN (SELECT * FROM unnest(${arrays.join(", ")}))`;
  }
  if (rel.kind === "p") {
    return `(${a}tableoid::regclass::text, ${a}ctid) IN (SELECT * FROM unnest(${param(keys.map((r) => r.partition))}::text[], ${param(keys.map((r) => r.ctid))}::tid[]))`;
  }
  return `${a}ctid = ANY(${param(keys.map((r) => r.ctid))}::tid[])`;
}

const keyId = (k: RowKey) => JSON.stringify(k);

/**
 * Follow foreign keys from the rows that hold her identifiers: rows that
 * reference her rows, transitively up to `hops` keys away, and the rows her
 * own rows reference (her address, say), one key away. Rows already seen are
 * not followed again, so cycles end. Yields one result per table and key.
 */
export async function* followForeignKeys(
  session: PgSession,
  relations: Map<string, PgRelation>,
  foreignKeys: PgForeignKey[],
  direct: Map<string, RowKey[]>,
  hops: number,
  groups: TableGroups,
): AsyncGenerator<LinkedRows> {
  const seen = new Map<string, Set<string>>();
  const remember = (t: string, keys: RowKey[]) => {
    const set = seen.get(t) ?? new Set<string>();
    seen.set(t, set);
    return keys.filter((k) => {
      const id = keyId(k);
      if (set.has(id)) return false;
      set.add(id);
      return true;
    });
  };
  let frontier = new Map<string, RowKey[]>();
  for (const [t, keys] of direct) frontier.set(t, remember(t, keys));

  for (let hop = 1; hop <= hops && frontier.size > 0; hop++) {
    const next = new Map<string, RowKey[]>();
    for (const [from, keys] of frontier) {
      const rel = relations.get(from);
      if (!rel || keys.length === 0) continue;
      const edges = [
        // Rows that point at these rows.
        ...foreignKeys.filter((fk) => fk.to === from).map((fk) => ({ fk, other: fk.from, down: true })),
        // Rows these rows point at: only from her own rows, not from everything that references them.
        ...(hop === 1 ? foreignKeys.filter((fk) => fk.from === from).map((fk) => ({ fk, other: fk.to, down: false })) : []),
      ];
      for (const { fk, other, down } of edges) {
        const target = relations.get(other);
        if (!target) continue;
        const params: unknown[] = [];
        const param = (v: unknown) => {
          params.push(v);
          return `$${params.length}`;
        };
        const [theirs, ours] = down ? [fk.fromColumns, fk.toColumns] : [fk.toColumns, fk.fromColumns];
        const sql =
          `SELECT ${keySelect(target, "o").sql} FROM ${table(target)} o ` +
          `WHERE (${theirs.map((c) => `o.${q(c)}`).join(", ")}) IN ` +
          `(SELECT ${ours.map((c) => `h.${q(c)}`).join(", ")} FROM ${table(rel)} h WHERE ${keyCondition(rel, keys.slice(0, MAX_FRONTIER), "h", param)})`;
        let count = 0;
        const found: RowKey[] = [];
        for await (const rows of session.search<RowKey>(sql, params)) {
          count += rows.length;
          for (const r of rows) if (found.length < MAX_FRONTIER) found.push(r);
        }
        if (count === 0) continue;
        groups.union(from, other);
        const fresh = remember(other, found);
        if (fresh.length === 0) continue;
        const via = `${fk.from}(${fk.fromColumns.join(", ")}) → ${fk.to}(${fk.toColumns.join(", ")})`;
        yield { table: other, via, hops: hop, count: Math.max(fresh.length, count - (found.length - fresh.length)), keys: fresh.slice(0, MAX_KEYS) };
        if (down) next.set(other, [...(next.get(other) ?? []), ...fresh]);
      }
    }
    frontier = next;
  }
}

/** Tables connected by the foreign keys that were followed: a table's group is every table reachable through them. */
export class TableGroups {
  private parent = new Map<string, string>();
  find(t: string): string {
    const p = this.parent.get(t) ?? t;
    if (p === t) return t;
    const root = this.find(p);
    this.parent.set(t, root);
    return root;
  }
  union(a: string, b: string): void {
    this.parent.set(this.find(a), this.find(b));
  }
}
