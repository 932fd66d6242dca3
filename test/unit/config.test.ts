import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { buildConfig, ConfigError, loadConfig } from "../../src/config/load.js";
import { DataMap } from "../../src/map/data-map.js";
import { collect, scan } from "../../src/index.js";
import { FIXTURES, ROOT, tempTree } from "../harness/helpers.js";

const build = (raw: unknown) => buildConfig(raw, "straymap.yaml", ROOT);
const error = (raw: unknown) => {
  try {
    build(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("config validation", () => {
  it("loads the sample config with its sources, map and rules", () => {
    const c = loadConfig(join(FIXTURES, "straymap.yaml"));
    expect(c.sourceIds).toEqual(["finance-share", "support-mail", "sweep-samples"]);
    expect(c.map).toBe(join(FIXTURES, "data-map.yaml"));
    expect(c.limits.maxFileSize).toBe(2 * 1024 ** 3);
  });

  it.each([
    [{ sources: [{ id: "a", kind: "ftp" }] }, /sources\[0\]\.kind: unknown kind "ftp" \(known: fs/],
    [{ sources: [{ id: "a", kind: "fs" }] }, /sources\[0\]\.path: /],
    [{ sources: [{ id: "a", kind: "fs", path: ".", colour: "red" }] }, /sources\[0\]\.colour: unknown key \(known here: path, include/],
    [{ sources: [{ id: "bad id!", kind: "fs", path: "." }] }, /sources\[0\]\.id: use letters/],
    [{ sources: [{ id: "a", kind: "fs", path: "." }, { id: "a", kind: "fs", path: "." }] }, /sources\[1\]\.id: "a" is used by another source/],
    [{ limits: { maxFileSize: "lots" } }, /limits\.maxFileSize: "lots" is not a size/],
    [{ limits: { concurrency: 0 } }, /limits\.concurrency: /],
    [{ limits: { maxFindingsPerColumn: 0 } }, /limits\.maxFindingsPerColumn: /],
    [{ limtis: {} }, /limtis: unknown key \(did you mean limits\?\)/],
    [{ phoneRegion: "USA" }, /phoneRegion: use a two-letter region/],
    [{ rules: [{ id: "x", values: { validator: "astrology" } }] }, /rules\[0\]\.values\.validator/],
    [{ sources: [{ id: "a", kind: "fs", path: ".", password: "hunter2" }] }, /sources\[0\]\.password: secrets must not be written in the config/],
  ])("%j is refused, naming the key", (raw, message) => {
    expect(error(raw)).toMatch(message);
  });

  it("needs a source's environment variables only when that source runs", async () => {
    const config = build({ sources: [{ id: "a", kind: "fs", path: "${STRAYMAP_TEST_UNSET}" }, { id: "b", kind: "fs", path: join(FIXTURES, "sweep") }] });
    expect(config.sourceIds).toEqual(["a", "b"]);
    // Running the other source works; running this one is a configuration error naming the key.
    const other = await collect(scan({ config, sources: ["b"], customer: { emails: ["nobody@example.org"] } }));
    expect(other.coverage.summary.failed).toBe(0);
    expect(() => scan({ config, sources: ["a"], customer: { emails: ["nobody@example.org"] } })).toThrow(/sources\[0\]\.path: environment variable STRAYMAP_TEST_UNSET is not set/);
  });

  it("fills ${ENV} references from the environment", () => {
    process.env.STRAYMAP_TEST_DIR = FIXTURES;
    expect(() => build({ sources: [{ id: "a", kind: "fs", path: "${STRAYMAP_TEST_DIR}/exports" }] })).not.toThrow();
  });

  it("reports a YAML syntax error with the file name", () => {
    const dir = tempTree({ "straymap.yaml": "sources: [\n  - id: x\n" });
    expect(() => loadConfig(join(dir, "straymap.yaml"))).toThrow(/straymap.yaml: not valid YAML/);
  });

  it("a missing --config file is an error; no straymap.yaml in the working directory is an empty config", () => {
    expect(() => loadConfig("/nonexistent/straymap.yaml")).toThrow(/no such config file/);
  });
});

describe("data map", () => {
  it("ties locations to systems by source and path glob", () => {
    const map = DataMap.load(join(FIXTURES, "data-map.yaml"));
    expect(map.systemFor("finance-share", { uri: "", path: "subs-2026-11.csv" })).toBe("finance-exports");
    expect(map.systemFor("support-mail", { uri: "", path: "inbox.mbox" })).toBe("support-desk");
    expect(map.systemFor("finance-share", { uri: "", path: "app.log" })).toBeNull();
  });

  it("refuses a map entry with an unknown action, naming where", () => {
    const dir = tempTree({ "m.yaml": "systems:\n  - id: x\n    name: X\n    owner: o@example.com\n    action: shred\n" });
    expect(() => DataMap.load(join(dir, "m.yaml"))).toThrow(/systems\[0\]\.action/);
  });
});
