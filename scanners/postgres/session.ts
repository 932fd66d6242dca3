import pg from "pg";
import Cursor from "pg-cursor";

/** How to reach the database, and how long any one statement may take. */
export interface PgTarget {
  connection: pg.ClientConfig;
  /** postgres://user@host:port/db, never with the password: used in locations and messages. */
  display: string;
  statementTimeout: string;
  lockTimeout: string;
}

/**
 * One read-only session. Every statement runs inside its own
 * `BEGIN READ ONLY` transaction with statement and lock timeouts, so a slow
 * or locked table fails alone and nothing can be written through it.
 */
export class PgSession {
  /** Statements sent, for the benchmark and the coverage report. */
  statements = 0;
  private constructor(
    private readonly client: pg.Client,
    private readonly target: PgTarget,
  ) {}

  static async open(target: PgTarget): Promise<PgSession> {
    const client = new pg.Client({ ...target.connection, application_name: "straymap" });
    // A connection error must not take the process down after we have moved on.
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SET default_transaction_read_only = on");
    } catch (e) {
      await client.end().catch(() => {});
      throw scrub(e, target);
    }
    const session = new PgSession(client, target);
    session.statements = 1;
    return session;
  }

  /** Run one statement read-only and return its rows (for catalog queries and small results). */
  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.inTransaction(async () => (await this.client.query<T>(sql, params)).rows);
  }

  /** Run one statement read-only and hand its rows over in batches, never holding the whole result. */
  async *stream<T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], batch = 1000): AsyncGenerator<T[]> {
    await this.begin();
    let ok = false;
    const cursor = this.client.query(new Cursor<T>(sql, params));
    try {
      for (;;) {
        const rows = await cursor.read(batch);
        if (rows.length === 0) break;
        yield rows;
      }
      ok = true;
    } catch (e) {
      throw scrub(e, this.target);
    } finally {
      await cursor.close().catch(() => {});
      await this.client.query(ok ? "COMMIT" : "ROLLBACK").catch(() => {});
    }
  }

  /**
   * Rows of a query that usually returns few (a search): first as a plain
   * query with a LIMIT, which PostgreSQL may run in parallel (a cursor never
   * is); only when that overflows, again through a cursor, streamed.
   */
  async *search<T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], expected = 10_000): AsyncGenerator<T[]> {
    const first = await this.query<T>(`${sql} LIMIT ${expected + 1}`, params);
    if (first.length <= expected) {
      if (first.length) yield first;
      return;
    }
    yield* this.stream<T>(sql, params);
  }

  private async begin(): Promise<void> {
    this.statements++;
    // Timeouts are literals checked by the settings schema; SET cannot take parameters.
    await this.client.query(
      `BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = '${this.target.statementTimeout}'; SET LOCAL lock_timeout = '${this.target.lockTimeout}'`,
    );
  }

  private async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await this.begin();
    try {
      const result = await work();
      await this.client.query("COMMIT");
      return result;
    } catch (e) {
      await this.client.query("ROLLBACK").catch(() => {});
      throw scrub(e, this.target);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/** An error with the password taken out of its message, whatever produced it. */
export function scrub(e: unknown, target: PgTarget): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const password = typeof target.connection.password === "string" ? target.connection.password : undefined;
  const fromUrl = target.connection.connectionString ? safePassword(target.connection.connectionString) : undefined;
  for (const secret of [password, fromUrl]) {
    if (secret) err.message = err.message.split(secret).join("****");
  }
  return err;
}

function safePassword(url: string): string | undefined {
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p || undefined;
  } catch {
    return undefined;
  }
}

/** postgres://user@host:port/db for messages and locations: the password never appears. */
export function displayTarget(connection: pg.ClientConfig): string {
  if (connection.connectionString) {
    try {
      const u = new URL(connection.connectionString);
      u.password = "";
      u.search = "";
      return u.toString().replace(/^postgresql:/, "postgres:");
    } catch {
      return "postgres://(unparsable url)";
    }
  }
  const user = connection.user ? `${connection.user}@` : "";
  return `postgres://${user}${connection.host ?? "localhost"}:${connection.port ?? 5432}/${connection.database ?? ""}`;
}
