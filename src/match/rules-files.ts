import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A data file in the package's rules/ folder, found from src/match/ and dist/src/match/ alike. */
export function rulesFile(name: string): string {
  const candidates = [`../../rules/${name}`, `../../../rules/${name}`].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}
