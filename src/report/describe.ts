import type { Finding, Location, Unlisted } from "../types.js";

/** Where, in one line: the file (and archive member), then the place inside it. */
export function describeFile(loc: Pick<Location, "path" | "member">): string {
  return loc.member ? `${loc.path} → ${loc.member.split("!/").join(" → ")}` : loc.path;
}

export function describePlace(loc: Location): string {
  const parts: string[] = [];
  if (loc.message !== undefined) parts.push(`message ${loc.message}`);
  if (loc.messageId) parts.push(`<${loc.messageId.replace(/^<|>$/g, "")}>`);
  if (loc.part) parts.push(loc.part);
  if (loc.cell) parts.push(`${loc.cell}${loc.column ? ` (${loc.column})` : ""}`);
  else if (loc.sheet) parts.push(`sheet ${loc.sheet}${loc.column ? `, column ${loc.column}` : ""}`);
  else if (loc.column && loc.jsonPath === undefined) parts.push(`column ${loc.column}`);
  if (loc.record !== undefined && loc.jsonPath === undefined) parts.push(`record ${loc.record}`);
  if (loc.jsonPath) parts.push(loc.jsonPath);
  if (loc.line !== undefined && loc.cell === undefined) parts.push(`line ${loc.line}${loc.offset ? `:${loc.offset + 1}` : ""}`);
  if (loc.key) parts.push(`key ${JSON.stringify(loc.key)}`);
  return parts.join(", ");
}

export function describeWhat(f: Finding): string {
  if (f.kind === "pii-column") return `${f.piiType} (${f.reason})`;
  if (f.kind === "unlocated") return `${f.identifier}, unlocated`;
  if (f.kind === "linked-row") return "linked by foreign key";
  if (f.request) return `${f.identifier} of ${f.request}`;
  return f.match && f.match !== "exact" ? `${f.identifier} (${f.match})` : (f.identifier ?? "");
}

export const counted = (n: number) => n.toLocaleString("en-US");

/**
 * Findings counted past limits.maxFindingsPerColumn, in words:
 * "399,900 more rows in column email (rows 102–400001), email ×399,900".
 */
export function describeUnlisted(u: Unlisted): string {
  const unit = u.jsonPath !== undefined ? "values" : u.column !== undefined ? "rows" : u.part !== undefined ? "messages" : "lines";
  const where =
    u.jsonPath !== undefined ? ` at ${u.jsonPath}` : u.column !== undefined ? ` in ${u.sheet !== undefined ? `sheet ${u.sheet}, ` : ""}column ${u.column}` : u.part !== undefined ? ` in part ${u.part}` : "";
  const span = u.first !== undefined && u.jsonPath === undefined ? ` (${u.column !== undefined ? "rows" : "lines"} ${u.first}–${u.last})` : "";
  const what = u.identifier ?? u.piiType ?? u.kind;
  return `${counted(u.findings)} more ${unit}${where}${span}, ${what} ×${counted(u.count)}`;
}
