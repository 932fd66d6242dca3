// Benchmark: `straymap scan` over an S3 bucket on a local S3 server (s3rver):
// 10,000 small CSV objects plus a few large ones, at --concurrency 1 and at
// the default, printed as objects/s and MB/s and their ratio.
// Not a test: run with `npm run bench`. Env: BENCH_OBJECTS (default 10000), BENCH_LARGE_MB (default 20).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { DEFAULT_LIMITS } from "../dist/src/limits.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist/src/cli/straymap.js");
const objects = Number(process.env.BENCH_OBJECTS ?? 10_000);
const largeMb = Number(process.env.BENCH_LARGE_MB ?? 20);
const env = { ...process.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
Object.assign(process.env, env);

const server = spawn(process.execPath, [join(root, "test/harness/s3-server-process.mjs")], {
  stdio: ["pipe", "pipe", "inherit"],
  env: { ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --openssl-legacy-provider` },
});
const { url } = JSON.parse(await new Promise((resolve) => createInterface({ input: server.stdout }).once("line", resolve)));
const dir = mkdtempSync(join(tmpdir(), "straymap-s3bench-"));

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
  const s3 = new S3Client({ endpoint: url, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
  await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
  console.log(`uploading ${objects.toLocaleString()} small objects and 3 of ${largeMb} MB…`);
  const limit = pLimit(32);
  let bytes = 0;
  const put = (key, body) => {
    bytes += body.length;
    return limit(() => s3.send(new PutObjectCommand({ Bucket: "bench", Key: key, Body: body })));
  };
  const uploads = [];
  for (let i = 0; i < objects; i++) {
    const rows = Array.from({ length: 4 }, (_, r) => `${i * 4 + r},user${i * 4 + r}@example.com,Pro,${(i % 97) / 10}`).join("\n");
    uploads.push(put(`daily/${String(i % 100).padStart(2, "0")}/export-${i}.csv`, Buffer.from(`id,email,plan,amount\n${rows}\n`)));
  }
  const line = "2026-11-02T10:00:00Z INFO request served for someone@example.com status=200\n";
  for (let i = 0; i < 3; i++) uploads.push(put(`dumps/app-${i}.log`, Buffer.from(line.repeat(Math.ceil((largeMb * 1024 * 1024) / line.length)))));
  uploads.push(put("daily/00/alice.csv", Buffer.from("id,email\n1,alice@example.com\n")));
  await Promise.all(uploads);

  writeFileSync(join(dir, "straymap.yaml"), `sources:\n  - id: bench\n    kind: s3\n    bucket: bench\n    endpoint: ${url}\n    forcePathStyle: true\n`);
  const args = ["scan", "--customer", "alice@example.com", "--format", "json", "--no-progress"];
  const one = await run([...args, "--concurrency", "1"]);
  const many = await run(args);
  const sixteen = await run([...args, "--concurrency", "16"]);
  const mb = bytes / 1024 / 1024;
  const items = many.out.coverage.summary.scanned;
  const line1 = (label, r) => `${label.padEnd(24)} ${r.seconds.toFixed(1)} s  ${(items / r.seconds).toFixed(0)} objects/s  ${(mb / r.seconds).toFixed(1)} MB/s  (${r.out.findings.length} finding)`;
  console.log(`${items} objects, ${mb.toFixed(0)} MB`);
  console.log(line1("concurrency 1", one));
  console.log(line1(`concurrency ${DEFAULT_LIMITS.concurrency} (default)`, many));
  console.log(line1("concurrency 16", sixteen));
  console.log(`ratio default/1: ${(one.seconds / many.seconds).toFixed(2)}x faster; 16/1: ${(one.seconds / sixteen.seconds).toFixed(2)}x`);
} finally {
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
