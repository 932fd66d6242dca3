import { describe, expect, it } from "vitest";
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, FIXTURES, tempTree } from "../harness/helpers.js";

function workspace(): string {
  const dir = tempTree({});
  cpSync(join(FIXTURES, "sweep"), join(dir, "exports"), { recursive: true });
  writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: share\n    kind: fs\n    path: ./exports\nmap: data-map.yaml\n");
  writeFileSync(
    join(dir, "data-map.yaml"),
    [
      "# Our data map. Reviewed every quarter.",
      "systems:",
      "  - id: crm-exports # the CRM's nightly export",
      "    name: CRM exports",
      "    owner: crm-lead@example.com",
      "    action: delete",
      "    locations:",
      "      - source: share",
      "        path: leads.xlsx",
      "",
    ].join("\n"),
  );
  return dir;
}

describe("nightly sweeps and the review queue", () => {
  it("records unmapped PII as discoveries; accept edits data-map.yaml keeping comments; dismissed ones stay away", () => {
    const dir = workspace();
    const first = cli(["sweep", "--format", "json"], dir);
    expect(first.code).toBe(9);
    // The store folder and everything in it, the sweep cache included, for the owner only.
    expect(statSync(join(dir, ".straymap")).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(join(dir, ".straymap"))) expect(statSync(join(dir, ".straymap", f)).mode & 0o777, f).toBe(0o600);
    const queue = cli(["review"], dir).stdout;
    // leads.xlsx is mapped: not a discovery.
    expect(queue).not.toMatch(/leads\.xlsx/);
    const id = (file: string) => new RegExp(`^(D-\\d+) +share: ${file.replace(".", "\\.")}`, "m").exec(queue)![1];

    expect(cli(["review", "accept", id("customers-en.csv"), "--system", "crm-exports"], dir).stdout).toMatch(/accepted into crm-exports/);
    expect(cli(["review", "accept", id("kunden-de.csv"), "--new-system", "de-sales", "--name", "German sales", "--owner", "de@example.com"], dir).code).toBe(0);
    expect(cli(["review", "dismiss", id("no-header.csv"), "--reason", "test fixture"], dir).code).toBe(0);

    const map = readFileSync(join(dir, "data-map.yaml"), "utf8");
    expect(map).toMatch(/^# Our data map\. Reviewed every quarter\./);
    expect(map).toMatch(/- id: crm-exports # the CRM's nightly export/);
    expect(map).toMatch(/path: customers-en\.csv/);
    expect(map).toMatch(/id: de-sales[\s\S]*owner: de@example\.com[\s\S]*path: kunden-de\.csv/);
    expect(cli(["map", "check"], dir).code).toBe(0);

    const second = JSON.parse(cli(["sweep", "--format", "json"], dir).stdout);
    expect(second.note).toMatch(/^0 new discoveries/);
    const systems = Object.fromEntries(second.findings.map((f: { location: { path: string }; system: string | null }) => [f.location.path, f.system]));
    expect(systems["customers-en.csv"]).toBe("crm-exports");
    expect(systems["kunden-de.csv"]).toBe("de-sales");
    // Sweeps are kept as runs: the map check says when each system was last found.
    expect(cli(["map", "check"], dir).stdout).toMatch(/crm-exports .* last found \d{4}-/);
    const after = cli(["review"], dir).stdout;
    expect(after).not.toMatch(/customers-en\.csv|kunden-de\.csv|no-header\.csv/);
  });

  it("refuses a second sweep while one holds the lock", () => {
    const dir = workspace();
    // A live process holding the lock: this test process.
    mkdirSync(join(dir, ".straymap"), { recursive: true });
    writeFileSync(join(dir, ".straymap", "sweep.lock"), String(process.pid));
    const r = cli(["sweep"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`another sweep is running \\(pid ${process.pid}`));
    // A lock left by a process that is gone is taken over.
    writeFileSync(join(dir, ".straymap", "sweep.lock"), "999999");
    expect(cli(["sweep"], dir).code).toBe(9);
  });
});

describe("interrupted sweeps", () => {
  it("resume where they stopped: what was swept before the interruption is not read again", async () => {
    const dir = tempTree({ "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: ./exports\n" });
    mkdirSync(join(dir, "exports"));
    for (let i = 0; i < 3000; i++) {
      const rows = ["A B", "C D", "E F", "G H", "I J"].map((n, j) => `${n},p${i}-${j}@example.com`).join("\n");
      writeFileSync(join(dir, "exports", `f${String(i).padStart(4, "0")}.csv`), `name,email\n${rows}\n`);
    }
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("../harness/helpers.js");
    // Interrupt the first sweep part-way, as Ctrl-C or a cron timeout would.
    // Findings stream out in ndjson: the first one says the sweep is under way.
    const first = spawn(process.execPath, [CLI, "sweep", "--format", "ndjson", "--concurrency", "1"], { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
    await new Promise((r) => first.stdout.once("data", r));
    first.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => first.once("exit", (c) => r(c)));
    expect(code).toBe(143);
    const second = JSON.parse(cli(["sweep", "--format", "json"], dir).stdout);
    const unchanged = second.coverage.items.filter((e: { method?: string }) => e.method?.startsWith("unchanged since the last sweep")).length;
    expect(unchanged).toBeGreaterThan(0);
    expect(unchanged).toBeLessThan(3000);
    expect(second.coverage.summary.total).toBe(3000);
  }, 60_000);
});
