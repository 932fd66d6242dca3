import { createRequire } from "node:module";

const requireHere = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on first use. Start-up time counts (a scan of
 * a folder should not pay for the config validator, the YAML parser or phone
 * metadata it never uses), so the heavy ones load through this.
 */
export function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}

/** A value computed on first use (schemas built from a lazily loaded library). */
export function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

type Zod = typeof import("zod");
const zodModule = lazy<Zod>("zod");
/** zod, for validating configs, rules and data maps. */
export const zod = (): Zod["z"] => zodModule().z;
/** The YAML parser, for straymap.yaml, rules and data maps. */
export const yaml = lazy<typeof import("yaml")>("yaml");
