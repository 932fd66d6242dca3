import type pg from "pg";
import type { NativeContext, SourceSession } from "../../src/engine/scanner.js";
import type { CustomerMatcher, CustomerQuery } from "../../src/match/customer.js";
import type { HashedMatcher } from "../../src/match/hashed.js";
import type { RuleSet } from "../../src/match/rules.js";
import { pathFilter, type PathFilter } from "../../src/sources/common.js";
import { finding } from "../../src/findings.js";
import type { CoverageEntry, CustomerMatch, Finding, ScanEvent } from "../../src/types.js";
import type { PostgresSettings } from "./settings.js";
import { qualified, readCatalog, type PgForeignKey, type PgRelation } from "./catalog.js";
import { planFullRead, planTableSearch, searchTable, type ColumnMatch, type RowKey } from "./customer.js";
import { followForeignKeys, TableGroups } from "./links.js";
import { displayTarget, PgSession, scrub, type PgTarget } from "./session.js";
import { readStats, sweepRelation, type ColumnStats } from "./sweep.js";

function connectionOf(s: PostgresSettings): pg.ClientConfig {
  const ssl = s.sslmode === "require" ? { rejectUnauthorized: false } : s.sslmode === "verify-full" ? true : s.sslmode === "disable" ? false : undefined;
  if (s.url) return { connectionString: s.url, ...(ssl !== undefined ? { ssl } : {}) };
  return { host: s.host, port: s.port, user: s.user, password: s.password, database: s.database, ...(ssl !== undefined ? { ssl } : {}) };
}

/** Why a table could not be searched, in words, from PostgreSQL's error code. */
function describePgError(e: unknown, target: PgTarget): string {
  const err = scrub(e, target) as Error & { code?: string };
  switch (err.code) {
    case "57014":
      return `statement timeout (statementTimeout ${target.statementTimeout}) reached: ${err.message}`;
    case "55P03":
      return `could not get a lock within lockTimeout ${target.lockTimeout}: ${err.message}`;
    case "42501":
      return `permission denied: ${err.message}`;
    default:
      return err.message;
  }
}

/**
 * A PostgreSQL database searched with SQL. Each job opens its own read-only
 * database session (see session.ts); this object only holds what to search.
 */
export class PostgresSession implements SourceSession {
  private readonly target: PgTarget;
  private readonly filter: PathFilter;

  constructor(
    readonly id: string,
    private readonly s: PostgresSettings,
  ) {
    const connection = connectionOf(s);
    this.target = { connection, display: displayTarget(connection), statementTimeout: s.statementTimeout, lockTimeout: s.lockTimeout };
    this.filter = pathFilter({ include: s.include, exclude: s.exclude, where: `source ${id}` });
  }

  async close(): Promise<void> {}

  async reach(): Promise<string> {
    const c = await this.connect();
    if ("type" in c) throw new Error(c.type === "coverage" ? (c.entry.error ?? "cannot connect") : "cannot connect");
    await c.session.close();
    const searched = c.relations.filter((r) => !this.notSearched(r)).length;
    return `connected read-only to ${this.target.display}; ${searched} table${searched === 1 ? "" : "s"} to search (of ${c.all.size} relations in its catalog)`;
  }

  private entry(path: string, status: CoverageEntry["status"], why: string, extra: Partial<CoverageEntry> = {}): ScanEvent {
    const field = status === "failed" ? { error: why } : status === "skipped" ? { reason: why } : { method: why };
    return { type: "coverage", entry: { source: this.id, uri: `${this.target.display}#${path}`, path, status, ...field, ...extra } };
  }

