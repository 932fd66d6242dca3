import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import { LAZY_VERBS } from "./verbs.js";
import { ConfigError, type Config } from "../config/load.js";
import { Store } from "../store/store.js";
import { withStore } from "../store/with-store.js";
import { ACTIONS } from "../map/data-map.js";
import { acceptDiscovery, dismissDiscovery, recordDiscoveries, recordSweep, reviewQueue } from "../review/discoveries.js";
import { EXIT } from "../report/exit-codes.js";
import type { RunResult } from "../index.js";

const out = (s: string) => process.stdout.write(`${s}\n`);

/** One sweep at a time per store: cron may start the next before the last is done. */
function takeLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "sweep.lock");
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8"));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new ConfigError(`another sweep is running (pid ${pid}, lock ${file}); this one stops`);
  }
  writeFileSync(file, String(process.pid), { mode: 0o600 });
  const release = () => rmSync(file, { force: true });
  process.once("exit", release);
  return release;
}

/** What an ad-hoc sweep (PATHs on the command line) says instead of recording discoveries. */
export const AD_HOC_NOTE = "PATHs given on the command line: nothing recorded for the review queue or map check (they follow the configured sources)";

/**
 * A sweep that records unmapped PII places as discoveries; exit bit 8 says some are new.
 * A sweep of ad-hoc PATHs records nothing: their source ("fs") is none the data map can name.
 */
export async function sweepWithDiscoveries(config: Config, adHoc: boolean, run: (after: (r: RunResult) => { bits: number; note?: string }) => Promise<number>): Promise<number> {
  const release = takeLock(dirname(config.store));
  try {
    return await run((result) => {
      if (adHoc) return { bits: 0, note: AD_HOC_NOTE };
      const store = new Store(config.store);
      try {
        const { fresh, known } = recordDiscoveries(store, result.findings);
        recordSweep(store, config.sourceIds, result);
        const note = `${fresh} new discover${fresh === 1 ? "y" : "ies"}, ${known} known (straymap review)`;
        return { bits: fresh ? EXIT.NEW_DISCOVERIES : 0, note };
      } finally {
        store.close();
      }
    });
  } finally {
    release();
  }
}

export function registerReviewCommands(program: Command): void {
  const configOption = () => new Option("-c, --config <file>", "config file (default: ./straymap.yaml)");
  const review = program
    .command("review")
    .description(LAZY_VERBS.review)
    .addOption(configOption())
    .addOption(new Option("-f, --format <format>", "output format").choices(["table", "json"]).default("table"))
    .action((o: { config?: string; format: "table" | "json" }) =>
      withStore(o.config, (_config, store) => {
        const queue = reviewQueue(store);
        if (o.format === "json") out(JSON.stringify({ discoveries: queue }, null, 2));
        else if (!queue.length) out("No pending discovery.");
        else for (const d of queue) {
          out(`${d.name.padEnd(6)} ${d.source}: ${d.path}${d.member ? ` → ${d.member}` : ""}  ${d.pii.join(", ")}  columns ${d.columns.join(", ")}  sample ${d.sample}  confidence ${d.confidence.toFixed(2)}  first seen ${d.firstSeen.slice(0, 10)}, last ${d.lastSeen.slice(0, 10)}`);
        }
      }, true),
    );

  review
    .command("accept")
    .description("add a discovery's location to a system of data-map.yaml (comments and layout kept)")
    .argument("<discovery>", "D-12")
    .option("--system <id>", "an existing system")
    .option("--new-system <id>", "create a system with this id")
    .option("--name <name>", "with --new-system")
    .option("--owner <who>", "with --new-system")
    .addOption(new Option("--action <action>", "with --new-system").choices([...ACTIONS]).default("delete"))
    .addOption(configOption())
    .action((name: string, o: { system?: string; newSystem?: string; name?: string; owner?: string; action: string; config?: string }) => {
      if (!o.system === !o.newSystem) throw new ConfigError("say where it goes: --system ID, or --new-system ID --name NAME --owner WHO");
      if (o.newSystem && (!o.name || !o.owner)) throw new ConfigError("--new-system needs --name and --owner");
      withStore(o.config, (config, store) => {
        const target = o.newSystem ? { newSystem: { id: o.newSystem, name: o.name!, owner: o.owner!, action: o.action } } : { system: o.system };
        const plan = acceptDiscovery(store, config, name, target);
        out(`${name} accepted into ${plan.system} (${plan.mapFile})`);
      });
    });

  review
    .command("dismiss")
    .description("dismiss a discovery so it does not come back")
    .argument("<discovery>", "D-12")
    .requiredOption("--reason <why>")
    .addOption(configOption())
    .action((name: string, o: { reason: string; config?: string }) =>
      withStore(o.config, (_config, store) => {
        dismissDiscovery(store, name, o.reason);
        out(`${name} dismissed: ${o.reason}`);
      }),
    );
}
