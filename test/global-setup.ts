import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { createPagila, databaseUrl, startServer, type TestServer } from "./pg-harness.js";
import { ROOT } from "./helpers.js";

// One PostgreSQL for the whole run, loaded with Pagila and the hard cases.
// Test files find it through STRAYMAP_TEST_PG (owner) and STRAYMAP_TEST_PG_READER.

let server: TestServer | undefined;

export async function setup(): Promise<void> {
  server = await startServer();
  const url = await createPagila(server.url, "straymap_pagila", join(ROOT, "..", "shared", "datasets"));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(readFileSync(join(ROOT, "test", "pg-hard-cases.sql"), "utf8"));
    // Statistics as a live database has them (except crm.big_import, left unanalysed on purpose).
    for (const t of ["public.customer", "public.address", "public.staff", "crm.contacts", "public.events", "crm.newsletter"]) await client.query(`ANALYZE ${t}`);
  } finally {
    await client.end();
  }
  process.env.STRAYMAP_TEST_PG = url;
  const reader = new URL(url);
  reader.username = "straymap_reader";
  reader.password = "reader-secret-pw";
  process.env.STRAYMAP_TEST_PG_READER = reader.toString();
  process.env.STRAYMAP_TEST_PG_ADMIN = databaseUrl(server.url, "postgres");
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
