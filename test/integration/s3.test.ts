import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import yazl from "yazl";
import { collect, scan } from "../../src/index.js";
import { buildConfig } from "../../src/config/load.js";
import { Engine, ScanJob } from "../../src/engine/run.js";
import { CustomerMatcher } from "../../src/match/customer.js";
import { S3Source } from "../../scanners/s3.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import type { Enumerated } from "../../src/types.js";
import { S3Proxy } from "../harness/s3-proxy.js";
import { sourceContract } from "../harness/source-contract.js";
import { ROOT, cliAsync, replaySource, tempTree } from "../harness/helpers.js";

// s3rver's fixed test credentials, through the standard AWS environment variables.
Object.assign(process.env, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });

const BUCKET = "exports";
const DAILY = 1005; // more than one listing page (1000)
let proxy: S3Proxy;
let direct: S3Client;

const put = (key: string, body: string | Buffer, extra: Record<string, unknown> = {}) =>
  direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(body), ...extra }));

function zipOf(name: string, data: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from(data), name);
    const parts: Buffer[] = [];
    z.outputStream.on("data", (c: Buffer) => parts.push(c));
    z.outputStream.on("end", () => resolve(Buffer.concat(parts)));
    z.end();
  });
}

const source = (settings: Record<string, unknown> = {}) => ({ id: "bucket", kind: "s3", bucket: BUCKET, endpoint: proxy.url, forcePathStyle: true, maxAttempts: 4, ...settings });
const configFor = (settings: Record<string, unknown> = {}) => buildConfig({ sources: [source(settings)] }, "straymap.yaml", ROOT);
const alice = { emails: ["alice@example.com"] };

beforeAll(async () => {
  direct = new S3Client({ endpoint: process.env.STRAYMAP_TEST_S3, forcePathStyle: true, region: "us-east-1", requestChecksumCalculation: "WHEN_REQUIRED" });
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const limit = pLimit(32);
  await Promise.all(Array.from({ length: DAILY }, (_, i) => limit(() => put(`daily/2026/11/part-${String(i).padStart(4, "0")}.csv`, `email\nuser${i}@example.com\n`))));
  await put("reports/2026/q3/subs.csv", "email,plan\nbob@example.com,Free\nalice@example.com,Pro\n");
  await put("reports/flaky.csv", "email\nalice@example.com\n");
  await put("private/secret.csv", "email\nalice@example.com\n");
  await put("archive/subs.csv.gz", gzipSync("email\nALICE@example.com\n"));
  await put("archive/bundle.zip", await zipOf("inner/list.txt", "write to alice@example.com"));
  await put("cold/old.csv", "email\nalice@example.com\n");
  const line = "2026-11-02T10:00:00Z INFO request served for user@example.com\n";
  await put("dumps/big.log", Buffer.concat([Buffer.from(line.repeat(Math.ceil((50 * 1024 * 1024) / line.length))), Buffer.from("2026-11-02 login alice@example.com\n")]));
  await put("sweep/customers.csv", "name,email\n" + Array.from({ length: 20 }, (_, i) => `Person ${i},p${i}@example.com`).join("\n") + "\n");
  const row = (i: number) => `${i},p${i}@example.com,${"x".repeat(60)}\n`;
  await put("sweep/huge.csv", "id,contact,pad\n" + Array.from({ length: 200_000 }, (_, i) => row(i)).join(""));
  proxy = new S3Proxy(process.env.STRAYMAP_TEST_S3!);
  await proxy.start();
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
});

