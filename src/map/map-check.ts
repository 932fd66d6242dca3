import picomatch from "picomatch";
import type { Store } from "../store/store.js";
import type { DataMap } from "./data-map.js";

/** One problem of a data map, and the systems it is about (to link it to them). */
export interface MapProblem {
  text: string;
  systems: string[];
}

/** What is wrong with a data map beyond its shape: unknown sources, systems nobody owns, locations claimed twice. */
export function checkMap(map: DataMap, sourceIds: string[]): MapProblem[] {
  const problems: MapProblem[] = [];
  const problem = (text: string, ...systems: string[]) => problems.push({ text, systems });
  const seen = new Map<string, string>();
  map.systems.forEach((s, i) => {
    if (seen.has(s.id)) problem(`systems[${i}].id: "${s.id}" is used by another system`, s.id);
    seen.set(s.id, s.id);
    if (!s.owner.trim()) problem(`systems[${i}] (${s.id}).owner: every system needs an owner`, s.id);
    s.locations.forEach((l, j) => {
      if (l.source !== "*" && !sourceIds.includes(l.source)) {
        problem(`systems[${i}] (${s.id}).locations[${j}].source: unknown source "${l.source}" (configured: ${sourceIds.join(", ") || "none"})`, s.id);
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
        problem(`locations overlap: ${x.system} (${x.source}: ${x.glob}) and ${y.system} (${y.source}: ${y.glob})`, x.system, y.system);
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
