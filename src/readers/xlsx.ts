import { posix } from "node:path";
import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import { columnLetter, headerNames, looksLikeHeader, parseCellRef, qualifiedRef } from "./cells.js";
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

/** Turns one worksheet's XML events into cell units, deciding the header from the first row with content. */
class SheetParser {
  private headers: string[] | undefined;
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

  private unit(col: number, row: number, text: string, part?: string): Unit {
    const column = this.headers?.[col] ?? `col${col + 1}`;
    const cell = qualifiedRef(this.sheet.name, `${columnLetter(col)}${row}`);
    return { kind: "cell", table: this.sheet.name, column, text, loc: { sheet: this.sheet.name, row, column, cell, ...(part ? { part } : {}) } };
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
    }
    return true;
  }

  private endRow(out: Unit[]): boolean {
    if (this.rowCells.length === 0) return true;
    if (!this.headers) {
      // The first row with content decides whether the sheet has a header row.
      const values: string[] = [];
      for (const c of this.rowCells) values[c.col] = c.text;
      const first = Array.from(values, (v) => v ?? "");
      const hasHeader = looksLikeHeader(first);
      this.headers = headerNames(first, hasHeader, Math.max(values.length, 1));
      if (hasHeader) return true;
    }
    if (this.maxRows !== undefined && ++this.dataRows > this.maxRows) return false;
    for (const c of this.rowCells) out.push(this.unit(c.col, this.rowNo, c.text));
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
