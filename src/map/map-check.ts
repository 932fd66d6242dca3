import picomatch from "picomatch";
import type { Store } from "../store/store.js";
import type { DataMap } from "./data-map.js";

/** What is wrong with a data map beyond its shape: unknown sources, systems nobody owns, locations claimed twice. */
export function checkMap(map: DataMap, sourceIds: string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  map.systems.forEach((s, i) => {
    if (seen.has(s.id)) problems.push(`systems[${i}].id: "${s.id}" is used by another system`);
    seen.set(s.id, s.id);
    if (!s.owner.trim()) problems.push(`systems[${i}] (${s.id}).owner: every system needs an owner`);
    s.locations.forEach((l, j) => {
      if (l.source !== "*" && !sourceIds.includes(l.source)) {
        problems.push(`systems[${i}] (${s.id}).locations[${j}].source: unknown source "${l.source}" (configured: ${sourceIds.join(", ") || "none"})`);
      }
    });
  });
  // Two systems claiming the same place: each location's glob tried against the other's literal prefix.
  const all = map.systems.flatMap((s) => s.locations.map((l) => ({ system: s.id, source: l.source, glob: l.path ?? l.table ?? "**" })));
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      const x = all[a];
      const y = all[b];
      if (x.system === y.system || (x.source !== y.source && x.source !== "*" && y.source !== "*")) continue;
      const sample = (g: string) => g.replace(/\*\*\/?/g, "any/").replace(/\*/g, "any").replace(/\?/g, "a");
      if (picomatch(x.glob, { dot: true })(sample(y.glob)) || picomatch(y.glob, { dot: true })(sample(x.glob))) {
        problems.push(`locations overlap: ${x.system} (${x.source}: ${x.glob}) and ${y.system} (${y.source}: ${y.glob})`);
      }
    }
  }
  return problems;
}

/** When a system was last scanned with a finding in it, from the stored runs. */
export function lastSeen(store: Store, system: string): string {
  const { lastRun, lastFound } = store.runs.lastSeen(system);
  if (!lastRun) return "never scanned";
  return lastFound ? `last found ${lastFound}` : `nothing found (last scan ${lastRun})`;
}
