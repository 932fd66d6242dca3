import { createReadStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import pg from "pg";
import copyStreams from "pg-copy-streams";

// The PostgreSQL server itself is started by pg-server.mjs (shared with bench/).
import { databaseUrl } from "./pg-server.mjs";
export { databaseUrl };

/** Run a pg_dump-style SQL file: plain statements, and COPY … FROM stdin blocks ended by "\.". Lines matching `skip` are left out. */
export async function loadSqlFile(client: pg.Client, file: string, skip?: RegExp): Promise<void> {
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
    } else if (!skip?.test(line)) sql.push(line);
  }
  await flush();
}

/** A fresh database `name` on the server, filled by `load` through one connection; returns its URL. */
async function freshDatabase(baseUrl: string, name: string, load: (client: pg.Client) => Promise<void>): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(baseUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await load(client);
  } finally {
    await client.end();
  }
  return url;
}

/** A fresh database loaded with Pagila from fixtures/datasets/pagila. */
export function createPagila(baseUrl: string, name: string, datasets: string): Promise<string> {
  return freshDatabase(baseUrl, name, async (client) => {
    await loadSqlFile(client, join(datasets, "pagila", "pagila-schema.sql"));
    await loadSqlFile(client, join(datasets, "pagila", "pagila-data.sql"));
  });
}

/**
 * A fresh database loaded with Chinook from fixtures/datasets/chinook. Its
 * script creates and connects to its own database (psql's \c): those lines
 * are left out, the rest runs in the database made here.
 */
export function createChinook(baseUrl: string, name: string, datasets: string): Promise<string> {
  return freshDatabase(baseUrl, name, async (client) => {
    await loadSqlFile(client, join(datasets, "chinook", "Chinook_PostgreSql.sql"), /^(DROP DATABASE|CREATE DATABASE|\\c )/);
    await client.query("ANALYZE");
  });
}