  /** Open a session and read the catalog; yields a failed entry and nothing else when the database cannot be reached. */
  private async connect(): Promise<
    { session: PgSession; relations: PgRelation[]; all: Map<string, PgRelation>; foreignKeys: PgForeignKey[]; catalog: ScanEvent } | ScanEvent
  > {
    let session: PgSession;
    try {
      session = await PgSession.open(this.target);
    } catch (e) {
      return this.entry("(connection)", "failed", `cannot connect to ${this.target.display}: ${describePgError(e, this.target)}`);
    }
    try {
      const catalog = await readCatalog(session);
      const all = new Map(catalog.relations.map((r) => [qualified(r), r]));
      const relations = catalog.relations.filter((r) => !this.s.schemas?.length || this.s.schemas.includes(r.schema));
      const summary = `read the catalog: ${catalog.relations.length} relations, ${catalog.foreignKeys.length} foreign keys`;
      return { session, relations, all, foreignKeys: catalog.foreignKeys, catalog: this.entry("(catalog)", "scanned", summary, { statements: session.statements }) };
    } catch (e) {
      await session.close();
      return this.entry("(catalog)", "failed", `cannot read the catalog: ${describePgError(e, this.target)}`);
    }
  }

  /** Relations that are searched elsewhere or not at all, as skipped entries; undefined for a relation to search. */
  private notSearched(rel: PgRelation): ScanEvent | undefined {
    const path = qualified(rel);
    const filtered = this.filter(path);
    if (filtered) return this.entry(path, "skipped", filtered);
    if (rel.partitionOf) return this.entry(path, "skipped", `partition of ${rel.partitionOf}: searched through it`);
    if (rel.kind === "v") return this.entry(path, "skipped", `view over ${rel.viewOf.join(", ") || "no table"}: its rows are searched there`);
    if (rel.kind === "f") return this.entry(path, "skipped", "foreign table: its rows live on another server");
    return undefined;
  }

  /**
   * Connect, read the catalog, and search each table with `table` (its return
   * value is the coverage method); a table that fails is one failed entry and
   * the loop goes on. `before` and `after` run in the same session.
   */
  private async *eachTable(
    ctx: NativeContext,
    steps: {
      before?: (session: PgSession) => Promise<void>;
      table: (session: PgSession, rel: PgRelation, path: string) => AsyncGenerator<ScanEvent, string>;
      after?: (session: PgSession, all: Map<string, PgRelation>, foreignKeys: PgForeignKey[]) => AsyncGenerator<ScanEvent>;
    },
  ): AsyncGenerator<ScanEvent> {
    const opened = await this.connect();
    if ("type" in opened) {
      yield opened;
      return;
    }
    const { session, relations, all, foreignKeys } = opened;
    yield opened.catalog;
    try {
      await steps.before?.(session);
      for (const rel of relations) {
        if (ctx.signal?.aborted) break;
        const skip = this.notSearched(rel);
        if (skip) {
          yield skip;
          continue;
        }
        const path = qualified(rel);
        const before = session.statements;
        try {
          const method = yield* steps.table(session, rel, path);
          yield this.entry(path, "scanned", method, { statements: session.statements - before });
        } catch (e) {
          yield this.entry(path, "failed", describePgError(e, this.target), { statements: session.statements - before });
        }
      }
      if (steps.after) yield* steps.after(session, all, foreignKeys);
    } finally {
      await session.close();
    }
  }

  findCustomer(matcher: CustomerMatcher, query: CustomerQuery, ctx: NativeContext): AsyncGenerator<ScanEvent> {
    const matches = new Map<string, ColumnMatch[]>();
    const self = this;
    return this.eachTable(ctx, {
      async *table(session, rel, path) {
        const plan = planTableSearch(rel, matcher, query.ids ?? [], query.emails ?? [], self.s.bytea);
        if (!plan) return "no text, JSON or ID-shaped column: nothing to search";
        const found = await searchTable(session, plan, matcher, ctx.showValues);
        if (found.length) matches.set(path, found);
        return plan.method;
      },
      after: (session, all, foreignKeys) => this.reportMatches(session, all, foreignKeys, matches),
    });
  }