describe("s3 scan", () => {
  it("finds her in nested prefixes, gzip and zip objects and a 50 MB object; lists every object across pages", async () => {
    proxy.faults = [
      { method: "GET", path: /^\/exports\/reports\/flaky\.csv$/, status: 503, code: "SlowDown", times: 2 },
      { method: "GET", path: /^\/exports\/private\//, status: 403, code: "AccessDenied", times: Infinity },
    ];
    proxy.requests.length = 0;
    const r = await collect(scan({ config: configFor({ exclude: ["sweep/**", "cold/**", "v/**", ".versions/**", "gone/**"] }), customer: alice }));
    const where = r.findings.map((f) => `${f.location.uri}${f.location.member ? `!/${f.location.member}` : ""}|${f.location.cell ?? `line ${f.location.line}`}`).sort();
    expect(where).toEqual([
      "s3://exports/archive/bundle.zip!/inner/list.txt|line 1",
      "s3://exports/archive/subs.csv.gz!/subs.csv|A2",
      `s3://exports/dumps/big.log|line ${Math.ceil((50 * 1024 * 1024) / 62) + 1}`,
      "s3://exports/reports/2026/q3/subs.csv|A3",
      "s3://exports/reports/flaky.csv|A2",
    ]);
    // Every listed object ends somewhere in coverage: the daily files span two listing pages.
    expect(r.coverage.items.filter((e) => e.path.startsWith("daily/") && e.status === "scanned")).toHaveLength(DAILY);
    expect(proxy.count("GET", /^\/exports\/?\?.*list-type=2/)).toBeGreaterThanOrEqual(2);
    // Throttling was retried by the SDK; an access-denied object failed alone, with key and cause.
    // Two throttled attempts, then one read: an object is fetched once, even with a hit in it.
    expect(proxy.count("GET", /^\/exports\/reports\/flaky\.csv(\?|$)/)).toBe(3);
    const denied = r.coverage.items.find((e) => e.path === "private/secret.csv");
    expect(denied).toMatchObject({ status: "failed", uri: "s3://exports/private/secret.csv" });
    expect(denied!.error).toMatch(/AccessDenied|Access Denied|injected/);
  }, 120_000);

  it("skips objects in archive storage classes without reading them", async () => {
    // s3rver keeps every object STANDARD: the proxy reports this one as GLACIER, as S3 would list it.
    proxy.storageClasses.set("cold/old.csv", "GLACIER");
    proxy.requests.length = 0;
    const r = await collect(scan({ config: configFor({ prefix: "cold/" }), customer: alice }));
    expect(r.coverage.items).toEqual([expect.objectContaining({ path: "old.csv", status: "skipped", reason: expect.stringMatching(/archived storage class GLACIER/) })]);
    expect(proxy.count("GET", /^\/exports\/cold\//)).toBe(0);
    proxy.storageClasses.clear();
  });

  it("an object deleted between listing and reading fails with the cause; the rest is read", async () => {
    await put("gone/a.csv", "email\nalice@example.com\n");
    await put("gone/b.csv", "email\nalice@example.com\n");
    const s3 = new S3Source("bucket", { bucket: BUCKET, prefix: "gone/", endpoint: proxy.url, forcePathStyle: true, versions: false, maxAttempts: 2 });
    const session = await s3.open({ limits: DEFAULT_LIMITS, job: "scan" });
    const listed: Enumerated[] = [];
    for await (const e of session.enumerate!({ limits: DEFAULT_LIMITS })) listed.push(e);
    await direct.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "gone/a.csv" }));
    // The items read through the session that listed them; it closes when the run ends.
    const replay = replaySource("bucket", "s3", listed, () => session.close());
    const r = await collect(new Engine(new ScanJob(new CustomerMatcher(alice), alice)).run([replay]));
    expect(r.coverage.items.find((e) => e.path === "a.csv")).toMatchObject({ status: "failed", error: expect.stringMatching(/NoSuchKey|does not exist/) });
    expect(r.findings.map((f) => f.location.path)).toEqual(["b.csv"]);
  });

  it("streams a 50 MB object with bounded memory", async () => {
    const script = `
      const { collect, scan } = await import(${JSON.stringify(join(ROOT, "dist/src/index.js"))});
      const { buildConfig } = await import(${JSON.stringify(join(ROOT, "dist/src/config/load.js"))});
      const config = buildConfig({ sources: [${JSON.stringify(source({ prefix: "dumps/" }))}] }, "s", "/tmp");
      const r = await collect(scan({ config, customer: { emails: ["alice@example.com"] } }));
      console.log(JSON.stringify({ found: r.findings.length, rss: process.resourceUsage().maxRSS }));`;
    // Not spawnSync: the proxy the child talks to runs in this process.
    const out = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env: process.env });
    const { found, rss } = JSON.parse(out.stdout);
    expect(found).toBe(1);
    // A 50 MB object held in memory as text would take over 100 MB on its own.
    expect(rss / 1024).toBeLessThan(130);
  }, 60_000);

  it("reads non-current versions when asked, and says which were deleted", async () => {
    await put("v/current.csv", "email\nbob@example.com\n");
    await put(".versions/v1", "email\nalice@example.com\n");
    await put(".versions/g1", "email\nalice@example.com\n");
    proxy.versions = [
      { key: "v/current.csv", versionId: "v2", isLatest: true, storedAt: "v/current.csv", size: 22 },
      { key: "v/current.csv", versionId: "v1", isLatest: false, storedAt: ".versions/v1", size: 24 },
      { key: "v/gone.csv", versionId: "dm1", isLatest: true, deleteMarker: true },
      { key: "v/gone.csv", versionId: "g1", isLatest: false, storedAt: ".versions/g1", size: 24 },
    ];
    const r = await collect(scan({ config: configFor({ versions: true }), customer: alice }));
    expect(r.findings.map((f) => [f.location.uri, f.location.versionId, f.location.deleted ?? false])).toEqual(
      expect.arrayContaining([
        ["s3://exports/v/current.csv?versionId=v1", "v1", false],
        ["s3://exports/v/gone.csv?versionId=g1", "g1", true],
      ]),
    );
    expect(r.findings).toHaveLength(2);
  });
});

