import { describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { collect } from "../../src/index.js";
import { Engine, ScanJob } from "../../src/engine/run.js";
import { CustomerMatcher } from "../../src/match/customer.js";
import { FsSource } from "../../scanners/fs.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import type { Enumerated } from "../../src/types.js";
import { sourceContract } from "../harness/source-contract.js";
import { CLI, replaySource, scanAll, tempTree } from "../harness/helpers.js";

const statusOf = (items: { path: string; status: string; reason?: string; error?: string }[]) =>
  Object.fromEntries(items.map((e) => [e.path, `${e.status}${e.reason ? `: ${e.reason}` : ""}${e.error ? `: ${e.error}` : ""}`]));

describe("fs scanner", () => {
  it("skips hidden files, node_modules and .git by default, with a reason", async () => {
    const dir = tempTree({ "a.txt": "alice@example.com", ".env": "alice@example.com", "node_modules/x/y.txt": "alice@example.com", ".git/config": "x" });
    const r = await scanAll([dir]);
    expect(statusOf(r.coverage.items)).toEqual({
      ".env": "skipped: hidden (set hidden: true to read dot-files)",
      ".git": "skipped: hidden (set hidden: true to read dot-files)",
      "a.txt": "scanned",
      node_modules: "skipped: excluded by **/node_modules",
    });
    const withHidden = await scanAll([dir], undefined, { fs: { hidden: true } });
    expect(withHidden.findings.map((f) => f.location.path).sort()).toEqual([".env", "a.txt"]);
  });

  it("applies include and exclude globs", async () => {
    const dir = tempTree({ "a/keep.csv": "alice@example.com", "a/drop.log": "alice@example.com", "tmp/x.csv": "alice@example.com" });
    const r = await scanAll([dir], undefined, { fs: { include: ["*.csv"], exclude: ["tmp"] } });
    expect(statusOf(r.coverage.items)).toEqual({
      "a/drop.log": "skipped: not matched by include",
      "a/keep.csv": "scanned",
      tmp: "skipped: excluded by tmp",
    });
  });

  it("does not follow symlinks by default, and detects loops when it does", async () => {
    const dir = tempTree({ "real/a.txt": "alice@example.com" });
    symlinkSync(join(dir, "real"), join(dir, "real", "loop"));
    symlinkSync(join(dir, "real", "a.txt"), join(dir, "link.txt"));
    const plain = await scanAll([dir]);
    expect(statusOf(plain.coverage.items)["link.txt"]).toMatch(/skipped: symbolic link/);
    const follow = await scanAll([dir], undefined, { fs: { followSymlinks: true } });
    expect(statusOf(follow.coverage.items)).toMatchObject({ "link.txt": "scanned", "real/a.txt": "scanned", "real/loop": "skipped: symbolic link loop (points to a folder above it)" });
  });

  it("skips files over the size limit", async () => {
    const dir = tempTree({ "big.txt": "x".repeat(5000), "small.txt": "alice@example.com" });
    const r = await scanAll([dir], undefined, { limits: { maxFileSize: 1000 } });
    expect(statusOf(r.coverage.items)["big.txt"]).toMatch(/skipped: larger than limits.maxFileSize/);
  });

  it("a file that vanishes between listing and reading fails with a clear cause, and the scan goes on", async () => {
    const dir = tempTree({ "gone.csv": "alice@example.com", "stays.csv": "alice@example.com" });
    const listed: Enumerated[] = [];
    for await (const e of new FsSource("share", { path: dir, hidden: false, followSymlinks: false }, dir).enumerate({ limits: DEFAULT_LIMITS })) listed.push(e);
    rmSync(join(dir, "gone.csv"));
    const replay = replaySource("share", "fs", listed);
    const alice = { emails: ["alice@example.com"] };
    const r = await collect(new Engine(new ScanJob(new CustomerMatcher(alice), alice)).run([replay]));
    expect(statusOf(r.coverage.items)).toEqual({ "gone.csv": "failed: no such file (it may have been removed during the scan) (ENOENT)", "stays.csv": "scanned" });
    expect(r.findings.map((f) => f.location.path)).toEqual(["stays.csv"]);
  });

  // Permission bits do not stop root, so this runs the CLI as an unprivileged user when it can.
  const probe = process.getuid?.() === 0 ? spawnSync(process.execPath, [CLI, "--version"], { uid: 65534, gid: 65534 }) : undefined;
  const canDrop = probe?.status === 0;
  it.skipIf(process.getuid?.() === 0 && !canDrop)("a folder and a file that cannot be read fail with 'permission denied', the rest is scanned", () => {
    const dir = tempTree({ "open.txt": "alice@example.com", "locked.txt": "alice@example.com", "closed/x.txt": "alice@example.com" });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "open.txt"), 0o644);
    chmodSync(join(dir, "locked.txt"), 0o000);
    chmodSync(join(dir, "closed"), 0o000);
    const r = spawnSync(process.execPath, [CLI, "scan", dir, "--customer", "alice@example.com", "--format", "json"], {
      encoding: "utf8",
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    const out = JSON.parse(r.stdout);
    expect(statusOf(out.coverage.items)).toEqual({
      closed: "failed: permission denied (EACCES)",
      "locked.txt": "failed: permission denied (EACCES)",
      "open.txt": "scanned",
    });
    expect(r.status).toBe(5);
  });
});

describe("fs source contract", () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`d${i % 4}/f${i}.csv`] = i % 7 === 0 ? "email\nalice@example.com\n" : "email\nbob@example.org\n";
  files[".hidden"] = "x";
  files["node_modules/x.txt"] = "x";
  let dir: string;
  sourceContract(() => {
    dir ??= tempTree(files);
    return { create: () => new FsSource("share", { path: dir, hidden: false, followSymlinks: false }, dir), minItems: 40 };
  });
});

describe("special files", () => {
  it("skips a named pipe instead of hanging on it", async () => {
    const dir = tempTree({ "a.txt": "alice@example.com" });
    spawnSync("mkfifo", [join(dir, "pipe.csv")]);
    const r = await scanAll([dir]);
    expect(statusOf(r.coverage.items)).toEqual({ "a.txt": "scanned", "pipe.csv": "skipped: not a regular file (device, socket or pipe)" });
  });
});
