import { posix } from "node:path";
import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import { HEAD_ROWS, columnLetter, findHeader, headerNames, isFooter, parseCellRef, qualifiedRef, type RowRole } from "./cells.js";
import { attr, xmlEvents, type XmlEvent } from "./xml.js";
import { localCopy, openZip, type ZipArchive } from "./zipfile.js";
import type { FormatSpec } from "./spec.js";
import type { ReadOptions, Unit } from "./types.js";

// The XLSX parts are read with a zip library and a streaming XML parser rather
// than a spreadsheet library: the streaming readers available drop rich inline
// text and hyperlink targets, which are exactly where addresses hide.

interface SheetRef {
  name: string;
  part: string;
}

/** Events of a small part (workbook, relationships, shared strings), one at a time; none if the part is absent. */
async function* partEvents(zip: ZipArchive, name: string): AsyncGenerator<XmlEvent> {
  const entry = zip.entries.find((e) => e.fileName === name);
  if (!entry) return;
  for await (const batch of xmlEvents(await zip.open(entry))) yield* batch;
}

/** Relationship id → target, from a .rels part. */
async function relationships(zip: ZipArchive, name: string, base: string): Promise<Map<string, string>> {
  const rels = new Map<string, string>();
  for await (const ev of partEvents(zip, name)) {
    if (ev.type === "open" && ev.name === "Relationship") {
      const target = ev.attrs.Target ?? "";
      const external = ev.attrs.TargetMode === "External";
      rels.set(ev.attrs.Id, external ? target : target.startsWith("/") ? target.slice(1) : posix.join(base, target));
    }
  }
  return rels;
}

async function workbookSheets(zip: ZipArchive): Promise<SheetRef[]> {
  if (!zip.entries.some((e) => e.fileName === "xl/workbook.xml")) throw new Error("corrupt XLSX: no xl/workbook.xml (not a spreadsheet, or damaged)");
  const rels = await relationships(zip, "xl/_rels/workbook.xml.rels", "xl");
  const sheets: SheetRef[] = [];
  for await (const ev of partEvents(zip, "xl/workbook.xml")) {
    if (ev.type === "open" && ev.name === "sheet") {
      const part = rels.get(attr(ev.attrs, "id") ?? "");
      if (part) sheets.push({ name: ev.attrs.name, part });
    }
  }
  return sheets;
}

/** Shared strings: rich text runs joined, phonetic guides (rPh) left out. */
async function sharedStrings(zip: ZipArchive): Promise<string[]> {
  const strings: string[] = [];
  let current = "";
  let inT = false;
  let inPhonetic = false;
  for await (const ev of partEvents(zip, "xl/sharedStrings.xml")) {
    if (ev.type === "open") {
      if (ev.name === "si") current = "";
      else if (ev.name === "rPh") inPhonetic = true;
      else if (ev.name === "t" && !inPhonetic) inT = true;
    } else if (ev.type === "text") {
      if (inT) current += ev.text;
    } else if (ev.name === "t") inT = false;
    else if (ev.name === "rPh") inPhonetic = false;
    else if (ev.name === "si") strings.push(current);
  }
  return strings;
}

function cellText(type: string | undefined, v: string, inline: string, shared: string[]): string {
  switch (type) {
    case "s":
      return shared[Number(v)] ?? "";
    case "inlineStr":
      return inline;
    case "b":
      return v === "1" ? "TRUE" : v === "0" ? "FALSE" : v;
    default:
      // Numbers, formula string results (t="str") and errors: the cached value as stored.
      return v || inline;
  }
}

type RowCells = { col: number; text: string }[];

/** A row's cells as an array by column, gaps empty. */
function rowValues(cells: RowCells): string[] {
  const values: string[] = [];
  for (const c of cells) values[c.col] = c.text;
  return Array.from(values, (v) => v ?? "");
}

/**
 * Turns one worksheet's XML events into cell units. The first rows with
 * content wait until the header is found among them (report exports put
 * titles and dates above it); header, title and footer cells are marked.
 */
class SheetParser {
  private headers: string[] | undefined;
  private pending: { rowNo: number; cells: RowCells }[] = [];
  private rowNo = 0;
  private dataRows = 0;
  private cell: { type?: string; v: string; inline: string; col: number } | undefined;
  private capture: "v" | "t" | undefined;
  private rowCells: { col: number; text: string }[] = [];
  private inPhonetic = false;

  constructor(
    private readonly sheet: SheetRef,
    private readonly shared: string[],
    private readonly links: Map<string, string>,
    private readonly maxRows: number | undefined,
  ) {}

  private unit(col: number, row: number, text: string, part?: string, role?: RowRole): Unit {
    const column = (role === "title" ? undefined : this.headers?.[col]) ?? `col${col + 1}`;
    const cell = qualifiedRef(this.sheet.name, `${columnLetter(col)}${row}`);
    return { kind: "cell", table: this.sheet.name, column, text, loc: { sheet: this.sheet.name, row, column, cell, ...(part ? { part } : {}) }, ...(role ? { role } : {}) };
  }

