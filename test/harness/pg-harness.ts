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

/** A fresh database loaded with Pagila from fixtures/datasets/pagila. */
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
