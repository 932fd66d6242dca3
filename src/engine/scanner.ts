import type { z } from "zod";
import type { Enumerated } from "../types.js";
import type { Limits } from "./limits.js";

export interface EnumerateContext {
  limits: Limits;
  signal?: AbortSignal;
}

/** One configured place to search: a folder, a bucket, a database, a mailbox. */
export interface Source {
  id: string;
  kind: string;
  /** Items to read (files, objects, messages), or entries settled while listing (excluded, unreadable). */
  enumerate(ctx: EnumerateContext): AsyncIterable<Enumerated>;
}

/**
 * A scanner knows one kind of place. It lists items and opens them lazily;
 * the shared readers and matchers do the rest. Adding a kind is one module
 * in scanners/ registered in scanners/registry.ts.
 */
export interface ScannerModule<Settings = unknown> {
  kind: string;
  /** One line for --help and the README. */
  description: string;
  /** Validates a source's settings (everything besides id and kind); built on first use. */
  settings(): z.ZodType<Settings>;
  create(id: string, settings: Settings, env: { configDir: string }): Source;
}
