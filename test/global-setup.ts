import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { createPagila, databaseUrl } from "./pg-harness.js";
import { ROOT } from "./helpers.js";

// One PostgreSQL for the whole run, loaded with Pagila and the hard cases.
// Test files find it through STRAYMAP_TEST_PG (owner) and STRAYMAP_TEST_PG_READER.

let child: ChildProcess | undefined;

/** DATABASE_URL, or a throwaway server in a child process (see pg-server-process.mjs). */
async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  child = spawn(process.execPath, [join(ROOT, "test", "pg-server-process.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child!.stdout! });
    lines.once("line", resolve);
    child!.once("exit", (code) => reject(new Error(`the test PostgreSQL did not start (exit ${code})`)));
  });
  return (JSON.parse(first) as { url: string }).url;
}

export async function setup(): Promise<void> {
  try {
    const base = await serverUrl();
    const url = await createPagila(base, "straymap_pagila", join(ROOT, "..", "shared", "datasets"));
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
    process.env.STRAYMAP_TEST_PG_ADMIN = databaseUrl(base, "postgres");
  } catch (e) {
    await teardown();
    throw e;
  }
}

export async function teardown(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child!.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
