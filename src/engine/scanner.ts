import type { z } from "zod";
import type { CustomerMatcher, CustomerQuery } from "../match/customer.js";
import type { HashedMatcher } from "../match/hashed.js";
import type { RuleSet } from "../match/rules.js";
import type { Enumerated, ScanEvent } from "../types.js";
import type { Limits } from "./limits.js";

export interface EnumerateContext {
  limits: Limits;
  signal?: AbortSignal;
}

export interface NativeContext extends EnumerateContext {
  showValues: boolean;
}

/**
 * One configured place to search: a folder, a bucket, a database, a mailbox.
 * Item sources enumerate items for the shared readers; sources that can
 * search natively (SQL) answer a scan or sweep themselves and say so in their
 * coverage. A source offers one or both.
 */
export interface Source {
  id: string;
  kind: string;
  /** Items to read (files, objects, messages), or entries settled while listing (excluded, unreadable). */
  enumerate?(ctx: EnumerateContext): AsyncIterable<Enumerated>;
  /** Find one customer with the source's own search, yielding findings and coverage. */
  findCustomer?(matcher: CustomerMatcher, query: CustomerQuery, ctx: NativeContext): AsyncIterable<ScanEvent>;
  /** restore-check: find closed requests' customers by their hashes, reading what the source holds. */
  findHashes?(matcher: HashedMatcher, ctx: NativeContext): AsyncIterable<ScanEvent>;
  /** Find PII-shaped columns with the source's own catalog and sampling. */
  findPiiColumns?(rules: RuleSet, ctx: NativeContext): AsyncIterable<ScanEvent>;
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
