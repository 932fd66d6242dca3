// Benchmark: `straymap scan` over a OneDrive served by the Microsoft Graph emulator (test/emulators/graph.ts) with
// 30 ms of latency added to every call (Graph, login and download host): 2,000 small CSV files in 20 folders,
// at --concurrency 1 and at the default, printed as files/s and their ratio (goal: the default ≥ 8× faster).
// Not a test: run with `node bench/graph-throughput.mjs` after `npm run build`.
// Env: BENCH_FILES (default 2000), BENCH_LATENCY_MS (default 30).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { generate } from "selfsigned";
import { DEFAULT_LIMITS } from "../dist/src/limits.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/src/cli/straymap.js");
const files = Number(process.env.BENCH_FILES ?? 2000);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 30);
const dir = mkdtempSync(join(tmpdir(), "straymap-graphbench-"));

// The emulator is TypeScript with node built-ins only: transpile it for plain node.
const emulatorSource = readFileSync(join(root, "test/emulators/graph.ts"), "utf8");
const js = ts.transpileModule(emulatorSource, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
mkdirSync(join(dir, "emulator"));
writeFileSync(join(dir, "emulator", "graph.mjs"), js);
const { startGraphEmulator } = await import(pathToFileURL(join(dir, "emulator", "graph.mjs")).href);

// A throwaway certificate for 127.0.0.1, trusted by the scans (child processes) through NODE_EXTRA_CA_CERTS.
const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
  keySize: 2048,
  algorithm: "sha256",
  extensions: [
    { name: "basicConstraints", cA: true },
    { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
  ],
});
writeFileSync(join(dir, "ca.pem"), pems.cert);

const graph = await startGraphEmulator({ tls: { cert: pems.cert, key: pems.private }, apps: [{ clientId: "bench-app", clientSecret: "bench-secret-value" }] });
graph.addUser({ userPrincipalName: "finance@example.com" });
for (let i = 0; i < files; i++) {
  const rows = Array.from({ length: 4 }, (_, r) => `${i * 4 + r},user${i * 4 + r}@example.com,Pro`).join("\n");
  graph.putFile("finance@example.com", `exports/${String(i % 20).padStart(2, "0")}/export-${i}.csv`, `id,email,plan\n${rows}\n`);
}
graph.putFile("finance@example.com", "exports/00/alice.csv", "id,email\n1,alice@example.com\n");
graph.latencyMs = latencyMs;

const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"), BENCH_GRAPH_SECRET: "bench-secret-value" };
writeFileSync(
  join(dir, "straymap.yaml"),
  [
    "sources:",
    "  - id: bench",
    "    kind: graph-drive",
    `    tenantId: ${graph.tenantId}`,
    "    clientId: bench-app",
    "    clientSecret: ${BENCH_GRAPH_SECRET}",
    `    endpoint: ${graph.url}`,
    `    authorityHost: ${graph.url}`,
    "    users: [finance@example.com]",
    "",
  ].join("\n"),
);

function run(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("exit", () => resolve({ seconds: (performance.now() - started) / 1000, out: JSON.parse(out) }));
  });
}

try {
  const args = ["scan", "--customer", "alice@example.com", "--format", "json", "--no-progress"];
  console.log(`${files + 1} files in one OneDrive, ${latencyMs} ms per call…`);
  const calls = () => graph.requests.length;
  let before = calls();
  const one = await run([...args, "--concurrency", "1"]);
  const oneCalls = calls() - before;
  const onePeak = graph.peakConcurrency(before);
  before = calls();
  const many = await run(args);
  const manyCalls = calls() - before;
  const manyPeak = graph.peakConcurrency(before);
  const line = (label, r, n, peak) =>
    `${label.padEnd(26)} ${r.seconds.toFixed(1).padStart(6)} s  ${(r.out.coverage.summary.scanned / r.seconds).toFixed(0).padStart(5)} files/s  ${n} calls, at most ${peak} at once  (${r.out.findings.length} finding, ${r.out.coverage.summary.failed} failed)`;
  console.log(line("concurrency 1", one, oneCalls, onePeak));
  console.log(line(`concurrency ${DEFAULT_LIMITS.concurrency} (default)`, many, manyCalls, manyPeak));
  const ratio = one.seconds / many.seconds;
  console.log(`ratio default/1: ${ratio.toFixed(2)}x faster (goal ≥ 8x)`);
} finally {
  await graph.close();
  rmSync(dir, { recursive: true, force: true });
}
