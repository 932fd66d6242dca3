import type { Finding, Location, Unlisted } from "../types.js";

/**
 * Keeps the first `max` findings of each column of one item (each JSON field
 * with array indexes folded, each mail part, the item's lines) and counts the
 * rest, so a file where she is on every row costs bounded memory and output,
 * and the proof still says how many more there are and where.
 */
export class FindingCap {
  private readonly columns = new Map<string, { listed: number; unlisted?: Unlisted }>();

  constructor(private readonly max: number) {}

  /** Whether a finding of this kind at this place would be listed (its evidence is then worth making). */
  wouldList(kind: Finding["kind"], what: string, location: Location): boolean {
    return (this.columns.get(columnOf(kind, what, location).key)?.listed ?? 0) < this.max;
  }

  /** Whether to list this finding; when not, it is counted in `unlisted()`. */
  admit(f: Finding): boolean {
    const { key, where } = columnOf(f.kind, whatOf(f).identifier ?? whatOf(f).piiType ?? "", f.location);
    let column = this.columns.get(key);
    if (!column) this.columns.set(key, (column = { listed: 0 }));
    if (column.listed < this.max) {
      column.listed++;
      return true;
    }
    const u = (column.unlisted ??= { kind: f.kind, ...whatOf(f), ...where, findings: 0, count: 0 });
    u.findings++;
    u.count += f.count;
    const at = f.location.row ?? f.location.line;
    if (at !== undefined) {
      u.first ??= at;
      u.last = at;
    }
    return false;
  }

  /** What was counted and not listed, one entry per column that went past the cap. */
  unlisted(): Unlisted[] {
    return [...this.columns.values()].flatMap((c) => (c.unlisted ? [c.unlisted] : []));
  }
}

function whatOf(f: Finding): Pick<Unlisted, "identifier" | "piiType"> {
  if (f.kind === "pii-column") return { piiType: f.piiType };
  return f.identifier ? { identifier: f.identifier } : {};
}

/** The column a finding belongs to, as a key and as the fields that name it. */
function columnOf(kind: Finding["kind"], what: string, loc: Location): { key: string; where: Pick<Unlisted, "sheet" | "column" | "jsonPath" | "part"> } {
  let where: Pick<Unlisted, "sheet" | "column" | "jsonPath" | "part">;
  let place: string;
  if (loc.jsonPath !== undefined) {
    where = { jsonPath: loc.jsonPath.replace(/\[\d+\]/g, "[*]") };
    place = `j${where.jsonPath}`;
  } else if (loc.column !== undefined) {
    where = { ...(loc.sheet !== undefined ? { sheet: loc.sheet } : {}), column: loc.column };
    place = `c${loc.sheet ?? ""}\0${loc.column}`;
  } else if (loc.part !== undefined) {
    where = { part: loc.part };
    place = `p${loc.part}`;
  } else {
    where = {};
    place = "l";
  }
  // Built per finding (a million on a big file): plain concatenation, NUL-separated.
  return { key: `${kind}\0${what}\0${loc.member ?? ""}\0${place}`, where };
}
