import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cli, tempTree } from "../harness/helpers.js";

/** A project whose one source is a CSV where she is in every cell of 20 columns on 300 rows: 2,000 findings listed, 4,000 counted. */
function project(): string {
  const columns = Array.from({ length: 20 }, (_, i) => `email_${i + 1}`);
  const rows = Array.from({ length: 300 }, () => columns.map(() => "alice@example.com").join(","));
  const dir = tempTree({ "data/export.csv": `${columns.join(",")}\n${rows.join("\n")}\n` });
  writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: share\n    kind: fs\n    path: ./data\n");
  return dir;
}

describe("scan --request whose output goes away", () => {
  it("`| head -1` ends the printing, not the run: the run is stored with what it counted", () => {
    const dir = project();
    expect(cli(["request", "open", "--customer", "alice@example.com", "--owner", "dana@example.com"], dir).code).toBe(0);
    // Far more output than a pipe holds: head exits after one line and the writes that follow fail.
    const piped = spawnSync("bash", ["-o", "pipefail", "-c", `"${process.execPath}" "${CLI}" scan --request REQ-0001 -f ndjson | head -1`], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    expect(JSON.parse(piped.stdout)).toMatchObject({ type: "begin" });
    expect(piped.stderr).toMatch(/stored as run 1 of REQ-0001/);
    const show = cli(["request", "show", "REQ-0001"], dir).stdout;
    expect(show).toMatch(/run 1 .* 2000 findings \(and 4000 more counted, not listed\)/);
    // The proof names each column with what it counted, in the system of the file's listed findings.
    const report = cli(["request", "report", "REQ-0001"], dir).stdout;
    expect(report).toMatch(/\| export\.csv \| and 200 more rows in column email\\_7 \(rows 102–301\), email ×200, not listed one by one \| email \| 200 \| unmapped copy: share:export\.csv \|/);
  });
});
