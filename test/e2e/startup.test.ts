import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI, tempTree } from "../harness/helpers.js";

// Issue 11 §3: a run pays only for what it uses. Timings are in bench/startup.mjs;
// this checks the cause: which packages a run loads, seen through Node's module hooks.

const SDKS = ["@aws-sdk", "googleapis", "pg", "pg-cursor", "@azure", "@microsoft", "imapflow", "better-sqlite3", "hono", "@hono", "exceljs", "mailparser", "zod", "yaml", "libphonenumber-js"];

function packagesLoaded(args: string[], cwd: string): { code: number | null; packages: Set<string> } {
  const hooks = join(cwd, "hooks.mjs");
  writeFileSync(hooks, "export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('LOADED ' + r.url); return r; }\n");
  writeFileSync(join(cwd, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  // CommonJS packages loaded with require() do not pass the ES module hooks: list them at exit too.
  writeFileSync(join(cwd, "cjs.cjs"), "process.on('exit', () => { for (const k of Object.keys(require.cache)) process._rawDebug('LOADED ' + k); });\n");
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(cwd, "register.mjs")).href, "--require", join(cwd, "cjs.cjs"), CLI, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  const packages = new Set<string>();
  for (const m of r.stderr.matchAll(/LOADED (.*)/g)) {
    const p = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m[1]);
    if (p) packages.add(p[1]);
  }
  return { code: r.status, packages };
}

const heavy = (packages: Set<string>) => [...packages].filter((p) => SDKS.some((s) => p === s || p.startsWith(`${s}/`)));

describe("start-up loads only what the run uses", () => {
  it("--help and a scan of one small file load no SDK, database driver, schema validator or YAML parser", () => {
    const dir = tempTree({ "small.csv": "id,email\n1,bob@example.com\n" });
    const help = packagesLoaded(["--help"], dir);
    expect(help.code).toBe(0);
    expect(heavy(help.packages)).toEqual([]);
    const scan = packagesLoaded(["scan", join(dir, "small.csv"), "--customer", "alice@example.com"], dir);
    expect(scan.code).toBe(0);
    expect(heavy(scan.packages)).toEqual([]);
  });

  it("a source's SDK loads when a source of its kind runs (the hooks see it)", () => {
    const dir = tempTree({ "straymap.yaml": "sources:\n  - id: db\n    kind: postgres\n    url: postgres://nobody@127.0.0.1:1/none\n" });
    const run = packagesLoaded(["scan", "--customer", "alice@example.com"], dir);
    expect(run.code).toBe(4);
    expect(heavy(run.packages)).toContain("pg");
    expect(heavy(run.packages)).not.toContain("@aws-sdk/client-s3");
  });
});
