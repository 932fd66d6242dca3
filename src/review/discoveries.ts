import { readFileSync, writeFileSync } from "node:fs";
import type { YAMLMap, YAMLSeq } from "yaml";
import { ConfigError } from "../config/load.js";
import { yaml } from "../lazy.js";
import type { Store } from "../store/store.js";
import type { RunInput } from "../store/runs.js";
import type { Discovery } from "../store/discoveries.js";
import { UsageError } from "../errors.js";
import type { Finding } from "../types.js";

export type { Discovery } from "../store/discoveries.js";

export const discoveryName = (id: number) => `D-${id}`;

function parseName(name: string): number {
  const m = /^D-(\d+)$/i.exec(name.trim());
  if (!m) throw new UsageError(`${name}: a discovery is named like D-12`);
  return Number(m[1]);
}

/**
 * Record a sweep's PII columns in places the data map does not cover, one
 * discovery per file (or table): first and last seen, types, columns, sample.
 * Returns how many are new. Dismissed ones stay dismissed.
 */
export function recordDiscoveries(store: Store, findings: Finding[]): { fresh: number; known: number } {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.kind !== "pii-column" || f.system !== null) continue;
    const key = JSON.stringify([f.source, f.location.path, f.location.member ?? ""]);
    // Appended in place: copying the group per finding made 100,000 columns of one file take minutes.
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  const now = new Date().toISOString();
  let fresh = 0;
  let known = 0;
  store.write(() => {
    for (const [key, fs] of groups) {
      const [source, path, member] = JSON.parse(key) as [string, string, string];
      const pii = [...new Set(fs.map((f) => f.piiType!))].sort();
      const columns = [...new Set(fs.map((f) => `${f.location.sheet ? `${f.location.sheet}!` : ""}${f.location.column}`))];
      // reduce, not Math.max(...): spreading 200,000 arguments overflows the stack.
      const sample = fs.reduce((m, f) => Math.max(m, f.sample?.size ?? 0), 0);
      const confidence = fs.reduce((m, f) => Math.max(m, f.confidence), 0);
      if (store.discoveries.upsert({ source, path, member, pii, columns, sample, confidence }, now)) fresh++;
      else known++;
    }
  });
  return { fresh, known };
}

export function pendingDiscoveries(store: Store): Discovery[] {
  return store.discoveries.pending();
}

function getDiscovery(store: Store, name: string): Discovery {
  const d = store.discoveries.get(parseName(name));
  if (!d) throw new UsageError(`${name}: no such discovery`);
  return d;
}

export interface NewSystem {
  id: string;
  name: string;
  owner: string;
  action: string;
}

/**
 * Accept a discovery into the data map: its location is added to a system
 * (an existing one, or a new one), editing data-map.yaml in place so its
 * comments and layout stay as people wrote them.
 */
export function acceptDiscovery(store: Store, mapFile: string, name: string, target: { system?: string; newSystem?: NewSystem }): string {
  const d = getDiscovery(store, name);
  const doc = yaml().parseDocument(readFileSync(mapFile, "utf8"));
  const systems = doc.get("systems") as YAMLSeq | undefined;
  if (!systems) throw new ConfigError(`${mapFile}: no systems: list`);
  const location = { source: d.source, path: d.path };
  let systemId: string;
  if (target.newSystem) {
    if (systems.items.some((s) => (s as YAMLMap).get("id") === target.newSystem!.id)) throw new ConfigError(`${mapFile}: system "${target.newSystem.id}" exists; use --system`);
    systems.add(doc.createNode({ ...target.newSystem, data: JSON.parse(d.pii) as string[], locations: [location] }));
    systemId = target.newSystem.id;
  } else {
    const system = systems.items.find((s) => (s as YAMLMap).get("id") === target.system) as YAMLMap | undefined;
    if (!system) throw new ConfigError(`${mapFile}: no system "${target.system}" (use --new-system to create one)`);
    const locations = system.get("locations") as YAMLSeq | undefined;
    if (locations) locations.add(doc.createNode(location));
    else system.set("locations", doc.createNode([location]));
    systemId = target.system!;
  }
  writeFileSync(mapFile, doc.toString());
  store.discoveries.accept(d.id, systemId);
  return systemId;
}

export function dismissDiscovery(store: Store, name: string, reason: string): void {
  const d = getDiscovery(store, name);
  store.discoveries.dismiss(d.id, reason);
}

/** Keep a sweep as a run (no request): `map check` shows from it when each system was last found. */
export function recordSweep(store: Store, sources: string[], result: RunInput): void {
  store.write(() => store.runs.insert(null, "sweep", sources, result, new Date()));
}
