import type { Finding, Location } from "../types.js";

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
