import { posix } from "node:path";
import type { Readable } from "node:stream";
import type { Item } from "../types.js";
import { columnLetter, headerNames, looksLikeHeader, parseCellRef, qualifiedRef } from "./cells.js";
import { attr, xmlEvents, type XmlEvent } from "./xml.js";
import { localCopy, openZip, type ZipArchive } from "./zipfile.js";
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

async function* readSheet(zip: ZipArchive, sheet: SheetRef, shared: string[], options: ReadOptions): AsyncGenerator<Unit[]> {
  const entry = zip.entries.find((e) => e.fileName === sheet.part);
  if (!entry) throw new Error(`corrupt XLSX: sheet "${sheet.name}" points to missing part ${sheet.part}`);
  const dir = posix.dirname(sheet.part);
  const links = await relationships(zip, `${dir}/_rels/${posix.basename(sheet.part)}.rels`, dir);
  let headers: string[] | undefined;
  let rowNo = 0;
  let dataRows = 0;
  let cell: { ref?: string; type?: string; v: string; inline: string; col: number } | undefined;
  let capture: "v" | "t" | undefined;
  let rowCells: { col: number; text: string }[] = [];
  let inPhonetic = false;

  const unit = (col: number, row: number, text: string, part?: string): Unit => {
    const column = headers?.[col] ?? `col${col + 1}`;
    const ref = `${columnLetter(col)}${row}`;
    return { kind: "cell", table: sheet.name, column, text, loc: { sheet: sheet.name, row, column, cell: qualifiedRef(sheet.name, ref), ...(part ? { part } : {}) } };
  };

  for await (const events of xmlEvents(await zip.open(entry))) {
   const batch: Unit[] = [];
   for (const ev of events) {
    if (ev.type === "open") {
      switch (ev.name) {
        case "row":
          rowNo = ev.attrs.r ? Number(ev.attrs.r) : rowNo + 1;
          rowCells = [];
          break;
        case "c": {
          const ref = ev.attrs.r;
          const col = ref ? (parseCellRef(ref)?.column ?? rowCells.length) : rowCells.length;
          cell = { ref, type: ev.attrs.t, v: "", inline: "", col };
          break;
        }
        case "v":
          capture = "v";
          break;
        case "rPh":
          inPhonetic = true;
          break;
        case "t":
          if (cell && !inPhonetic) capture = "t";
          break;
        case "hyperlink": {
          // Hyperlink targets (mailto:…) live outside the cells, after the sheet data.
          const target = links.get(attr(ev.attrs, "id") ?? "");
          const first = parseCellRef((ev.attrs.ref ?? "").split(":")[0]);
          if (target && first) batch.push(unit(first.column, first.row, target, "hyperlink"));
          break;
        }
      }
    } else if (ev.type === "text") {
      if (capture === "v" && cell) cell.v += ev.text;
      else if (capture === "t" && cell) cell.inline += ev.text;
    } else {
      switch (ev.name) {
        case "v":
        case "t":
          capture = undefined;
          break;
        case "rPh":
          inPhonetic = false;
          break;
        case "c":
          if (cell) {
            const text = cellText(cell.type, cell.v, cell.inline, shared);
            if (text !== "") rowCells.push({ col: cell.col, text });
          }
          cell = undefined;
          break;
        case "row": {
          if (rowCells.length === 0) break;
          if (!headers) {
            // The first row with content decides whether the sheet has a header row.
            const values: string[] = [];
            for (const c of rowCells) values[c.col] = c.text;
            const hasHeader = looksLikeHeader(Array.from(values, (v) => v ?? ""));
            headers = headerNames(Array.from(values, (v) => v ?? ""), hasHeader, Math.max(values.length, 1));
            if (hasHeader) break;
          }
          if (options.maxRowsPerTable !== undefined && ++dataRows > options.maxRowsPerTable) {
            if (batch.length) yield batch;
            return;
          }
          for (const c of rowCells) batch.push(unit(c.col, rowNo, c.text));
          break;
        }
      }
    }
   }
   if (batch.length) yield batch;
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
