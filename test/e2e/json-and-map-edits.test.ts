import { describe, expect, it } from "vitest";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { cli } from "../harness/helpers.js";
import { DataMap } from "../../src/map/data-map.js";
import { HAND_WRITTEN_MAP, RAW_ALICE, reviewWorkspace } from "../harness/review-workspace.js";

describe("review accept keeps data-map.yaml as people wrote it", () => {
  it("adds only lines: flow sequences, comments and long lines stay as they were", () => {
    const dir = reviewWorkspace();
    expect(cli(["sweep"], dir).code).toBe(9);
    const queue = JSON.parse(cli(["review", "-f", "json"], dir).stdout).discoveries as { name: string; path: string }[];
    const d = queue.find((x) => x.path === "customers-en.csv")!;
    expect(cli(["review", "accept", d.name, "--system", "crm-exports"], dir).code).toBe(0);
    writeFileSync(join(dir, "before.yaml"), HAND_WRITTEN_MAP);
    const changed = spawnSync("diff", [join(dir, "before.yaml"), join(dir, "data-map.yaml")], { encoding: "utf8" }).stdout.split("\n");
    const removed = changed.filter((l) => l.startsWith("<"));
    const added = changed.filter((l) => l.startsWith(">"));
    expect(removed).toEqual([]);
    expect(added).toEqual(["> " + "      - source: share", "> " + "        path: customers-en.csv"]);
  });
});

describe("review accept of a file whose name holds glob characters", () => {
  it("escapes them, so the location names that file and no other", () => {
    const dir = reviewWorkspace();
    copyFileSync(join(dir, "exports", "customers-en.csv"), join(dir, "exports", "leads[1]*.csv"));
    expect(cli(["sweep"], dir).code).toBe(9);
    const queue = JSON.parse(cli(["review", "-f", "json"], dir).stdout).discoveries as { name: string; path: string }[];
    const d = queue.find((x) => x.path === "leads[1]*.csv")!;
    expect(cli(["review", "accept", d.name, "--system", "crm-exports"], dir).code).toBe(0);
    expect(readFileSync(join(dir, "data-map.yaml"), "utf8")).toContain("path: leads\\[1\\]\\*.csv");
    const map = DataMap.load(join(dir, "data-map.yaml"));
    expect(map.systemFor("share", { uri: "", path: "leads[1]*.csv" })).toBe("crm-exports");
    expect(map.systemFor("share", { uri: "", path: "customers-en.csv" })).toBeNull();
    expect(cli(["map", "check"], dir).code).toBe(0);
  });
});

describe("ad-hoc sweeps and unconfigured sources", () => {
  it("a sweep of a PATH feeds no review queue and says so", () => {
    const dir = reviewWorkspace();
    const r = cli(["sweep", "exports", "-f", "json"], dir);
    expect(JSON.parse(r.stdout).note).toMatch(/PATHs given on the command line: nothing recorded for the review queue/);
    expect(JSON.parse(cli(["review", "-f", "json"], dir).stdout).discoveries).toEqual([]);
  });

  it("review accept refuses a discovery whose source the config does not define, saying why", () => {
    const dir = reviewWorkspace();
    expect(cli(["sweep"], dir).code).toBe(9);
    // The source is renamed in the config after the sweep: its discoveries now name a source it does not define.
    writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: finance\n    kind: fs\n    path: ./exports\nmap: data-map.yaml\n");
    const [d] = JSON.parse(cli(["review", "-f", "json"], dir).stdout).discoveries as { name: string }[];
    const r = cli(["review", "accept", d.name, "--system", "crm-exports"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${d.name} was found in source "share", which .* does not define \\(configured: finance\\)`));
    expect(readFileSync(join(dir, "data-map.yaml"), "utf8")).toBe(HAND_WRITTEN_MAP);
  });
});

describe("-f json for the review queue, map check and requests", () => {
  it("prints the same data as the tables, with no raw identifier", () => {
    const dir = reviewWorkspace();
    cli(["sweep"], dir);
    const queue = JSON.parse(cli(["review", "--format", "json"], dir).stdout).discoveries;
    expect(queue.length).toBeGreaterThan(2);
    expect(queue[0]).toMatchObject({ name: "D-1", source: "share", pii: expect.any(Array), columns: expect.any(Array), sample: expect.any(Number), confidence: expect.any(Number) });
    expect(JSON.stringify(queue)).not.toMatch(/@example\.com/);

    const map = cli(["map", "check", "-f", "json"], dir);
    expect(map.code).toBe(0);
    const view = JSON.parse(map.stdout);
    expect(view).toMatchObject({ ok: true, problems: [] });
    expect(view.systems.map((s: { id: string }) => s.id)).toEqual(["crm-exports", "backups"]);
    expect(view.systems[1]).toMatchObject({ owner: "ops@example.com", action: "expire", retention: "35d", sources: [], lastSeen: expect.stringMatching(/nothing found|never|last found/) });

    const run = (...args: string[]) => cli(args, dir, { STRAYMAP_ACTOR: "dana@example.com" });
    expect(run("request", "open", "--customer", "alice@example.com", "--id", "cus_8Hq2LmZ4", "--owner", "dana@example.com", "--received", "2020-01-01", "--jurisdiction", "gdpr").code).toBe(0);
    expect(run("request", "task", "REQ-0001", "backups", "expiring").code).toBe(0);
    const list = run("request", "list", "-f", "json");
    expect(JSON.parse(list.stdout).requests).toEqual([
      { id: "REQ-0001", status: "open", outcome: null, pendingTasks: 1, owner: "dana@example.com", due: "2020-02-01", deadline: expect.stringMatching(/^OVERDUE by \d+ days/), overdue: true },
    ]);
    const show = JSON.parse(run("request", "show", "REQ-0001", "-f", "json").stdout);
    expect(show.customer).toEqual(expect.arrayContaining([{ kind: "email", masked: "a****@example.com" }]));
    expect(show.tasks.find((t: { system: string }) => t.system === "backups")).toMatchObject({ outcome: "expiring", by: "dana@example.com", detail: { until: expect.any(String) } });
    expect(show.log).toMatchObject({ intact: true, events: 2 });
    expect(show.events.map((e: { actor: string; type: string }) => [e.actor, e.type])).toEqual([["dana@example.com", "opened"], ["dana@example.com", "task"]]);
    for (const out of [list.stdout, JSON.stringify(show)]) expect(out).not.toMatch(RAW_ALICE);
  });

  it("map check -f json links each problem to its system and exits 2", () => {
    const dir = reviewWorkspace();
    writeFileSync(join(dir, "data-map.yaml"), HAND_WRITTEN_MAP.replace("owner: ops@example.com", "owner: ''").replace("source: share", "source: nowhere"));
    const r = cli(["map", "check", "-f", "json"], dir);
    expect(r.code).toBe(2);
    const view = JSON.parse(r.stdout);
    expect(view.ok).toBe(false);
    expect(view.systems[0].problems).toEqual([expect.stringMatching(/unknown source "nowhere"/)]);
    expect(view.systems[1].problems).toEqual([expect.stringMatching(/every system needs an owner/)]);
  });
});
