import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { FIXTURES, ROOT } from "../harness/helpers.js";

describe("library API", () => {
  it('import { scan, sweep, collect } from "straymap" yields findings and coverage as async iterables', () => {
    const script = `
      import { scan, sweep, collect } from "straymap";
      const events = [];
      for await (const e of scan({ paths: [${JSON.stringify(join(FIXTURES, "exports", "subs-2026-11.csv"))}], customer: { emails: ["alice@example.com"] } })) events.push(e.type);
      const swept = await collect(sweep({ paths: [${JSON.stringify(join(FIXTURES, "sweep", "no-header.csv"))}] }));
      console.log(JSON.stringify({ events, swept: swept.findings.map((f) => f.location.column), summary: swept.coverage.summary }));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.events.filter((t: string) => t === "finding")).toHaveLength(2);
    expect(out.events.filter((t: string) => t === "coverage")).toHaveLength(1);
    expect(out.swept).toEqual(["col3"]);
    expect(out.summary).toMatchObject({ total: 1, scanned: 1 });
  });
});
