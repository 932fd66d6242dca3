import { classifyColumn, withArticle } from "../match/columns.js";
import { redactValue } from "../match/redact.js";
import type { RuleSet } from "../match/rules.js";
import type { Unit } from "../readers/types.js";
import { finding } from "../findings.js";
import type { Finding, Location } from "../types.js";

type Cell = Extract<Unit, { kind: "cell" }>;

interface Column {
  table: string;
  column: string;
  sheet?: string;
  values: string[];
}

/** Collects sampled values per table and column during sweep, then classifies each column. */
export class ColumnSampler {
  private columns = new Map<string, Column>();

  constructor(private readonly rules: RuleSet) {}

  add(cell: Cell): void {
    // Header, title and footer cells are searched in a scan but are not a column's values.
    if (cell.role) return;
    const key = `${cell.table}\u0000${cell.column}`;
    let col = this.columns.get(key);
    if (!col) {
      col = { table: cell.table, column: cell.column, sheet: cell.loc.sheet, values: [] };
      this.columns.set(key, col);
    }
    // Arrays inside JSON records add several values per row; keep the sample bounded.
    if (col.values.length < this.rules.sampleSize * 4) col.values.push(cell.text);
  }

  /** The most values any column holds: the rows a table gave to judge by. */
  get rows(): number {
    let most = 0;
    for (const c of this.columns.values()) most = Math.max(most, c.values.filter((v) => v.trim() !== "").length);
    return most;
  }

  /** Columns seen so far. */
  get size(): number {
    return this.columns.size;
  }

  *findings(base: Pick<Location, "uri" | "path" | "member"> & { source: string }, inherited: Partial<Location>, showValues: boolean, note?: string): Generator<Finding> {
    for (const col of this.columns.values()) {
      for (const v of classifyColumn(this.rules, col.column, col.values)) {
        const examples = v.examples.map((e) => (showValues ? e : redactValue(e, v.piiType)));
        const why =
          v.reason === "values"
            ? `${v.sample.valid}/${v.sample.size} sampled values are ${v.piiType}`
            : v.reason === "embedded in free text"
              ? `embedded in free text: ${v.sample.valid}/${v.sample.size} sampled texts contain ${withArticle(v.piiType)}`
              : v.reason === "header"
                ? `header "${col.column}" names ${v.piiType}` + (v.checksValues && v.sample.size ? ` (only ${v.sample.valid}/${v.sample.size} sampled values validate)` : "")
                : `header "${col.column}" and ${v.sample.valid}/${v.sample.size} sampled values`;
        yield finding("pii-column", {
          source: base.source,
          location: { uri: base.uri, path: base.path, ...(base.member ? { member: base.member } : {}), ...inherited, ...(col.sheet ? { sheet: col.sheet } : {}), column: col.column },
          piiType: v.piiType,
          reason: v.reason,
          sample: v.sample,
          count: v.sample.valid,
          confidence: v.confidence,
          evidence: why + (v.detail ? `; ${v.detail}` : "") + (examples.length ? `, e.g. ${examples.join(", ")}` : "") + (note ? ` (${note})` : ""),
        });
      }
    }
  }
}
