// Benchmark: `straymap scan` on a PostgreSQL table of 2,000,000 rows with 6
// text columns and no index (the customer in 3 rows), against one
// hand-written `SELECT … WHERE c1 ILIKE … OR c2 ILIKE …` over the same table.
// Prints the wall-time ratio and how many statements straymap sent.
// Not a test: run with `npm run bench`. Env: BENCH_ROWS (default 2000000), BENCH_RUNS (default 3).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { databaseUrl, startServer } from "../test/harness/pg-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/src/cli/straymap.js");
const rows = Number(process.env.BENCH_ROWS ?? 2_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const EMAIL = "alice@example.com";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const dir = mkdtempSync(join(tmpdir(), "straymap-pgbench-"));
try {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query("DROP DATABASE IF EXISTS straymap_bench");
  await admin.query("CREATE DATABASE straymap_bench");
  await admin.end();
  const url = databaseUrl(server.url, "straymap_bench");
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  console.log(`loading ${rows.toLocaleString()} rows…`);
  await db.query(`CREATE TABLE customers_export (id bigint PRIMARY KEY, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text)`);
  await db.query(
    `INSERT INTO customers_export
     SELECT g, 'User ' || g, 'user' || g || '@example.com', md5(g::text), 'plan-' || (g % 7),
            '+1 212 555 ' || lpad((g % 10000)::text, 4, '0'), 'note for order ' || g || ' shipped'
       FROM generate_series(1, $1) g`,
    [rows],
  );
  // The customer, three times: as an address, in upper case, inside free text.
  await db.query(`UPDATE customers_export SET c2 = $1 WHERE id = $2`, [EMAIL, Math.floor(rows / 4)]);
  await db.query(`UPDATE customers_export SET c2 = upper($1) WHERE id = $2`, [EMAIL, Math.floor(rows / 2)]);
  await db.query(`UPDATE customers_export SET c6 = 'refund asked by ' || $1 WHERE id = $2`, [EMAIL, Math.floor((rows * 3) / 4)]);
  await db.query("VACUUM ANALYZE customers_export");

  const handWritten = `SELECT id FROM customers_export WHERE ${["c1", "c2", "c3", "c4", "c5", "c6"].map((c) => `${c} ILIKE '%${EMAIL}%'`).join(" OR ")}`;
  const sql = [];
  for (let i = 0; i < runs + 1; i++) {
    const t = performance.now();
    const r = await db.query(handWritten);
    if (i > 0) sql.push((performance.now() - t) / 1000); // the first run warms the cache
    if (r.rows.length !== 3) throw new Error(`hand-written query found ${r.rows.length} rows, expected 3`);
  }
  await db.end();

  writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: bench\n    kind: postgres\n    url: ${BENCH_DATABASE_URL}\n    statementTimeout: 5min\n");
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = spawnSync(process.execPath, [cli, "scan", "--customer", EMAIL, "--format", "json", "--no-progress"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, BENCH_DATABASE_URL: url },
      maxBuffer: 1 << 26,
    });
    times.push((performance.now() - t) / 1000);
  }
  const out = JSON.parse(last.stdout);
  const found = out.findings.filter((f) => f.kind === "customer-match").reduce((n, f) => n + f.count, 0);
  const statements = out.coverage.items.reduce((n, e) => n + (e.statements ?? 0), 0);
  const sqlT = median(sql);
  const smT = median(times);
  console.log(`hand-written SELECT  ${sqlT.toFixed(2)} s  (3 rows)`);
  console.log(`straymap scan        ${smT.toFixed(2)} s  (${found} rows found, ${statements} statements, process start-up included)`);
  console.log(`ratio straymap/SQL: ${(smT / sqlT).toFixed(2)}x  (goal: within 1.3x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}
