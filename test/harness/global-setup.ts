import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { createPagila, databaseUrl } from "./pg-harness.js";
import { ROOT } from "./helpers.js";
import { createTestTls, removeTestTls, type TestTls } from "./tls.js";

// One PostgreSQL for the whole run, loaded with Pagila and the hard cases.
// Test files find it through STRAYMAP_TEST_PG (owner) and STRAYMAP_TEST_PG_READER.

const children: ChildProcess[] = [];
let tls: TestTls | undefined;

/** Start a server script in a child process; it prints {"url"} when ready. */
async function serverProcess(script: string, what: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const child = spawn(process.execPath, [join(ROOT, "test", "harness", script)], { stdio: ["pipe", "pipe", "inherit"], env });
  children.push(child);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the test ${what} did not start (exit ${code})`)));
  });
  return (JSON.parse(first) as { url: string }).url;
}

/** DATABASE_URL, or a throwaway server in a child process (see pg-server-process.mjs). */
async function serverUrl(): Promise<string> {
  return process.env.DATABASE_URL ?? serverProcess("pg-server-process.mjs", "PostgreSQL");
}

export async function setup(): Promise<void> {
  try {
    tls = await createTestTls(); // HTTPS emulators (Graph); sets NODE_EXTRA_CA_CERTS for the test processes
    const s3 = serverProcess("s3-server-process.mjs", "S3 server", { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --openssl-legacy-provider` });
    s3.catch(() => {}); // awaited below
    const base = await serverUrl();
    const url = await createPagila(base, "straymap_pagila", join(ROOT, "fixtures", "datasets"));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(readFileSync(join(ROOT, "test", "harness", "pg-hard-cases.sql"), "utf8"));
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
    process.env.STRAYMAP_TEST_S3 = await s3;
  } catch (e) {
    await teardown();
    throw e;
  }
}

export async function teardown(): Promise<void> {
  removeTestTls(tls);
  await Promise.all(
    children
      .filter((c) => c.exitCode === null)
      .map((c) => {
        const exited = new Promise((resolve) => c.once("exit", resolve));
        c.kill("SIGTERM");
        return exited;
      }),
  );
}