  /** Handle one event, adding units to `out`; false once the sample of rows is complete. */
  onEvent(ev: XmlEvent, out: Unit[]): boolean {
    if (ev.type === "text") {
      if (this.capture === "v" && this.cell) this.cell.v += ev.text;
      else if (this.capture === "t" && this.cell) this.cell.inline += ev.text;
      return true;
    }
    if (ev.type === "open") {
      switch (ev.name) {
        case "row":
          this.rowNo = ev.attrs.r ? Number(ev.attrs.r) : this.rowNo + 1;
          this.rowCells = [];
          break;
        case "c": {
          const fallback = this.rowCells.length;
          const col = ev.attrs.r ? (parseCellRef(ev.attrs.r)?.column ?? fallback) : fallback;
          this.cell = { type: ev.attrs.t, v: "", inline: "", col };
          break;
        }
        case "v":
          this.capture = "v";
          break;
        case "rPh":
          this.inPhonetic = true;
          break;
        case "t":
          if (this.cell && !this.inPhonetic) this.capture = "t";
          break;
        case "hyperlinks":
          if (!this.decide(out)) return false;
          break;
        case "hyperlink": {
          // Hyperlink targets (mailto:…) live outside the cells, after the sheet data.
          const target = this.links.get(attr(ev.attrs, "id") ?? "");
          const first = parseCellRef((ev.attrs.ref ?? "").split(":")[0]);
          if (target && first) out.push(this.unit(first.column, first.row, target, "hyperlink"));
          break;
        }
      }
      return true;
    }
    switch (ev.name) {
      case "v":
      case "t":
        this.capture = undefined;
        break;
      case "rPh":
        this.inPhonetic = false;
        break;
      case "c":
        if (this.cell) {
          const text = cellText(this.cell.type, this.cell.v, this.cell.inline, this.shared);
          if (text !== "") this.rowCells.push({ col: this.cell.col, text });
        }
        this.cell = undefined;
        break;
      case "row":
        return this.endRow(out);
      case "sheetData":
        return this.decide(out);
    }
    return true;
  }

  private endRow(out: Unit[]): boolean {
    if (this.rowCells.length === 0) return true;
    if (!this.headers) {
      this.pending.push({ rowNo: this.rowNo, cells: this.rowCells });
      return this.pending.length < HEAD_ROWS || this.decide(out);
    }
    return this.emitRow(this.rowNo, this.rowCells, isFooter(rowValues(this.rowCells), this.headers.length) ? "footer" : undefined, out);
  }

  /** Find the header among the rows held back, and emit them; false once the sample of rows is complete. */
  decide(out: Unit[]): boolean {
    if (this.headers) return true;
    const rows = this.pending.map((p) => rowValues(p.cells));
    const head = findHeader(rows);
    this.headers = head.header === -1 ? head.names : headerNames(rows[head.header], true, Math.max(rows[head.header].length, 1));
    let more = true;
    for (let i = 0; i < this.pending.length && more; i++) {
      const role: RowRole | undefined = i < head.header ? "title" : i === head.header ? "header" : isFooter(rows[i], this.headers.length) ? "footer" : undefined;
      more = this.emitRow(this.pending[i].rowNo, this.pending[i].cells, role, out);
    }
    this.pending = [];
    return more;
  }

  private emitRow(rowNo: number, cells: RowCells, role: RowRole | undefined, out: Unit[]): boolean {
    if (!role && this.maxRows !== undefined && ++this.dataRows > this.maxRows) return false;
    for (const c of cells) out.push(this.unit(c.col, rowNo, c.text, undefined, role));
    return true;
  }
}

async function* readSheet(zip: ZipArchive, sheet: SheetRef, shared: string[], options: ReadOptions): AsyncGenerator<Unit[]> {
  const entry = zip.entries.find((e) => e.fileName === sheet.part);
  if (!entry) throw new Error(`corrupt XLSX: sheet "${sheet.name}" points to missing part ${sheet.part}`);
  const dir = posix.dirname(sheet.part);
  const links = await relationships(zip, `${dir}/_rels/${posix.basename(sheet.part)}.rels`, dir);
  const parser = new SheetParser(sheet, shared, links, options.maxRowsPerTable);
  for await (const events of xmlEvents(await zip.open(entry))) {
    const batch: Unit[] = [];
    let more = true;
    for (const ev of events) if (!(more = parser.onEvent(ev, batch))) break;
    if (batch.length) yield batch;
    if (!more) return;
  }
  const rest: Unit[] = [];
  parser.decide(rest);
  if (rest.length) yield rest;
}

/** XLSX: every sheet, shared/inline/rich strings, cached formula results and hyperlink targets, streamed. */
export async function* readXlsx(item: Item, stream: Readable, options: ReadOptions): AsyncGenerator<Unit[]> {
  const local = await localCopy(item, stream, options.tmpDir);
  try {
    let zip: ZipArchive;
    try {
      zip = await openZip(local.path);
    } catch (e) {
      throw new Error(`corrupt XLSX: ${(e as Error).message.replace(/^corrupt zip: /, "")}`);
    }
    try {
      const sheets = await workbookSheets(zip);
      const shared = await sharedStrings(zip);
      for (const sheet of sheets) yield* readSheet(zip, sheet, shared, options);
    } finally {
      zip.close();
    }
  } finally {
    await local.cleanup();
  }
}

/** An Excel workbook: every sheet, cells located as Excel shows them. */
export const xlsxFormat: FormatSpec = {
  id: "xlsx",
  extensions: ["xlsx", "xlsm"],
  contentTypes: ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel.sheet.macroenabled.12"],
  plainText: false,
  tabular: true,
  prefixReadable: false,
  read: readXlsx,
};
