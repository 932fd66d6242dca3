import type { CustomerHit } from "../match/customer.js";
import { snippet } from "../match/redact.js";
import type { Unit } from "../readers/types.js";
import { finding } from "../findings.js";
import type { Finding, Location } from "../types.js";

type TextUnit = Extract<Unit, { kind: "cell" | "line" }>;

/**
 * Findings for one cell or line: one per identifier kind and variant found
 * there, with the number of occurrences and a redacted snippet of the first.
 */
export function* customerFindings(
  matcher: { find(text: string): (CustomerHit & { request?: string })[] },
  unit: TextUnit,
  inherited: Partial<Location>,
  base: Pick<Location, "uri" | "path" | "member"> & { source: string },
  showValues: boolean,
  listed: (kind: "customer-match", identifier: string, location: Location) => boolean = () => true,
): Generator<Finding> {
  const hits = matcher.find(unit.text);
  if (hits.length === 0) return;
  const groups = new Map<string, typeof hits>();
  for (const h of hits) {
    const key = `${h.identifier}/${h.variant}/${h.request ?? ""}`;
    const group = groups.get(key);
    if (group) group.push(h);
    else groups.set(key, [h]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    const location: Location = { uri: base.uri, path: base.path, ...(base.member ? { member: base.member } : {}), ...inherited, ...unit.loc };
    if (unit.kind === "line" && location.line !== undefined) location.offset = (unit.loc.offset ?? 0) + first.index;
    else delete location.offset;
    // Past the cap a finding is only counted: its evidence would never be seen.
    const text = listed("customer-match", first.identifier, location) ? snippet(unit.text, first.index, first.length, first.identifier, showValues, hits) : "";
    yield finding("customer-match", {
      source: base.source,
      location,
      identifier: first.identifier,
      match: first.variant,
      count: group.length,
      confidence: first.confidence,
      evidence: unit.kind === "cell" ? `${unit.column}: ${text}` : text,
      ...(first.request ? { request: first.request } : {}),
    });
  }
}
