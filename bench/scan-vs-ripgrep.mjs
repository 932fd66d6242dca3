// Benchmark: `straymap scan` against `rg -F -i -c` for the same identifiers on
// the same ~1 GB folder of CSV and log files, laid out as in issue 11: the
// customer near the top of several 16 MB CSVs (half of them quoting every
// field, with line breaks inside quotes, as Salesforce, Excel and Stripe
// exports do; half plain), once at the very end of a 100 MB CSV, and logs and
// exports without her filling the rest. Both tools run as whole processes
// (start-up included), in turn, on a warm page cache. Prints the wall-time
// ratio and straymap's peak RSS. Not a test: run with `npm run bench`.
//
// Env: BENCH_GB (default 1), BENCH_RUNS (default 3), BENCH_KEEP=1 keeps the corpus.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, existsSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/src/cli/straymap.js");
const gb = Number(process.env.BENCH_GB ?? 1);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const EMAIL = "alice@example.com";
const ID = "cus_8Hq2LmZ4";
const MB = 1024 * 1024;

function ensureRipgrep() {
  if (spawnSync("rg", ["--version"]).status === 0) return;
  console.log("ripgrep not found: installing it from Debian (apt-get install ripgrep)…");
  execFileSync("bash", ["-c", "apt-get update -qq && apt-get install -y -qq ripgrep"], { stdio: "inherit" });
}

const HEADER = { plain: "customer_id,email,name,phone,plan,amount\n", quoted: '"Id","Email","Name","Phone","Mailing Address","Note"\r\n' };

/** Rows for other people (the customer never appears), about 1 MB. */
function block(kind, seed) {
  const rows = [];
  for (let i = 0; i < 8000; i++) {
    const n = seed * 8000 + i;
    const id = `cus_${((n * 2654435761) >>> 0).toString(36).padStart(8, "0")}`;
    const phone = `+1 212 555 ${String(n % 10000).padStart(4, "0")}`;
    if (kind === "plain") rows.push(`${id},user${n}@example.com,User ${n},${phone},Pro,${(n % 997) / 10}\n`);
    // Every field quoted, CRLF, a line break inside every fifth address, escaped quotes in notes.
    else if (kind === "quoted") rows.push(`"${id}","user${n}@example.com","User ${n}","${phone}","${n} Main St${n % 5 ? "" : "\r\nApt " + (n % 90)}","said ""call me"" on ${n % 28 + 1} Nov"\r\n`);
    else rows.push(`2026-11-02T10:${String(n % 60).padStart(2, "0")}:00Z INFO request id=${n.toString(16)} user=user${n}@example.com path=/api/v1/orders/${n} status=200 ms=${n % 300}\n`);
  }
  return Buffer.from(rows.join(""));
}

const HIT = {
  plain: `${ID},${EMAIL},Alice Example,+1 415 555 0132,Pro,9.9\n`,
  quoted: `"${ID}","${EMAIL.toUpperCase()}","Alice Example","+1 415 555 0132","1 Infinite Loop\r\nCupertino","said ""delete me"""\r\n`,
};

/** The rows of `chunk` that fit in `room` bytes (a row of quoted CSV ends with `"` CRLF, not at an LF inside quotes). */
function rowsIn(chunk, room, kind) {
  if (room >= chunk.length) return chunk;
  let end = room > 0 ? chunk.lastIndexOf(10, room - 1) : -1;
  while (end > 0 && kind === "quoted" && chunk[end - 2] !== 34) end = chunk.lastIndexOf(10, end - 1);
  return chunk.subarray(0, end + 1);
}

