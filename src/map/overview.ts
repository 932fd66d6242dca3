import { ConfigError, type Config } from "../config/load.js";
import type { Store } from "../store/store.js";
import { DataMap, type DataMapSystem } from "./data-map.js";
import { checkMap, lastSeen, type MapProblem } from "./map-check.js";

/** One system as `map check` (table and JSON) and the web page show it. */
export interface SystemView {
  id: string;
  name: string;
  owner: string;
  data: string[];
  action: DataMapSystem["action"];
  retention: string | null;
  kind: string | null;
  locations: DataMapSystem["locations"];
  /** The sources whose scans reach it ("*" any); empty for backups and vendors no scanner reaches. */
  sources: string[];
  /** When a stored run last found something in it, in words ("last found …", "never scanned"). */
  lastSeen: string;
  problems: string[];
}

export interface MapOverview {
  file: string;
  systems: SystemView[];
  problems: MapProblem[];
  ok: boolean;
}

/** The data map with what `map check` says about it, and when each system was last found by a stored run. */
export function mapOverview(config: Config, store: Store): MapOverview {
  if (!config.map) throw new ConfigError(`${config.file ?? "straymap.yaml"}: map: no data map configured`);
  const map = DataMap.load(config.map);
  const problems = checkMap(map, config.sourceIds);
  const systems = map.systems.map((s) => ({
    id: s.id,
    name: s.name,
    owner: s.owner,
    data: s.data,
    action: s.action,
    retention: s.retention ?? null,
    kind: s.kind ?? null,
    locations: s.locations,
    sources: [...new Set(s.locations.map((l) => l.source))],
    lastSeen: lastSeen(store, s.id),
    problems: problems.filter((p) => p.systems.includes(s.id)).map((p) => p.text),
  }));
  return { file: config.map, systems, problems, ok: problems.length === 0 };
}
