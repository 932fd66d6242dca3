import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import yazl from "yazl";
import { CLI, cli, tempTree } from "../harness/helpers.js";

// Item 11 of issue 10: a zip that is not on local disk (here: inside a .gz) is
// copied to a temporary file for random access. That copy holds her data.

async function archiveInGzip(): Promise<Buffer> {
  const z = new yazl.ZipFile();
  // Many members: reading them keeps the copy in use long enough to interrupt.
  for (let i = 0; i < 1500; i++) z.addBuffer(Buffer.from(`id,email\n${i},alice@example.com\n`), `part-${i}.csv`);
  z.end();
  const parts: Buffer[] = [];
  await new Promise<void>((resolve) => {
    z.outputStream.on("data", (b: Buffer) => parts.push(b));
    z.outputStream.on("end", () => resolve());
  });
  return gzipSync(Buffer.concat(parts));
}

const copies = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith("straymap-tmp-"));

/** Start a scan of the archive with its own TMPDIR; resolves once its temporary copy exists. */
async function scanUntilCopied(dir: string, tmp: string, more: string[] = []) {
  const child = spawn(process.execPath, [CLI, "scan", dir, ...more, "--customer", "alice@example.com", "--format", "ndjson"], { cwd: dir, env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const deadline = Date.now() + 30_000;
  while (copies(tmp).length === 0) {
    if (Date.now() > deadline) throw new Error("the scan never made its temporary copy");
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, exited, stdout: () => stdout };
}

describe("temporary copies of archives", () => {
  it("are made in a 0700 folder, and removed after a normal run", async () => {
    const dir = tempTree({ "exports.zip.gz": await archiveInGzip() });
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const { exited } = await scanUntilCopied(dir, tmp);
    const [folder] = copies(tmp);
    expect(statSync(join(tmp, folder)).mode & 0o777).toBe(0o700);
    expect(await exited).toBe(1);
    expect(copies(tmp)).toEqual([]);
  }, 90_000);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`are removed when the scan is stopped with ${signal}, and with a second ${signal}`, async () => {
      const dir = tempTree({ "exports.zip.gz": await archiveInGzip() });
      const tmp = join(dir, "tmp");
      mkdirSync(tmp);
      const once = await scanUntilCopied(dir, tmp);
      once.child.kill(signal);
      expect(await once.exited).toBe(signal === "SIGINT" ? 130 : 143);
      expect(copies(tmp)).toEqual([]);
      // Twice: the process ends at once (process.exit), its exit hook still removes the copy.
      const twice = await scanUntilCopied(dir, tmp);
      twice.child.kill(signal);
      await new Promise((r) => setTimeout(r, 50));
      twice.child.kill(signal);
      await twice.exited;
      expect(copies(tmp)).toEqual([]);
    }, 120_000);
  }

  it("Ctrl-C stops inside the archive: the members not read are not searched, and the archive is a gap that says so", async () => {
    const dir = tempTree({ "exports.zip.gz": await archiveInGzip() });
    const later = tempTree({ "notes.txt": "alice@example.com" });
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const run = await scanUntilCopied(dir, tmp, [later]);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    const records = run.stdout().trim().split("\n").map((l) => JSON.parse(l) as { type: string; path?: string; member?: string; status?: string; gap?: boolean; reason?: string });
    const members = records.filter((r) => r.type === "coverage" && r.member);
    expect(members.length).toBeLessThan(1500);
    const archive = records.find((r) => r.type === "coverage" && r.path === "exports.zip.gz" && !r.member);
    expect(archive).toMatchObject({ status: "skipped", gap: true, reason: expect.stringMatching(/interrupted/) });
    // The folder after it was never listed: said as a gap of its own, so the run cannot pass for a whole one.
    expect(records).toContainEqual(expect.objectContaining({ type: "coverage", status: "skipped", gap: true, reason: expect.stringMatching(/^not searched: the scan was interrupted/) }));
    expect(records.some((r) => r.type === "finding" && JSON.stringify(r).includes("notes.txt"))).toBe(false);
  }, 90_000);

  it("left by SIGKILL, are removed by the next run", async () => {
    const dir = tempTree({ "exports.zip.gz": await archiveInGzip(), "other/a.txt": "nothing here" });
    const tmp = join(dir, "tmp");
    mkdirSync(tmp);
    const killed = await scanUntilCopied(dir, tmp);
    killed.child.kill("SIGKILL");
    await killed.exited;
    expect(copies(tmp)).toHaveLength(1);
    const next = cli(["scan", join(dir, "other"), "--customer", "alice@example.com"], dir, { TMPDIR: tmp });
    expect(next.code).toBe(0);
    expect(copies(tmp)).toEqual([]);
  }, 90_000);
});
