import { readFileSync } from "node:fs";
import picomatch from "picomatch";
import { memo, yaml, zod } from "../lazy.js";
import { ConfigError } from "../config/load.js";
import type { Location } from "../types.js";

export const ACTIONS = ["delete", "anonymize", "suppress", "expire", "vendor-ticket", "manual"] as const;

/** One system of the data map (data-map.yaml). */
export interface DataMapSystem {
  id: string;
  name: string;
  owner: string;
  data: string[];
  origin?: string;
  retention?: string;
  action: (typeof ACTIONS)[number];
  /** live, logs, support, billing, analytics, export, backup, staging, vendor… */
  kind?: string;
  locations: { source: string; path?: string; table?: string }[];
  notes?: string;
}

const mapSchema = memo(() => {
  const z = zod();
  const location = z.object({ source: z.string().min(1), path: z.string().optional(), table: z.string().optional() }).strict();
  const system = z
    .object({
      id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i),
      name: z.string(),
      owner: z.string(),
      data: z.array(z.string()).default([]),
      origin: z.string().optional(),
      retention: z.string().optional(),
      action: z.enum(ACTIONS),
      kind: z.string().optional(),
      locations: z.array(location).default([]),
      notes: z.string().optional(),
    })
    .strict();
  return z.object({ systems: z.array(system) }).strict();
});

/**
 * A location's `path` is a glob: a file whose name holds glob characters
 * (`*.csv`, `report[1].csv`) is written with them escaped, so it names that file alone.
 */
export function literalPath(path: string): string {
  return path.replace(/[\\*?[\]{}()!+@]/g, "\\$&");
}

/** The team's data map (data-map.yaml): which system each found location belongs to. */
export class DataMap {
  private readonly matchers: { system: string; source: string; match: (p: string) => boolean }[];

  constructor(readonly systems: DataMapSystem[]) {
    this.matchers = systems.flatMap((s) =>
      s.locations.map((l) => ({ system: s.id, source: l.source, match: picomatch(l.path ?? l.table ?? "**", { dot: true }) })),
    );
  }

  static load(file: string): DataMap {
    let raw: unknown;
    try {
      raw = yaml().parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new ConfigError(`${file}: ${(e as Error).message.split("\n")[0]}`);
    }
    const parsed = mapSchema().safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      const where = i.path.reduce<string>((a, p) => (typeof p === "number" ? `${a}[${p}]` : a ? `${a}.${String(p)}` : String(p)), "");
      throw new ConfigError(`${file}: ${where || "(top level)"}: ${i.message}`);
    }
    return new DataMap(parsed.data.systems);
  }

  /** The system a finding's location belongs to, or null when nothing in the map covers it. */
  systemFor(source: string, location: Location): string | null {
    const hit = this.matchers.find((m) => (m.source === source || m.source === "*") && m.match(location.path));
    return hit?.system ?? null;
  }
}
