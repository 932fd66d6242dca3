import { lazy } from "../lazy.js";
import type { Finding, Location } from "../types.js";

/**
 * The shape machine-readable outputs publish (json, ndjson, csv, sarif), described
 * by schema/straymap-output.schema.json. Bump SCHEMA_VERSION when a field changes
 * meaning or goes away; new optional fields do not bump it.
 */
export const SCHEMA_VERSION = 1;

/** A location as published: the match's column in its line is 1-based (`col`), as editors and ripgrep count. */
export type PublishedLocation = Omit<Location, "offset"> & { col?: number };
export type PublishedFinding = Omit<Finding, "location"> & { location: PublishedLocation; fingerprint: string };

/** Location fields that say where a finding is, for the fingerprint (not how it was reached: uri is machine-specific). */
function stableLocation(loc: Location): Record<string, unknown> {
  const { uri: _uri, date: _date, container: _container, labels: _labels, ...rest } = loc;
  return rest;
}

// Loaded when the first fingerprint is made: a run that finds nothing does not pay for node:crypto.
const crypto = lazy<typeof import("node:crypto")>("node:crypto");

/** crypto.hash (Node 20.12+) is several times faster than createHash for many small inputs. */
function sha256(text: string): string {
  const c = crypto() as typeof import("node:crypto") & { hash?(alg: string, data: string): string };
  return c.hash ? c.hash("sha256", text) : c.createHash("sha256").update(text).digest("hex");
}

/** JSON with object keys sorted, so equal values always give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable id for a finding: the same place, the same kind of data, the same id in every run
 * (source, location, identifier kind or PII type; not the evidence, count, confidence or
 * data-map system, which may change while the finding stays the same). 16 hex digits of SHA-256.
 */
export function fingerprint(f: Finding): string {
  const what = f.kind === "pii-column" ? f.piiType : f.identifier;
  const key = canonical({ kind: f.kind, source: f.source, what, request: f.request, via: f.via, location: stableLocation(f.location) });
  return sha256(key).slice(0, 16);
}

export function publishLocation(loc: Location): PublishedLocation {
  if (loc.offset === undefined) return loc;
  const { offset, ...rest } = loc;
  return { ...rest, col: offset + 1 };
}

export function publishFinding(f: Finding): PublishedFinding {
  return { ...f, location: publishLocation(f.location), fingerprint: fingerprint(f) };
}
