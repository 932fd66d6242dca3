import { existsSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { LAZY_VERBS } from "./verbs.js";
import { CONFIG_TEMPLATE, MAP_TEMPLATE } from "./init-templates.js";
import { checkMap, lastSeen } from "../map/map-check.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { DataMap } from "../map/data-map.js";
import { Store } from "../store/store.js";

const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);

/** `init` and `map check`: setting a project up, apart from requests. */
export function registerSetupCommands(program: Command): void {
  program
    .command("init")
    .description(LAZY_VERBS.init)
    .option("--force", "overwrite files that exist")
    .action((o: { force?: boolean }) => {
      for (const [file, text] of [["straymap.yaml", CONFIG_TEMPLATE], ["data-map.yaml", MAP_TEMPLATE]] as const) {
        if (existsSync(file) && !o.force) {
          out(`${file} exists: left as it is (--force overwrites)`);
          continue;
        }
        writeFileSync(file, text);
        out(`wrote ${file}`);
      }
      // The store and its HMAC key are created now, so the key exists (and can be backed up) before any request.
      new Store(loadConfig("straymap.yaml").store).close();
      out("created .straymap/ (the store and its hash key hmac.key: keep the key out of git, and back it up apart from the database)");
    });

  program
    .command("map")
    .description(LAZY_VERBS.map)
    .command("check")
    .description("validate data-map.yaml against the config, and show what was last found per system")
    .addOption(new Option("-c, --config <file>", "config file (default: ./straymap.yaml)"))
    .action((o: { config?: string }) => {
      const config = loadConfig(o.config ?? "straymap.yaml");
      if (!config.map) throw new ConfigError(`${config.file}: map: no data map configured`);
      const map = DataMap.load(config.map);
      const problems = checkMap(map, config.sourceIds);
      const store = Store.reader(config.store);
      try {
        for (const s of map.systems) {
          const last = lastSeen(store, s.id);
          out(`${s.id.padEnd(20)} ${s.action.padEnd(13)} owner ${s.owner || "(none)"}  ${s.locations.length ? `${s.locations.length} location${s.locations.length === 1 ? "" : "s"}` : "no scanner reaches it"}  ${last}`);
        }
      } finally {
        store.close();
      }
      if (problems.length) {
        for (const p of problems) process.stderr.write(`${config.map}: ${p}\n`);
        process.exitCode = 2;
      } else out(`${config.map}: OK`);
    });
}
