import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Readable } from "node:stream";
import { collect, scan, sweep, type RunRequest } from "../../src/index.js";
import type { CustomerQuery } from "../../src/match/customer.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(ROOT, "fixtures");
export const CLI = join(ROOT, "dist/src/cli/straymap.js");

export const ALICE: CustomerQuery = { emails: ["alice@example.com"], phones: ["+1 415 555 0132"], ids: ["cus_8Hq2LmZ4"] };

/** Folders tempTree made in this test file: removed after it (test/harness/cleanup.ts). */
export const madeFolders: string[] = [];

/** A fresh folder with the given files (path → content), removed when the test file ends. */
export function tempTree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "straymap-test-"));
  madeFolders.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

export const scanAll = (paths: string[], customer: CustomerQuery = ALICE, extra: Partial<RunRequest> = {}) =>
  collect(scan({ paths, customer, config: { ...emptyConfig() }, ...extra }));

export const sweepAll = (paths: string[], extra: Partial<RunRequest> = {}) => collect(sweep({ paths, config: emptyConfig(), ...extra }));

import { buildConfig } from "../../src/config/load.js";
export const emptyConfig = () => buildConfig({}, "test", ROOT);

/** Run the CLI as a user would, from `cwd`. */
export function cli(args: string[], cwd = ROOT, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process: needed when this process also serves the CLI (a test proxy). */
export function cliAsync(args: string[], cwd = ROOT, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 1 << 26, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export const streamOf = (data: string | Buffer) => Readable.from([Buffer.from(data)]);

import type { Source, SourceSession } from "../../src/engine/scanner.js";
import type { Enumerated } from "../../src/types.js";
/** A source that lists what another listed earlier: to change the world between listing and reading. */
export function replaySource(id: string, kind: string, listed: Enumerated[], onClose?: () => Promise<void>): Source {
  const session: SourceSession = {
    enumerate: async function* () {
      yield* listed;
    },
    close: async () => onClose?.(),
  };
  return { id, kind, open: async () => session };
}
