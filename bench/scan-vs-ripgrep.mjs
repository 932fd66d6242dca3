// Benchmark: `straymap scan` against `rg -F -i -c` for the same identifiers on
// the same ~1 GB of CSV and log files. Prints the wall-time ratio and
// straymap's peak RSS. Not a test: run with `npm run bench`.
//
// Env: BENCH_GB (default 1), BENCH_RUNS (default 3), BENCH_KEEP=1 keeps the corpus.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/src/cli/main.js");
const gb = Number(process.env.BENCH_GB ?? 1);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const EMAIL = "alice@example.com";
const ID = "cus_8Hq2LmZ4";

function ensureRipgrep() {
  if (spawnSync("rg", ["--version"]).status === 0) return;
  console.log("ripgrep not found: installing it from Debian (apt-get install ripgrep)…");
  execFileSync("bash", ["-c", "apt-get update -qq && apt-get install -y -qq ripgrep"], { stdio: "inherit" });
}

/** A block of realistic rows for other people; the customer never appears in it. */
function block(kind, seed) {
  const lines = [];
  for (let i = 0; i < 8000; i++) {
    const n = seed * 8000 + i;
    if (kind === "csv") {
      lines.push(`cus_${(n * 2654435761 >>> 0).toString(36).padStart(8, "0")},user${n}@example.com,User ${n},+1 212 555 ${String(n % 10000).padStart(4, "0")},Pro,${(n % 997) / 10}`);
    } else {
      lines.push(`2026-11-02T10:${String(n % 60).padStart(2, "0")}:00Z INFO request id=${n.toString(16)} user=user${n}@example.com path=/api/v1/orders/${n} status=200 ms=${n % 300}`);
    }
  }
  return Buffer.from(lines.join("\n") + "\n");
}

function makeCorpus(dir) {
  const target = gb * 1024 ** 3;
  const perFile = 64 * 1024 * 1024;
  const files = Math.ceil(target / perFile);
  const blocks = { csv: [0, 1, 2, 3].map((s) => block("csv", s)), log: [0, 1, 2, 3].map((s) => block("log", s)) };
  let hits = 0;
  for (let f = 0; f < files; f++) {
    const kind = f % 2 ? "log" : "csv";
    const fd = openSync(join(dir, `${kind === "csv" ? "export" : "app"}-${String(f).padStart(3, "0")}.${kind}`), "w");
    if (kind === "csv") writeSync(fd, "customer_id,email,name,phone,plan,amount\n");
    let written = 0;
    let b = 0;
    while (written < perFile) {
      const chunk = blocks[kind][b++ % 4];
      writeSync(fd, chunk);
      written += chunk.length;
      // A few hits, in a few files, mostly misses.
      if (f % 5 === 0 && b === 3) {
        writeSync(fd, kind === "csv" ? `${ID},${EMAIL},Alice Example,+1 415 555 0132,Pro,9.9\n` : `2026-11-02T11:00:00Z INFO login user=${EMAIL.toUpperCase()}\n`);
        hits++;
      }
    }
    closeSync(fd);
  }
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
  console.log(`${files} files, ${(Number(du) / 1024 ** 3).toFixed(2)} GiB, ${hits} planted hits`);

  const rgArgs = ["-F", "-i", "-c", "-e", EMAIL, "-e", ID, dir];
  const smArgs = [cli, "scan", dir, "--customer", EMAIL, "--id", ID, "--format", "json", "--no-progress"];
  timed("rg", rgArgs); // warm the page cache for both
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
  console.log(`ripgrep   ${rgT.toFixed(2)} s  (${rgCount} matching lines)`);
  console.log(`straymap  ${smT.toFixed(2)} s  (${found} findings), peak RSS ${rss.toFixed(0)} MiB`);
  console.log(`ratio straymap/ripgrep: ${(smT / rgT).toFixed(2)}x  (goal: within 2x; memory goal: under 200 MiB)`);
} finally {
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
