// Benchmark: a file where the customer is on every row (400,000 rows, ~28 MB
// of CSV). `straymap scan` in ndjson, table and json is timed against
// `rg -F -c` and `wc -l` on the same file, with straymap's peak RSS: a ratio,
// not an assertion. Run with `npm run bench` (or alone after `npm run build`).
//
// Env: BENCH_ROWS (default 400000), BENCH_KEEP=1 keeps the file.
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/src/cli/straymap.js");
const rows = Number(process.env.BENCH_ROWS ?? 400_000);
const EMAIL = "alice@example.com";

async function writeEveryRow(file) {
  const out = createWriteStream(file);
  out.write("id,name,email,plan,status,amount,created_at,notes\n");
  for (let i = 1; i <= rows; i += 5000) {
    let block = "";
    for (let n = i; n < i + 5000 && n <= rows; n++) block += `${n},Alice Example,${EMAIL},Pro,paid,${(n % 997) + 0.99},2026-11-${String((n % 28) + 1).padStart(2, "0")},order ${n}\n`;
    if (!out.write(block)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** Wall time and peak RSS of one command, by GNU time; its output goes to /dev/null. */
function measure(label, cmd, args) {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", "bash", "-c", `"$0" "$@" > /dev/null`, cmd, ...args], { encoding: "utf8" });
  const [seconds, kib] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { label, seconds, rssMiB: kib / 1024 };
}

if (!existsSync(cli)) throw new Error("build first: npm run build");
if (!existsSync("/usr/bin/time")) throw new Error("needs GNU time (/usr/bin/time): apt-get install time");
const dir = mkdtempSync(join(tmpdir(), "straymap-every-row-"));
try {
  const file = join(dir, "every-row.csv");
  await writeEveryRow(file);
  console.log(`${rows.toLocaleString("en-US")} rows, ${(statSync(file).size / 1e6).toFixed(1)} MB, ${EMAIL} on every row`);
  measure("warm-up", "wc", ["-l", file]);
  const references = [measure("wc -l", "wc", ["-l", file]), ...(spawnSync("rg", ["--version"]).status === 0 ? [measure("rg -F -c", "rg", ["-F", "-c", EMAIL, file])] : [])];
  for (const r of references) console.log(`${r.label.padEnd(18)} ${r.seconds.toFixed(2)} s`);
  const base = references.at(-1);
  for (const format of ["ndjson", "table", "json"]) {
    const r = measure(`straymap -f ${format}`, process.execPath, [cli, "scan", "--customer", EMAIL, file, "-f", format, "--no-progress"]);
    console.log(`${r.label.padEnd(18)} ${r.seconds.toFixed(2)} s  peak RSS ${r.rssMiB.toFixed(0)} MiB  (${(r.seconds / Math.max(base.seconds, 0.01)).toFixed(0)}x ${base.label})`);
  }
} finally {
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