  /** Follow foreign keys from her rows, then report her rows, saying which no key ties to the rest. */
  private async *reportMatches(session: PgSession, all: Map<string, PgRelation>, foreignKeys: PgForeignKey[], matches: Map<string, ColumnMatch[]>): AsyncGenerator<ScanEvent> {
    const direct = new Map<string, RowKey[]>();
    for (const [path, found] of matches) {
      const keys = new Map<string, RowKey>();
      for (const m of found) for (const k of m.keys) keys.set(JSON.stringify(k), k);
      direct.set(path, [...keys.values()]);
    }
    const groups = new TableGroups();
    const linked: Finding[] = [];
    const before = session.statements;
    try {
      for await (const l of followForeignKeys(session, all, foreignKeys, direct, this.s.followForeignKeys, groups)) {
        linked.push(finding("linked-row", {
          source: this.id,
          location: { uri: `${this.target.display}#${l.table}`, path: l.table, key: l.keys[0] },
          keys: l.keys,
          via: l.via,
          count: l.count,
          confidence: 1,
          evidence: `${l.count} row${l.count === 1 ? "" : "s"} tied to hers by ${l.via} (${l.hops} key${l.hops === 1 ? "" : "s"} away)`,
        }));
      }
      if (direct.size) {
        const method = `followed foreign keys from her rows (${this.s.followForeignKeys} keys deep): ${linked.length} linked table${linked.length === 1 ? "" : "s"}`;
        yield this.entry("(foreign keys)", "scanned", method, { statements: session.statements - before });
      }
    } catch (e) {
      yield this.entry("(foreign keys)", "failed", `following foreign keys stopped: ${describePgError(e, this.target)}`, { statements: session.statements - before });
    }
    // Her main record is the group of tables with the most of her rows, direct and linked.
    const rowsPerGroup = new Map<string, number>();
    const count = (path: string, n: number) => rowsPerGroup.set(groups.find(path), (rowsPerGroup.get(groups.find(path)) ?? 0) + n);
    for (const [path, keys] of direct) count(path, keys.length);
    for (const f of linked) count(f.location.path, f.count);
    const main = [...rowsPerGroup.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    for (const [path, found] of matches) {
      for (const m of found) yield { type: "finding", finding: this.matchFinding(path, m, { linked: groups.find(path) === main }) };
    }
    for (const f of linked) yield { type: "finding", finding: f };
  }

  /** A customer-match finding for matches in one column of one table. */
  private matchFinding(path: string, m: ColumnMatch, extra: Pick<CustomerMatch, "linked" | "request">): CustomerMatch {
    return finding("customer-match", {
      source: this.id,
      location: { uri: `${this.target.display}#${path}`, path, column: m.column, key: m.keys[0], ...(m.jsonPath ? { jsonPath: m.jsonPath } : {}) },
      identifier: m.identifier,
      match: m.variant,
      count: m.count,
      confidence: m.confidence,
      evidence: `${m.column}: ${m.evidence}`,
      keys: m.keys,
      ...extra,
    });
  }

  /** restore-check: every row of every text column, tokens hashed and compared with closed requests' hashes. */
  findHashes(matcher: HashedMatcher, ctx: NativeContext): AsyncGenerator<ScanEvent> {
    const matches = new Map<string, ColumnMatch[]>();
    const self = this;
    return this.eachTable(ctx, {
      async *table(session, rel, path) {
        const plan = planFullRead(rel);
        if (!plan) return "no text or JSON column: nothing to read";
        const found = await searchTable(session, plan, matcher, ctx.showValues, true);
        if (found.length) matches.set(path, found);
        return plan.method;
      },
      async *after() {
        for (const [path, found] of matches) {
          for (const m of found) yield { type: "finding", finding: self.matchFinding(path, m, m.request ? { request: m.request } : {}) };
        }
      },
    });
  }

  findPiiColumns(rules: RuleSet, ctx: NativeContext): AsyncGenerator<ScanEvent> {
    let stats = new Map<string, Map<string, ColumnStats>>();
    const self = this;
    return this.eachTable(ctx, {
      async before(session) {
        // Statistics are a help, not a need: without them, rows are sampled.
        stats = await readStats(session).catch(() => stats);
      },
      async *table(session, rel, path) {
        const { columns, method } = await sweepRelation(session, rel, stats.get(path), rules, ctx.showValues);
        for (const c of columns) {
          yield {
            type: "finding",
            finding: finding("pii-column", {
              source: self.id,
              location: { uri: `${self.target.display}#${path}`, path, column: c.column },
              piiType: c.verdict.piiType,
              reason: c.verdict.reason,
              sample: c.verdict.sample,
              count: c.verdict.sample.valid,
              confidence: c.verdict.confidence,
              evidence: c.evidence,
            }),
          };
        }
        return method;
      },
    });
  }
}

