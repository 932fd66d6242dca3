// Benchmark: `straymap scan` over a Google Drive (the protocol emulator in
// test/emulators/google.ts, in its own process, 30 ms added to every call):
// 2,000 small CSV files in 20 folders, read at the source's default concurrency
// and at concurrency 1, printed as files/s and their ratio (goal: ≥ 8×).
// Not a test: run with `npm run build && node bench/google-throughput.mjs`.
// Env: BENCH_FILES (default 2000), BENCH_LATENCY_MS (default 30).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = Number(process.env.BENCH_FILES ?? 2000);
const latency = Number(process.env.BENCH_LATENCY_MS ?? 30);
const USER = "finance@example.com";

if (process.argv[2] === "serve") {
  // The emulator process: fill the drive, print the URL, serve until killed.
  const { GoogleEmulator } = await import(pathToFileURL(process.argv[3]).href);
  const emu = new GoogleEmulator();
  await emu.start();
  emu.addUser(USER);
  for (let i = 0; i < files; i++) {
    const email = i % 500 === 7 ? "alice@example.com" : `customer${i}@example.org`;
    emu.addFile({ user: USER }, `Exports/batch-${String(i % 20).padStart(2, "0")}/subs-${i}.csv`, `id,email,plan\n${i},${email},pro\n`);
  }
  emu.latencyMs = latency;
  console.log(JSON.stringify({ url: emu.url }));
  await new Promise(() => {});
}

// The emulator is TypeScript: compile it alone (it imports node: modules only).
const work = mkdtempSync(join(tmpdir(), "straymap-googlebench-"));
const built = join(work, "emulator");
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), join(root, "test/emulators/google.ts"), "--outDir", built, "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--types", "node"], { stdio: "inherit" });
writeFileSync(join(built, "package.json"), '{ "type": "module" }');

const server = spawn(process.execPath, [fileURLToPath(import.meta.url), "serve", join(built, "google.js")], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
const { url } = JSON.parse(await new Promise((resolve) => createInterface({ input: server.stdout }).once("line", resolve)));

const env = { ...process.env, BENCH_GOOGLE_TOKEN: `token-${USER}` };
function run(concurrency) {
  const source = { id: "drive", kind: "gdrive", accessToken: "${BENCH_GOOGLE_TOKEN}", endpoint: url, sharedDrives: "none", ...(concurrency ? { concurrency } : {}) };
  writeFileSync(join(work, "straymap.yaml"), JSON.stringify({ sources: [source] }));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, "dist/src/cli/straymap.js"), "scan", "--customer", "alice@example.com", "--format", "json"], { cwd: work, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("exit", () => resolve({ seconds: (performance.now() - started) / 1000, out: JSON.parse(out) }));
  });
}

try {
  // The ratio needs idle cores: at the default concurrency the run is bound by CPU, not by latency.
  console.log(`${files.toLocaleString()} CSV files in one My Drive, ${latency} ms added to every API call; ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}`);
  const results = [];
  for (const [label, concurrency] of [["default concurrency", undefined], ["concurrency 1", 1]]) {
    const { seconds, out } = await run(concurrency);
    const { scanned, failed } = out.coverage.summary;
    if (scanned !== files || failed !== 0) throw new Error(`${label}: expected ${files} files scanned, got ${JSON.stringify(out.coverage.summary)}`);
    const rate = files / seconds;
    results.push(rate);
    console.log(`${label.padEnd(20)} ${seconds.toFixed(1).padStart(6)} s  ${rate.toFixed(0).padStart(5)} files/s  (${out.findings.length} findings)`);
  }
  const ratio = results[0] / results[1];
  console.log(`default / 1: ${ratio.toFixed(1)}× (goal ≥ 8×)`);
  if (ratio < 8) process.exitCode = 1;
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
