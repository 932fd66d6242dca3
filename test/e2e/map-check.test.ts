import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cli, tempTree } from "../harness/helpers.js";

describe("init and map check", () => {
  it("init writes a commented config and data map that check cleanly, and the store with its key", () => {
    const dir = tempTree({});
    const r = cli(["init"], dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "straymap.yaml"), "utf8")).toMatch(/# Secrets never go here/);
    expect(readFileSync(join(dir, "data-map.yaml"), "utf8")).toMatch(/#   retention  how long it stays/);
    expect(existsSync(join(dir, ".straymap/hmac.key"))).toBe(true);
    const check = cli(["map", "check"], dir);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/nightly-backups +expire +owner ops@example.com +no scanner reaches it +never scanned/);
    expect(cli(["init"], dir).stdout).toMatch(/straymap.yaml exists: left as it is/);
  });

  it("init keeps .straymap/ out of git: .gitignore created, or the line added once", () => {
    const fresh = tempTree({});
    expect(cli(["init"], fresh).stdout).toMatch(/wrote \.straymap\/ to \.gitignore/);
    expect(readFileSync(join(fresh, ".gitignore"), "utf8")).toBe(".straymap/\n");
    const existing = tempTree({ ".gitignore": "node_modules/\n*.log" });
    expect(cli(["init"], existing).stdout).toMatch(/added \.straymap\/ to \.gitignore/);
    expect(cli(["init"], existing).stdout).toMatch(/\.gitignore already leaves out \.straymap\//);
    expect(readFileSync(join(existing, ".gitignore"), "utf8")).toBe("node_modules/\n*.log\n.straymap/\n");
  });

  it("names unknown sources, systems without an owner and overlapping locations", () => {
    const dir = tempTree({
      "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: .\nmap: data-map.yaml\n",
      "data-map.yaml": [
        "systems:",
        "  - { id: finance, name: Finance, owner: a@example.com, action: delete, locations: [{ source: share, path: 'finance/**' }] }",
        "  - { id: reports, name: Reports, owner: '', action: delete, locations: [{ source: share, path: 'finance/q3/*.csv' }] }",
        "  - { id: crm, name: CRM, owner: b@example.com, action: delete, locations: [{ source: crm-db, table: 'public.*' }] }",
      ].join("\n"),
    });
    const r = cli(["map", "check"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/systems\[1\] \(reports\)\.owner: every system needs an owner/);
    expect(r.stderr).toMatch(/systems\[2\] \(crm\)\.locations\[0\]\.source: unknown source "crm-db" \(configured: share\)/);
    expect(r.stderr).toMatch(/locations overlap: finance \(share: finance\/\*\*\) and reports \(share: finance\/q3\/\*\.csv\)/);
  });
});


