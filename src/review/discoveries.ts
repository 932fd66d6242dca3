import { readFileSync, writeFileSync } from "node:fs";
import type { YAMLMap, YAMLSeq } from "yaml";
import { ConfigError, type Config } from "../config/load.js";
import { yaml } from "../lazy.js";
import type { Store } from "../store/store.js";
import { actor } from "../store/actor.js";
import type { RunInput } from "../store/runs.js";
import type { Discovery } from "../store/discoveries.js";
import { ConflictError, UsageError } from "../errors.js";
import { ACTIONS, literalPath } from "../map/data-map.js";
import { lineDiff, type DiffLine } from "../map/text-diff.js";
import { rewrite, textVersion } from "../map/yaml-edit.js";
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

/** One pending discovery as people and scripts see it (`review`, `review -f json`, the web page). */
export interface QueueEntry {
  name: string;
  source: string;
  path: string;
  member: string | null;
  pii: string[];
  columns: string[];
  sample: number;
  confidence: number;
  firstSeen: string;
  lastSeen: string;
}

/** The review queue: pending discoveries, oldest first. */
export function reviewQueue(store: Store): QueueEntry[] {
  return store.discoveries.pending().map((d) => ({
    name: discoveryName(d.id),
    source: d.source,
    path: d.path,
    member: d.member || null,
    pii: JSON.parse(d.pii) as string[],
    columns: JSON.parse(d.columns) as string[],
    sample: d.sample,
    confidence: d.confidence,
    firstSeen: d.first_seen,
    lastSeen: d.last_seen,
  }));
}

/** A pending discovery; one decided meanwhile (by another process, another page) is a conflict. */
function pendingDiscovery(store: Store, name: string): Discovery {
  const d = store.discoveries.get(parseName(name));
  if (!d) throw new UsageError(`${name}: no such discovery`);
  if (d.status !== "pending") {
    const by = d.decided_by ? ` by ${d.decided_by}${d.decided_at ? ` at ${d.decided_at}` : ""}` : "";
    throw new ConflictError(`${name} was already ${d.status}${d.system ? ` into ${d.system}` : ""}${by}`);
  }
  return d;
}

export interface NewSystem {
  id: string;
  name: string;
  owner: string;
  action: string;
}

export interface AcceptTarget {
  system?: string;
  newSystem?: NewSystem;
}

/** What accepting a discovery would do to data-map.yaml: the text before and after, and the lines that change. */
export interface AcceptPlan {
  discovery: string;
  system: string;
  mapFile: string;
  /** Fingerprint of data-map.yaml as it was read: accepting refuses if the file changed since. */
  version: string;
  after: string;
  diff: DiffLine[][];
}

function mapFileOf(config: Config): string {
  if (!config.map) throw new ConfigError(`${config.file ?? "straymap.yaml"}: map: no data map configured`);
  return config.map;
}

function planFor(config: Config, d: Discovery, name: string, target: AcceptTarget): AcceptPlan {
  // An ad-hoc PATH's findings name no configured source: a location under it would fail `map check`.
  if (!config.sourceIds.includes(d.source)) {
    throw new UsageError(
      `${name} was found in source "${d.source}", which ${config.file ?? "the config"} does not define (configured: ${config.sourceIds.join(", ") || "none"}): a location under it would not match any scan. Add the source to the config and sweep it, or dismiss ${name}`,
    );
  }
  if (!target.system === !target.newSystem) throw new UsageError("say where it goes: an existing system, or a new system with its name and owner");
  if (target.newSystem) {
    const n = target.newSystem;
    if (!n.id.trim() || !n.name.trim() || !n.owner.trim()) throw new UsageError("a new system needs an id, a name and an owner");
    if (!(ACTIONS as readonly string[]).includes(n.action)) throw new UsageError(`action must be one of ${ACTIONS.join(", ")}`);
  }
  const mapFile = mapFileOf(config);
  const before = readFileSync(mapFile, "utf8");
  const doc = yaml().parseDocument(before);
  const systems = doc.get("systems") as YAMLSeq | undefined;
  if (!systems) throw new ConfigError(`${mapFile}: no systems: list`);
  const location = { source: d.source, path: literalPath(d.path) };
  let systemId: string;
  if (target.newSystem) {
    if (systems.items.some((s) => (s as YAMLMap).get("id") === target.newSystem!.id)) throw new ConfigError(`${mapFile}: system "${target.newSystem.id}" exists; accept into it instead`);
    systems.add(doc.createNode({ ...target.newSystem, data: JSON.parse(d.pii) as string[], locations: [location] }));
    systemId = target.newSystem.id;
  } else {
    const system = systems.items.find((s) => (s as YAMLMap).get("id") === target.system) as YAMLMap | undefined;
    if (!system) throw new ConfigError(`${mapFile}: no system "${target.system}" (accept it as a new system to create one)`);
    const locations = system.get("locations") as YAMLSeq | undefined;
    if (locations) locations.add(doc.createNode(location));
    else system.set("locations", doc.createNode([location]));
    systemId = target.system!;
  }
  const after = rewrite(doc, before);
  return { discovery: name, system: systemId, mapFile, version: textVersion(before), after, diff: lineDiff(before, after) };
}

/** The change to data-map.yaml accepting this discovery would make, without making it. */
export function planAccept(store: Store, config: Config, name: string, target: AcceptTarget): AcceptPlan {
  return planFor(config, pendingDiscovery(store, name), name, target);
}

/**
 * Accept a discovery into the data map: its location is added to a system
 * (an existing one, or a new one), editing data-map.yaml in place so its
 * comments and layout stay as people wrote them. Given the `version` of the
 * file a preview was made from, refuses when the file changed since.
 */
export function acceptDiscovery(store: Store, config: Config, name: string, target: AcceptTarget, previewed?: string): AcceptPlan {
  // Inside one write transaction: two reviewers accepting the same discovery cannot both write the map.
  return store.write(() => {
    const d = pendingDiscovery(store, name);
    const plan = planFor(config, d, name, target);
    if (previewed && previewed !== plan.version) throw new ConflictError(`${plan.mapFile} changed since the preview was made: look at the new diff before accepting`);
    writeFileSync(plan.mapFile, plan.after);
    store.discoveries.accept(d.id, plan.system, actor(), new Date().toISOString());
    return plan;
  });
}

export function dismissDiscovery(store: Store, name: string, reason: string): void {
  if (!reason.trim()) throw new UsageError("a dismissal needs a reason");
  store.write(() => {
    const d = pendingDiscovery(store, name);
    store.discoveries.dismiss(d.id, reason, actor(), new Date().toISOString());
  });
}

/** Keep a sweep as a run (no request): `map check` shows from it when each system was last found. */
export function recordSweep(store: Store, sources: string[], result: RunInput): void {
  store.write(() => store.runs.insert(null, "sweep", sources, result, new Date()));
}
