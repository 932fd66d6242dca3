import type { z } from "zod";
import type { CustomerMatcher, CustomerQuery } from "../match/customer.js";
import type { HashedMatcher } from "../match/hashed.js";
import type { RuleSet } from "../match/rules.js";
import type { Enumerated, ScanEvent } from "../types.js";
import type { Limits } from "../limits.js";

/** What a run asks of its sources: find one customer, classify columns, or find closed requests' hashes. */
export type JobKind = "scan" | "sweep" | "hashes";

export interface EnumerateContext {
  limits: Limits;
  signal?: AbortSignal;
}

/** Per-source memory kept between sweeps: provider cursors (a changes page token, a history id, delta links). */
export interface SourceState {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
}

export interface OpenContext extends EnumerateContext {
  job: JobKind;
  /** Sweeps only: this source's state from the last sweep, saved with the sweep cache. */
  state?: SourceState;
}

export interface NativeContext extends EnumerateContext {
  showValues: boolean;
}

/** Candidate items from a provider's own search, and what that search cannot see. */
export interface Narrowed {
  items: AsyncIterable<Enumerated>;
  /** How the candidates were chosen, e.g. "searched by provider index (Gmail q)". */
  method: string;
  /** What such a search misses, said in coverage: "variants (plus tags, encodings, other phone formats) not covered". */
  caveat: string;
}

/**
 * An open connection to one configured place. Item sessions enumerate items for
 * the shared readers; sessions that can search natively (SQL) answer a job
 * themselves and say so in their coverage. A session offers one or both.
 */
export interface SourceSession {
  /** Items to read (files, objects, messages), or entries settled while listing (excluded, unreadable). */
  enumerate?(ctx: EnumerateContext): AsyncIterable<Enumerated>;
  /**
   * Opt-in (`scan --fast`): only the items the provider's own search returns for
   * this customer. They still go through the shared readers for precise locations.
   */
  narrow?(query: CustomerQuery, ctx: EnumerateContext): Narrowed;
  /** Find one customer with the source's own search, yielding findings and coverage. */
  findCustomer?(matcher: CustomerMatcher, query: CustomerQuery, ctx: NativeContext): AsyncIterable<ScanEvent>;
  /** restore-check: find closed requests' customers by their hashes, reading what the source holds. */
  findHashes?(matcher: HashedMatcher, ctx: NativeContext): AsyncIterable<ScanEvent>;
  /** Find PII-shaped columns with the source's own catalog and sampling. */
  findPiiColumns?(rules: RuleSet, ctx: NativeContext): AsyncIterable<ScanEvent>;
  /**
   * `check --connect` for a source that does not list items (a database): connect, read
   * what it would search, and say it in one line; rejects with the reason when it cannot.
   */
  reach?(): Promise<string>;
  /** Items of this source read at once, when the source bounds its own reads (its `concurrency:` setting); else the run's. */
  concurrency?: number;
  close(): Promise<void>;
}

/**
 * One configured place to search: a folder, a bucket, a database, a mailbox.
 * Creating a source does no I/O and loads no SDK; `open` connects.
 */
export interface Source {
  id: string;
  kind: string;
  open(ctx: OpenContext): Promise<SourceSession>;
}

/**
 * A scanner knows one kind of place. Its module stays light (SDKs are imported
 * inside `open`), so start-up never pays for a kind that does not run. Adding a
 * kind is one module in scanners/ and one line in scanners/registry.ts.
 */
export interface ScannerModule<Settings = unknown> {
  kind: string;
  /** One line for --help and the README. */
  description: string;
  /** Validates a source's settings (everything besides id and kind); built on first use. */
  settings(): z.ZodType<Settings>;
  create(id: string, settings: Settings, env: { configDir: string }): Source;
}
