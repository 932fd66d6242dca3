import type { Finding } from "./types.js";

type Of<K extends Finding["kind"]> = Extract<Finding, { kind: K }>;

/**
 * The one way findings are made, whatever found them (readers, databases,
 * sweeps): fields in the order the JSON contract prints them, the data-map
 * system left to the engine (null until it is known).
 */
export function finding<K extends Finding["kind"]>(kind: K, fields: Omit<Of<K>, "kind" | "system"> & { system?: string | null }): Of<K> {
  const { source, location, system, ...rest } = fields;
  if (!(fields.confidence >= 0 && fields.confidence <= 1)) throw new Error(`finding confidence ${fields.confidence} is outside 0..1`);
  return { kind, source, location, ...rest, system: system ?? null } as unknown as Of<K>;
}
