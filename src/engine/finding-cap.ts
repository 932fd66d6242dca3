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
    return (this.columns.get(keyOf(kind, what, location))?.listed ?? 0) < this.max;
  }

  /** Whether to list this finding; when not, it is counted in `unlisted()`. */
  admit(f: Finding): boolean {
    const what = whatOf(f);
    const key = keyOf(f.kind, what.identifier ?? what.piiType ?? "", f.location);
    let column = this.columns.get(key);
    if (!column) this.columns.set(key, (column = { listed: 0 }));
    if (column.listed < this.max) {
      column.listed++;
      return true;
    }
    const u = (column.unlisted ??= { kind: f.kind, ...what, ...placeOf(f.location), findings: 0, count: 0 });
    u.findings++;
    u.count += f.count;
    const at = f.location.row ?? f.location.line;
    if (at !== undefined) {
      u.first ??= at;
      u.last = at;
    }
    return false;
  }

  /** Findings counted and not listed so far, over every column. */
  counted(): number {
    let n = 0;
    for (const c of this.columns.values()) n += c.unlisted?.findings ?? 0;
    return n;
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

const foldIndexes = (jsonPath: string) => jsonPath.replace(/\[\d+\]/g, "[*]");

/** The column a location belongs to, as the fields that name it. */
function placeOf(loc: Location): Pick<Unlisted, "sheet" | "column" | "jsonPath" | "part"> {
  if (loc.jsonPath !== undefined) return { jsonPath: foldIndexes(loc.jsonPath) };
  if (loc.column !== undefined) return { ...(loc.sheet !== undefined ? { sheet: loc.sheet } : {}), column: loc.column };
  if (loc.part !== undefined) return { part: loc.part };
  return {};
}

/** The same as a key, for each finding of a big file: plain concatenation, NUL-separated. */
function keyOf(kind: Finding["kind"], what: string, loc: Location): string {
  const place =
    loc.jsonPath !== undefined ? `j${foldIndexes(loc.jsonPath)}` : loc.column !== undefined ? `c${loc.sheet ?? ""}\0${loc.column}` : loc.part !== undefined ? `p${loc.part}` : "l";
  return `${kind}\0${what}\0${loc.member ?? ""}\0${place}`;
}
