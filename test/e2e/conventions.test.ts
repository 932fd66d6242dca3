import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cli, FIXTURES, tempTree } from "../harness/helpers.js";
import { IgnoreRules } from "../../src/sources/ignore-file.js";
import { didYouMean } from "../../src/config/explain.js";
import { StdinSource } from "../../src/sources/stdin.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";

const SUBS = join(FIXTURES, "exports", "subs-2026-11.csv");

/** Run the CLI with text on its standard input. */
function withStdin(args: string[], input: string | Buffer, cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", COLUMNS: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("- reads standard input", () => {
  it("finds her in what is piped in, and names the place -", () => {
    const r = withStdin(["scan", "-", "--customer", "alice@example.com", "-f", "json"], "2026-11-03 mail sent to alice@example.com\nnothing here\n");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0].location).toMatchObject({ path: "-", line: 1, col: "2026-11-03 mail sent to ".length + 1 });
    expect(out.coverage.items).toEqual([expect.objectContaining({ path: "-", status: "scanned" })]);
  });

  it("more than the in-memory limit is a failed item with a clear message, not a copy on disk", async () => {
    const { Readable } = await import("node:stream");
    const source = new StdinSource("fs", Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000);
    const session = await source.open();
    const listed = [];
    for await (const e of session.enumerate!({ limits: DEFAULT_LIMITS })) listed.push(e);
    expect(listed).toEqual([{ settled: expect.objectContaining({ path: "-", status: "failed", error: expect.stringMatching(/standard input is over .* MiB: save it to a file/) }) }]);
  });

  it("nothing found in standard input: exit 0", () => {
    expect(withStdin(["scan", "-", "--customer", "alice@example.com"], "bob@example.com\n").code).toBe(0);
  });
});

describe("exit codes for scripts that only want the report", () => {
  it("--no-fail exits 0 when something was found and when the search was incomplete", () => {
    expect(cli(["scan", SUBS, "--customer", "alice@example.com"]).code).toBe(1);
    expect(cli(["scan", SUBS, "--customer", "alice@example.com", "--no-fail"]).code).toBe(0);
    expect(cli(["scan", join(FIXTURES, "exports", "bad"), "--customer", "alice@example.com", "--no-fail"]).code).toBe(0);
  });

  it("--exit-code N replaces the found/incomplete codes, not 0 and not usage errors", () => {
    expect(cli(["scan", SUBS, "--customer", "alice@example.com", "--exit-code", "42"]).code).toBe(42);
    expect(cli(["scan", SUBS, "--customer", "nobody@example.com", "--exit-code", "42"]).code).toBe(0);
    expect(cli(["scan", SUBS, "--exit-code", "42"]).code).toBe(2);
    expect(cli(["scan", SUBS, "--customer", "alice@example.com", "--exit-code", "x"]).code).toBe(2);
  });
});