describe("s3 source contract", () => {
  beforeAll(() => Promise.all(Array.from({ length: 30 }, (_, i) => put(`contract/f${i}.csv`, i % 5 === 0 ? "email\nalice@example.com\n" : "email\nbob@example.org\n"))));
  sourceContract(() => {
    return {
      create: () => new S3Source("bucket", { bucket: BUCKET, prefix: "contract/", endpoint: proxy.url, forcePathStyle: true, versions: false, maxAttempts: 2 }),
      minItems: 30,
    };
  });
});

describe("s3 sweep", () => {
  it("reads only the head of a big CSV (a Range GET) and says so in the finding", async () => {
    const dir = tempTree({});
    writeFileSync(join(dir, "straymap.yaml"), `sources:\n  - ${JSON.stringify(source({ prefix: "sweep/" }))}\n`);
    proxy.requests.length = 0;
    const r = await cliAsync(["sweep", "--format", "json", "--no-cache"], dir);
    const out = JSON.parse(r.stdout);
    const contact = out.findings.find((f: { location: { path: string; column: string } }) => f.location.path === "huge.csv" && f.location.column === "contact");
    expect(contact).toMatchObject({ piiType: "email", reason: "values" });
    expect(contact.evidence).toMatch(/read the first 8\.0 MiB of \d+\.\d MiB/);
    expect(proxy.requests.filter((q) => q.path.startsWith("/exports/sweep/huge.csv")).map((q) => q.range)).toEqual(["bytes=0-8388607"]);
  });

  it("is incremental: a second sweep does not download unchanged objects, and reports the same", async () => {
    const dir = tempTree({});
    writeFileSync(join(dir, "straymap.yaml"), `sources:\n  - ${JSON.stringify(source({ prefix: "sweep/" }))}\n`);
    proxy.requests.length = 0;
    const first = JSON.parse((await cliAsync(["sweep", "--format", "json"], dir)).stdout);
    const gets = () => proxy.requests.filter((q) => q.path.startsWith("/exports/sweep/")).length;
    expect(gets()).toBeGreaterThan(0);
    proxy.requests.length = 0;
    const second = JSON.parse((await cliAsync(["sweep", "--format", "json"], dir)).stdout);
    expect(gets()).toBe(0);
    expect(second.findings.map((f: { location: { column: string } }) => f.location.column).sort()).toEqual(first.findings.map((f: { location: { column: string } }) => f.location.column).sort());
    expect(second.coverage.items.every((e: { method?: string }) => e.method?.startsWith("unchanged since the last sweep"))).toBe(true);
  });
});


