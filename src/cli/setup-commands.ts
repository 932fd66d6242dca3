import { existsSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { LAZY_VERBS } from "./verbs.js";
import { ignoreInGit } from "./gitignore.js";
import { CONFIG_TEMPLATE, MAP_TEMPLATE } from "./init-templates.js";
import { loadConfig } from "../config/load.js";
import { mapOverview, type MapOverview } from "../map/overview.js";
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
      out("created .straymap/ (the store and its hash key hmac.key: back the key up apart from the database)");
      // The store holds requests' evidence and the key: neither belongs in the repository the map is reviewed in.
      out(ignoreInGit(".straymap/"));
    });

  program
    .command("map")
    .description(LAZY_VERBS.map)
    .command("check")
    .description("validate data-map.yaml against the config, and show what was last found per system")
    .addOption(new Option("-c, --config <file>", "config file (default: ./straymap.yaml)"))
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"))
    .action((o: { config?: string; format: "table" | "json" }) => {
      const config = loadConfig(o.config ?? "straymap.yaml");
      const store = Store.reader(config.store);
      let view: MapOverview;
      try {
        view = mapOverview(config, store);
      } finally {
        store.close();
      }
      if (!view.ok) process.exitCode = 2;
      if (o.format === "json") return void out(JSON.stringify(view, null, 2));
      for (const s of view.systems) {
        out(`${s.id.padEnd(20)} ${s.action.padEnd(13)} owner ${s.owner || "(none)"}  ${s.locations.length ? `${s.locations.length} location${s.locations.length === 1 ? "" : "s"}` : "no scanner reaches it"}  ${s.lastSeen}`);
      }
      if (view.ok) out(`${view.file}: OK`);
      else for (const p of view.problems) process.stderr.write(`${view.file}: ${p.text}\n`);
    });
}