describe("shell completion", () => {
  it("bash: the script loads and completes verbs, options and --format values", () => {
    const script = cli(["completion", "bash"]).stdout;
    const complete = (line: string) => {
      const words = line.split(" ");
      const probe = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_straymap_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync("bash", ["-c", probe], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      return r.stdout.trim().split("\n");
    };
    expect(complete("straymap sw")).toEqual(["sweep"]);
    expect(complete("straymap scan --cust")).toEqual(["--customer"]);
    expect(complete("straymap scan --format ")).toEqual(["table", "json", "ndjson", "csv", "sarif"]);
    expect(complete("straymap request o")).toEqual(["open"]);
  });

  const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

  it.skipIf(!has("fish"))("fish: the script loads and completes verbs, options and --format values", () => {
    const dir = tempTree({ "straymap.fish": cli(["completion", "fish"]).stdout });
    const complete = (line: string) => {
      const r = spawnSync("fish", ["--no-config", "-c", `source ${join(dir, "straymap.fish")}; complete -C '${line}'`], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      return r.stdout.trim().split("\n").map((l) => l.split("\t")[0]);
    };
    expect(complete("straymap swe")).toEqual(["sweep"]);
    expect(complete("straymap scan --format ").sort()).toEqual(["csv", "json", "ndjson", "sarif", "table"]);
    expect(complete("straymap request o")).toEqual(["open"]);
  });

  it.skipIf(!has("zsh"))("zsh: the script parses and offers verbs, subcommands and --format values", () => {
    const dir = tempTree({ _straymap: cli(["completion", "zsh"]).stdout });
    const offered = (words: string[]) => {
      // compadd stands in for zsh's completion system: it prints what would be offered.
      const probe = `compdef() { : }; _files() { echo FILES }; compadd() { shift; print -l -- "$@" }
source ${join(dir, "_straymap")}
words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; _straymap`;
      const r = spawnSync("zsh", ["-f", "-c", probe], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      return r.stdout.trim().split("\n");
    };
    expect(offered(["straymap", ""])).toEqual(expect.arrayContaining(["scan", "sweep", "request", "review"]));
    expect(offered(["straymap", "scan", "--format", ""])).toEqual(["table", "json", "ndjson", "csv", "sarif"]);
    expect(offered(["straymap", "request", ""])).toEqual(expect.arrayContaining(["open", "close", "report"]));
    expect(offered(["straymap", "scan", ""])).toEqual(["FILES"]);
  });

  it("zsh and fish scripts name every verb", () => {
    for (const shell of ["zsh", "fish"]) {
      const script = cli(["completion", shell]).stdout;
      for (const verb of ["scan", "sweep", "rules", "check", "review", "request"]) expect(script, `${shell} ${verb}`).toContain(verb);
    }
    expect(cli(["completion", "fish"]).stdout).toMatch(/complete -c straymap -n '__fish_seen_subcommand_from scan' -l format -x -a 'table json ndjson csv sarif'/);
    expect(cli(["completion", "tcsh"]).code).toBe(2);
  });
});

describe(".straymapignore", () => {
  it("leaves out what its gitignore-style lines say, each listed with the line that did it", () => {
    const dir = tempTree({
      ".straymapignore": "# exports we may not read\n*.bak\ntmp/\n/top-only.csv\narchive/**\n!archive/keep.csv\n",
      "a.csv": "email\nalice@example.com\n",
      "old.csv.bak": "alice@example.com\n",
      "tmp/x.csv": "email\nalice@example.com\n",
      "top-only.csv": "email\nalice@example.com\n",
      "sub/top-only.csv": "email\nalice@example.com\n",
      "archive/drop.csv": "email\nalice@example.com\n",
      "archive/keep.csv": "email\nalice@example.com\n",
    });
    const out = JSON.parse(cli(["scan", dir, "--customer", "alice@example.com", "-f", "json"]).stdout);
    expect(out.findings.map((f: { location: { path: string } }) => f.location.path).sort()).toEqual(["a.csv", "archive/keep.csv", "sub/top-only.csv"]);
    const reasons = Object.fromEntries(out.coverage.items.filter((e: { status: string }) => e.status === "skipped").map((e: { path: string; reason: string }) => [e.path, e.reason]));
    expect(reasons).toMatchObject({
      "old.csv.bak": "ignored by .straymapignore line 2 (*.bak)",
      tmp: "ignored by .straymapignore line 3 (tmp/)",
      "top-only.csv": "ignored by .straymapignore line 4 (/top-only.csv)",
      "archive/drop.csv": "ignored by .straymapignore line 5 (archive/**)",
    });
    const all = JSON.parse(cli(["scan", dir, "--customer", "alice@example.com", "-f", "json", "--no-ignore-file"]).stdout);
    expect(all.findings).toHaveLength(7); // every file, the .bak one included
  });

  it("is read by configured folder sources too, unless ignoreFile: false", () => {
    const dir = tempTree({ "data/.straymapignore": "skip.csv\n", "data/skip.csv": "email\nalice@example.com\n", "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: data\n" });
    expect(JSON.parse(cli(["scan", "--customer", "alice@example.com", "-f", "json"], dir).stdout).findings).toHaveLength(0);
    writeFileSync(join(dir, "straymap.yaml"), "sources:\n  - id: share\n    kind: fs\n    path: data\n    ignoreFile: false\n");
    expect(JSON.parse(cli(["scan", "--customer", "alice@example.com", "-f", "json"], dir).stdout).findings).toHaveLength(1);
  });

  it("gitignore meaning: folders-only lines, anchors, negation, last match wins", () => {
    const rules = IgnoreRules.parse("logs/\n/root.txt\n*.tmp\n!important.tmp\ndocs/**/draft*\n\\#hash\n", ".straymapignore");
    expect(rules.reason("logs", true)).toMatch(/line 1/);
    expect(rules.reason("logs", false)).toBeUndefined(); // a file named logs is not a folder
    expect(rules.reason("a/logs/x.txt", false)).toMatch(/line 1/);
    expect(rules.reason("root.txt", false)).toMatch(/line 2/);
    expect(rules.reason("sub/root.txt", false)).toBeUndefined();
    expect(rules.reason("x/y.tmp", false)).toMatch(/line 3/);
    expect(rules.reason("x/important.tmp", false)).toBeUndefined();
    expect(rules.reason("docs/a/b/draft-1.md", false)).toMatch(/line 5/);
    expect(rules.reason("#hash", false)).toMatch(/line 6/);
  });
});

describe("sweep --baseline", () => {
  it("columns in the baseline stop reappearing; new ones still show", () => {
    const here = tempTree({});
    const first = cli(["sweep", join(FIXTURES, "sweep"), "-f", "json"], here);
    const all = JSON.parse(first.stdout).findings as { fingerprint: string; location: { path: string } }[];
    expect(all.length).toBeGreaterThan(2);
    // Accept all but one: that one must still be reported.
    const kept = all.slice(1);
    writeFileSync(join(here, "baseline.json"), JSON.stringify({ findings: kept }));
    const again = JSON.parse(cli(["sweep", join(FIXTURES, "sweep"), "-f", "json", "--baseline", "baseline.json"], here).stdout);
    expect(again.findings.map((f: { fingerprint: string }) => f.fingerprint)).toEqual([all[0].fingerprint]);
    // The same from one fingerprint a line, and from ndjson output.
    writeFileSync(join(here, "baseline.txt"), `# accepted\n${all.map((f) => f.fingerprint).join("\n")}\n`);
    const none = cli(["sweep", join(FIXTURES, "sweep"), "--baseline", "baseline.txt"], here);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/No column with personal data found/);
    writeFileSync(join(here, "baseline.ndjson"), cli(["sweep", join(FIXTURES, "sweep"), "-f", "ndjson"], here).stdout);
    expect(JSON.parse(cli(["sweep", join(FIXTURES, "sweep"), "-f", "json", "--baseline", "baseline.ndjson"], here).stdout).findings).toHaveLength(0);
  });

  it("a missing or malformed baseline is a usage error naming the file", () => {
    const here = tempTree({ "bad.txt": "not-a-fingerprint\n" });
    expect(cli(["sweep", join(FIXTURES, "sweep"), "--baseline", "nope.json"], here)).toMatchObject({ code: 2, stderr: expect.stringMatching(/--baseline nope\.json: no such file/) });
    expect(cli(["sweep", join(FIXTURES, "sweep"), "--baseline", "bad.txt"], here)).toMatchObject({ code: 2, stderr: expect.stringMatching(/bad\.txt: line 1/) });
  });
});

describe("check", () => {
  it("names a folder that does not exist by its full path and config key (exit 2)", () => {
    const dir = tempTree({ "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: ./exports\n" });
    const r = cli(["check"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`sources[0].path (share): ${join(dir, "exports")}: does not exist`);
    writeFileSync(join(dir, "x"), "");
    const ok = cli(["check"], tempTree({ "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: .\n" }));
    expect(ok.code).toBe(0);
  });

  it("names a data map that does not exist", () => {
    const r = cli(["check"], tempTree({ "straymap.yaml": "map: data-map.yaml\n" }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/map: .*data-map\.yaml does not exist/);
  });

  it("--connect opens each source and lists what it reaches; an unset secret is 'not checked', not a failure of every command", () => {
    const dir = tempTree({
      "data/a.csv": "x\n",
      "straymap.yaml": "sources:\n  - id: share\n    kind: fs\n    path: data\n  - id: db\n    kind: postgres\n    host: 127.0.0.1\n    user: u\n    database: d\n    password: ${STRAYMAP_TEST_UNSET_PW}\n",
    });
    const plain = cli(["check"], dir);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/db \(postgres[^\n]*\n\s+not checked: sources\[1\]\.password: environment variable STRAYMAP_TEST_UNSET_PW is not set/);
    const connect = cli(["check", "--connect"], dir);
    expect(connect.stdout).toMatch(/share \(fs[^\n]*\n\s+reachable; first item: a\.csv/);
    expect(connect.code).toBe(4);
    // Commands that do not run that source work without the variable.
    expect(cli(["rules"], dir).code).toBe(0);
    expect(cli(["scan", "--source", "share", "--customer", "alice@example.com"], dir).code).toBe(0);
  });
});

describe("config messages", () => {
  it("every problem at once, in plain words, with 'did you mean' for typos", () => {
    const dir = tempTree({
      "straymap.yaml": "limits:\n  maxRaito: 3\n  concurrency: 0\nsources:\n  - id: a\n    kind: fss\n    path: x\n  - id: b\n    kind: fs\n    pth: ./data\n",
    });
    const r = cli(["check"], dir);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(5);
    expect(r.stderr).toContain("limits.maxRaito: unknown key (did you mean maxRatio?)");
    expect(r.stderr).toContain("limits.concurrency: must be at least 1");
    expect(r.stderr).toContain('sources[0].kind: unknown kind "fss" (did you mean fs?');
    expect(r.stderr).toContain("sources[1].pth: unknown key (did you mean path?)");
    expect(r.stderr).toContain("sources[1].path: required, and missing (text)");
    expect(r.stderr).not.toMatch(/Invalid input|Too small|Unrecognized/);
  });

  it("did-you-mean only for near names", () => {
    expect(didYouMean("maxRaito", ["maxRatio", "maxDepth"])).toBe("maxRatio");
    expect(didYouMean("PhoneRegion", ["phoneRegion"])).toBe("phoneRegion");
    expect(didYouMean("banana", ["sources", "limits"])).toBeUndefined();
  });
});

describe("rules -f json", () => {
  it("lists the rules in force as JSON", () => {
    const r = cli(["rules", "-f", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const email = out.rules.find((x: { id: string }) => x.id === "email");
    expect(email).toMatchObject({ piiType: "email", validator: true });
    expect(email.headerPhrases).toContain("email");
    expect(readFileSync(join(FIXTURES, "..", "rules", "pii.yaml"), "utf8")).toContain(`id: ${out.rules[0].id}`);
  });
});
