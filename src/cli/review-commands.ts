import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import { LAZY_VERBS } from "./verbs.js";
import { ConfigError, loadConfig, type Config } from "../config/load.js";
import { Store } from "../store/store.js";
import { acceptDiscovery, discoveryName, dismissDiscovery, pendingDiscoveries, recordDiscoveries, recordSweep } from "../review/discoveries.js";
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

/** A sweep that records unmapped PII places as discoveries; exit bit 8 says some are new. */
export async function sweepWithDiscoveries(config: Config, run: (after: (r: RunResult) => { bits: number; note?: string }) => Promise<number>): Promise<number> {
  const release = takeLock(dirname(config.store));
  try {
    return await run((result) => {
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
    .action((o: { config?: string }) => {
      const config = loadConfig(o.config);
      const store = Store.reader(config.store);
      try {
        const pending = pendingDiscoveries(store);
        if (!pending.length) out("No pending discovery.");
        for (const d of pending) {
          out(`${discoveryName(d.id).padEnd(6)} ${d.source}: ${d.path}${d.member ? ` → ${d.member}` : ""}  ${JSON.parse(d.pii).join(", ")}  columns ${JSON.parse(d.columns).join(", ")}  sample ${d.sample}  confidence ${d.confidence.toFixed(2)}  first seen ${d.first_seen.slice(0, 10)}, last ${d.last_seen.slice(0, 10)}`);
        }
      } finally {
        store.close();
      }
    });

  review
    .command("accept")
    .description("add a discovery's location to a system of data-map.yaml (comments kept)")
    .argument("<discovery>", "D-12")
    .option("--system <id>", "an existing system")
    .option("--new-system <id>", "create a system with this id")
    .option("--name <name>", "with --new-system")
    .option("--owner <who>", "with --new-system")
    .addOption(new Option("--action <action>", "with --new-system").choices(["delete", "anonymize", "suppress", "expire", "vendor-ticket", "manual"]).default("delete"))
    .addOption(configOption())
    .action((name: string, o: { system?: string; newSystem?: string; name?: string; owner?: string; action: string; config?: string }) => {
      if (!o.system === !o.newSystem) throw new ConfigError("say where it goes: --system ID, or --new-system ID --name NAME --owner WHO");
      if (o.newSystem && (!o.name || !o.owner)) throw new ConfigError("--new-system needs --name and --owner");
      const config = loadConfig(o.config);
      if (!config.map) throw new ConfigError(`${config.file}: map: no data map configured`);
      const store = new Store(config.store);
      try {
        const system = acceptDiscovery(store, config.map, name, o.newSystem ? { newSystem: { id: o.newSystem, name: o.name!, owner: o.owner!, action: o.action } } : { system: o.system });
        out(`${name} accepted into ${system} (${config.map})`);
      } finally {
        store.close();
      }
    });

  review
    .command("dismiss")
    .description("dismiss a discovery so it does not come back")
    .argument("<discovery>", "D-12")
    .requiredOption("--reason <why>")
    .addOption(configOption())
    .action((name: string, o: { reason: string; config?: string }) => {
      const config = loadConfig(o.config);
      const store = new Store(config.store);
      try {
        dismissDiscovery(store, name, o.reason);
        out(`${name} dismissed: ${o.reason}`);
      } finally {
        store.close();
      }
    });
}
