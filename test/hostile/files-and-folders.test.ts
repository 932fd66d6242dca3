import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { collect } from "../../src/index.js";
import { Engine, ScanJob } from "../../src/engine/run.js";
import { CustomerMatcher } from "../../src/match/customer.js";
import { FsSource } from "../../scanners/fs.js";
import { buildConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";
import type { Enumerated } from "../../src/types.js";
import { ALICE, cli, replaySource, scanAll, tempTree } from "../harness/helpers.js";

// Items 8 and 14 of issue 10: what sits where a file was listed, globs, links, secrets in URLs.

async function listed(dir: string): Promise<Enumerated[]> {
  const session = await new FsSource("fs", { path: dir, hidden: false, followSymlinks: false }, dir).open();
  const out: Enumerated[] = [];
  for await (const e of session.enumerate!({ limits: {} as never })) out.push(e);
  return out;
}

describe("a file replaced by a FIFO between listing and reading", () => {
  for (const size of [100, 2 * 1024 * 1024]) {
    it(`fails the item and goes on, never blocks (${size} bytes listed)`, async () => {
      const dir = tempTree({ "a.log": Buffer.alloc(size, "a"), "b.log": "alice@example.com\n" });
      const items = await listed(dir);
      rmSync(join(dir, "a.log"));
      execFileSync("mkfifo", [join(dir, "a.log")]);
      const started = Date.now();
      const r = await collect(new Engine(new ScanJob(new CustomerMatcher(ALICE), ALICE)).run([replaySource("fs", "fs", items)]));
      expect(Date.now() - started).toBeLessThan(10_000);
      const a = r.coverage.items.find((e) => e.path === "a.log");
      expect(a).toMatchObject({ status: "failed", error: "changed during the scan: now a named pipe (FIFO), not a regular file" });
      expect(r.findings.map((f) => f.location.path)).toEqual(["b.log"]);
    }, 20_000);
  }
});

describe("symbolic links leading outside the scanned folder", () => {
  it("are listed and skipped with --follow-symlinks, and followed only when allowed explicitly", async () => {
    const root = tempTree({ "outside/secret.csv": "email\nalice@example.com\n", "scanned/in.csv": "email\nbob@example.com\n", "scanned/sub/x.txt": "alice@example.com" });
    const scanned = join(root, "scanned");
    symlinkSync(join(root, "outside"), join(scanned, "out-dir"));
    symlinkSync(join(root, "outside", "secret.csv"), join(scanned, "out-file.csv"));
    symlinkSync(join(scanned, "sub"), join(scanned, "in-link"));
    const r = await scanAll([scanned], ALICE, { fs: { followSymlinks: true } });
    const by = Object.fromEntries(r.coverage.items.map((e) => [e.path, e]));
    for (const link of ["out-dir", "out-file.csv"]) {
      expect(by[link]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/leading outside the scanned folder/) });
      expect(by[link].gap).toBeUndefined();
    }
    // A link that stays inside is followed.
    expect(r.findings.map((f) => f.location.path).sort()).toEqual(["in-link/x.txt", "sub/x.txt"]);
    const allowed = await scanAll([scanned], ALICE, { fs: { followSymlinks: true, symlinksOutside: true } });
    expect(allowed.findings.map((f) => f.location.path).sort()).toEqual(["in-link/x.txt", "out-dir/secret.csv", "out-file.csv", "sub/x.txt"]);
  });

  it("the CLI says so: --follow-symlinks-outside", () => {
    const root = tempTree({ "outside/a.txt": "alice@example.com", "in/b.txt": "x" });
    symlinkSync(join(root, "outside"), join(root, "in", "link"));
    const plain = cli(["scan", join(root, "in"), "--customer", "alice@example.com", "--follow-symlinks", "--format", "json"], root);
    expect(JSON.parse(plain.stdout).findings).toEqual([]);
    const outside = cli(["scan", join(root, "in"), "--customer", "alice@example.com", "--follow-symlinks", "--follow-symlinks-outside", "--format", "json"], root);
    expect(JSON.parse(outside.stdout).findings.map((f: { location: { path: string } }) => f.location.path)).toEqual(["link/a.txt"]);
  });
});

describe("invalid globs and secrets in URLs are refused", () => {
  it("--include '[' is a usage error (exit 2), not a filter that matches nothing", () => {
    const dir = tempTree({ "a.txt": "alice@example.com" });
    for (const glob of ["[", "{a,b", "*.(csv"]) {
      const r = cli(["scan", dir, "--customer", "alice@example.com", "--include", glob], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`"${glob}" is not a valid glob`);
    }
  });

  it("a password in a PostgreSQL URL's query string is refused like one in user:password@", () => {
    const cfg = (url: string) => buildConfig({ sources: [{ id: "db", kind: "postgres", url }] }, "straymap.yaml", "/tmp");
    expect(() => cfg("postgres://app@db.example.com/crm?sslmode=require&password=hunter2")).toThrow(ConfigError);
    expect(() => cfg("postgres://app@db.example.com/crm?password=hunter2")).toThrow(/sources\[0\]\.url: the URL has a password in its query string \(password=\)/);
    expect(() => cfg("postgres://app:hunter2@db.example.com/crm")).toThrow(ConfigError);
    process.env.STRAYMAP_TEST_PW = "x";
    expect(() => cfg("postgres://app@db.example.com/crm?password=${STRAYMAP_TEST_PW}")).not.toThrow();
  });
});

describe("not a regular file at listing time", () => {
  it("a FIFO that was already there is listed and skipped, never opened", async () => {
    const dir = tempTree({ "b.txt": "alice@example.com" });
    mkdirSync(join(dir, "d"));
    execFileSync("mkfifo", [join(dir, "d", "pipe.log")]);
    const r = await scanAll([dir]);
    expect(r.coverage.items.find((e) => e.path === "d/pipe.log")).toMatchObject({ status: "skipped", reason: expect.stringMatching(/not a regular file/) });
  });
});