/** A file of about `size` bytes of rows of `kind`, with the customer's row after `hitAt` bytes (Infinity: last; undefined: none). */
function writeFile(path, kind, size, hitAt, blocks) {
  const fd = openSync(path, "w");
  let written = kind === "log" ? 0 : writeSync(fd, HEADER[kind]);
  let b = 0;
  const fill = (until) => {
    for (;;) {
      const chunk = blocks[kind][b++ % blocks[kind].length];
      const rows = rowsIn(chunk, until - written, kind);
      written += writeSync(fd, rows);
      if (rows !== chunk) return;
    }
  };
  if (hitAt !== undefined) {
    fill(Math.min(hitAt, size));
    written += writeSync(fd, HIT[kind]);
  }
  fill(size);
  closeSync(fd);
}

function makeCorpus(dir) {
  const blocks = Object.fromEntries(["plain", "quoted", "log"].map((k) => [k, [0, 1, 2, 3].map((s) => block(k, s))]));
  let hits = 0;
  let total = 0;
  let files = 0;
  const add = (name, kind, size, hitAfter) => {
    writeFile(join(dir, name), kind, size, hitAfter, blocks);
    if (hitAfter !== undefined) hits++;
    total += size;
    files++;
  };
  // The customer near the top (after ~40 KB) of six 16 MB exports, half quoting every field.
  for (let i = 0; i < 6; i++) add(`export-${i}.csv`, i % 2 ? "plain" : "quoted", 16 * MB, 40 * 1024);
  // Once, at the very end of a 100 MB export.
  add("crm-full.csv", "quoted", 100 * MB, Infinity);
  // The rest: logs and exports without her, 32 MB each.
  for (let i = 0; total < gb * 1024 * MB; i++) add(i % 3 ? `app-${i}.log` : `orders-${i}.csv`, i % 3 ? "log" : "plain", 32 * MB);
  return { files, hits };
}

function timed(cmd, args) {
  // GNU time reports the peak resident set size of the command (KiB).
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cmd, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  const last = r.stderr.trim().split("\n").pop().split(" ");
  return { seconds: Number(last[0]), rssMiB: Number(last[1]) / 1024, status: r.status, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

ensureRipgrep();
if (!existsSync(cli)) throw new Error("build first: npm run build");
if (!existsSync("/usr/bin/time")) throw new Error("needs GNU time (/usr/bin/time): apt-get install time");
const dir = mkdtempSync(join(tmpdir(), "straymap-bench-"));
try {
  console.log(`generating ~${gb} GB of CSV and log files in ${dir}…`);
  const { files, hits } = makeCorpus(dir);
  const du = execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0];
  console.log(`${files} files, ${(Number(du) / 1024 ** 3).toFixed(2)} GiB, the customer in ${hits} of them; ${cpus().length} cores`);

  const rgArgs = ["-F", "-i", "-c", "-e", EMAIL, "-e", ID, dir];
  const smArgs = [cli, "scan", dir, "--customer", EMAIL, "--id", ID, "--format", "json", "--no-progress"];
  timed("rg", rgArgs); // warm the page cache for both
  timed(process.execPath, smArgs);
  const rg = [];
  const sm = [];
  for (let i = 0; i < runs; i++) {
    rg.push(timed("rg", rgArgs));
    sm.push(timed(process.execPath, smArgs));
  }
  const found = JSON.parse(sm[0].stdout).findings.length;
  const rgCount = rg[0].stdout.trim().split("\n").filter(Boolean).reduce((n, l) => n + Number(l.split(":").pop()), 0);
  const rgT = median(rg.map((r) => r.seconds));
  const smT = median(sm.map((r) => r.seconds));
  const rss = Math.max(...sm.map((r) => r.rssMiB));
  const pairs = median(sm.map((r, i) => r.seconds / rg[i].seconds));
  console.log(`ripgrep   ${rgT.toFixed(2)} s  (${rgCount} matching lines)`);
  console.log(`straymap  ${smT.toFixed(2)} s  (${found} findings), peak RSS ${rss.toFixed(0)} MiB`);
  console.log(`ratio straymap/ripgrep: ${(smT / rgT).toFixed(2)}x (median of run pairs ${pairs.toFixed(2)}x; goal: within 2x; memory goal: under 200 MiB)`);
} finally {
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
