// Benchmark: how long straymap takes to start, against bare `node -e 0`.
// `straymap --help`, and a scan of one 1 KB file, each timed as a whole process
// in turn with `node -e 0`; prints medians and the difference (goal: within 0.1 s).
// Not a test: run with `npm run bench`. Env: BENCH_RUNS (default 21).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(join(root, "package.json"), "utf8"))).bin.straymap;
const runs = Number(process.env.BENCH_RUNS ?? 21);

const dir = mkdtempSync(join(tmpdir(), "straymap-bench-startup-"));
const file = join(dir, "small.csv");
const rows = ["id,email,name,plan"];
for (let i = 0; rows.join("\n").length < 1000; i++) rows.push(`cus_${i},user${i}@example.com,User ${i},pro`);
writeFileSync(file, rows.join("\n") + "\n");

const commands = {
  "node -e 0": [process.execPath, "-e", "0"],
  "straymap --help": [process.execPath, join(root, cli), "--help"],
  "straymap scan (1 KB file)": [process.execPath, join(root, cli), "scan", file, "--customer", "alice@example.com"],
};

function time([cmd, ...args]) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (const c of Object.values(commands)) time(c); // warm the page cache
for (let i = 0; i < runs; i++) for (const [name, c] of Object.entries(commands)) times[name].push(time(c));
rmSync(dir, { recursive: true, force: true });

const base = median(times["node -e 0"]);
console.log(`Start-up, median of ${runs} runs each, in turn (whole processes):`);
for (const [name, t] of Object.entries(times)) {
  const m = median(t);
  console.log(`  ${name.padEnd(28)} ${m.toFixed(3)} s${name === "node -e 0" ? "" : `  (+${(m - base).toFixed(3)} s over node, ${(m / base).toFixed(2)}x)`}`);
}
