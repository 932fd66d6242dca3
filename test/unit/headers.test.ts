import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { CustomerMatcher } from "../../src/match/customer.js";
import { needlesOf } from "../../src/engine/prefilter.js";
import { customerFindings } from "../../src/engine/match-units.js";
import { sniffEncoding } from "../../src/readers/decode.js";
import { recordsWithHits } from "../../src/search/locate.js";
import { csvFormat } from "../../src/readers/csv.js";
import ExcelJS from "exceljs";
import { findHeader } from "../../src/readers/cells.js";
import { readCsv, sniffTable } from "../../src/readers/csv.js";
import { Budget, DEFAULT_LIMITS } from "../../src/limits.js";
import type { Unit } from "../../src/readers/types.js";
import { scanAll, streamOf, sweepAll, tempTree } from "../harness/helpers.js";

type Cell = Extract<Unit, { kind: "cell" }>;

/** Where each finding of a scan is, as "path|cell|column|row|identifier". */
async function scanned(files: Record<string, string | Buffer>): Promise<string[]> {
  const r = await scanAll([tempTree(files)]);
  return r.findings.map((f) => `${f.location.path}|${f.location.cell}|${f.location.column}|${f.location.row}|${f.identifier}`).sort();
}

/** The PII columns a sweep finds, as "path|sheet|column|piiType", and the findings themselves. */
async function swept(files: Record<string, string | Buffer>) {
  const r = await sweepAll([tempTree(files)]);
  return { r, found: r.findings.map((f) => `${f.location.path}|${f.location.sheet ?? ""}|${f.location.column}|${f.piiType}`).sort() };
}

async function csvCells(text: string | Buffer, name = "x.csv", maxRowsPerTable?: number): Promise<Cell[]> {
  const cells: Cell[] = [];
  for await (const batch of readCsv(streamOf(text), name, { budget: new Budget(DEFAULT_LIMITS), tmpDir: tmpdir(), maxRowsPerTable })) {
    for (const u of batch) if (u.kind === "cell") cells.push(u);
  }
  return cells;
}

const PEOPLE = [
  ["Ada Lovelace-Test", "ada@example.com", "+1 415 555 0101", "12 Market Street"],
  ["Ben Sample", "alice@example.com", "+1 415 555 0102", "34 Mission St"],
  ["Cleo Demo", "cleo@example.com", "+1 415 555 0103", "56 Howard Street"],
  ["Dan Example", "dan@example.com", "+1 415 555 0104", "78 Folsom Street"],
  ["Eve Person", "eve@example.com", "+1 415 555 0105", "90 Harrison Street"],
];
const csvLine = (cells: string[]) => cells.map((c) => (/[,"\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",");

/** A QuickBooks "Customer Contact List" export: title, company, date range and a blank line above the header, totals below. */
const QUICKBOOKS = [
  '"Customer Contact List",,,',
  '"Example Widgets LLC",,,',
  '"All Dates",,,',
  ",,,",
  "Customer,Email,Phone,Billing Address",
  ...PEOPLE.map(csvLine),
  ",,,",
  '"Total: 5 customers",,,',
  '"Generated on Monday, November 30, 2026 10:14 AM GMT-08:00",,,',
].join("\r\n");

describe("finding the header row", () => {
  it.each([
    ["on the first line", [["email", "name"], ["a@example.com", "Ada"]], 0],
    ["below a title, a company name, a date range and a blank line", [["Customer Contact List"], ["Example Widgets LLC"], ["January 1 - December 31, 2026"], [], ["Name", "Email", "Phone"], ["Ada", "a@example.com", "1"]], 4],
    ["below a title padded with delimiters", [["Report", "", "", ""], ["Name", "Email", "Phone", "City"], ["Ada", "a@example.com", "1", "Paris"]], 1],
    ["nowhere when the first row is data (psql -At)", [["1", "MARY", "SMITH", "mary@example.com"], ["2", "PATRICIA", "JOHNSON", "pat@example.com"]], -1],
    ["nowhere when the first row's words come again below it", [["MARY", "SMITH", "Active"], ["PATRICIA", "JOHNSON", "Active"], ["LINDA", "WILLIAMS", "Inactive"]], -1],
  ])("is found %s", (_what, rows, header) => {
    expect(findHeader(rows).header).toBe(header);
  });

  it("scan: a CSV with title rows above its header gives column names and the cell references a spreadsheet shows", async () => {
    const at = await scanned({ "contacts.csv": QUICKBOOKS });
    // Header on row 5, Ben Sample (who holds alice's address) on row 7.
    expect(at).toEqual(["contacts.csv|B7|Email|7|email"]);
  });

  it("scan: the same through the fast path of a big file (header found in the head, hit far below)", async () => {
    const filler = Array.from({ length: 20000 }, (_, i) => csvLine([`Person ${i}`, `p${i}@example.com`, "", ""]));
    const text = ['"Customer Contact List",,,', ",,,", "Customer,Email,Phone,Billing Address", ...filler, csvLine(["Zed", "alice@example.com", "", ""])].join("\n");
    const at = await scanned({ "big.csv": text });
    expect(at).toEqual([`big.csv|B20004|Email|20004|email`]);
  });

  it("sweep: a CSV with title rows has its real column names, and footer rows are not sampled as values", async () => {
    const { r, found } = await swept({ "contacts.csv": QUICKBOOKS });
    expect(found).toEqual(expect.arrayContaining(["contacts.csv||Email|email", "contacts.csv||Phone|phone", "contacts.csv||Billing Address|address"]));
    expect(found.filter((f) => /\|col\d+\|/.test(f))).toEqual([]);
    const email = r.findings.find((f) => f.location.column === "Email")!;
    expect(email.sample).toEqual({ size: 5, valid: 5 });
  });

  it("sweep: only data rows count towards the rows sampled", async () => {
    const cells = await csvCells(QUICKBOOKS, "contacts.csv", 2);
    const data = cells.filter((c) => !c.role);
    expect(new Set(data.map((c) => c.loc.row))).toEqual(new Set([6, 7]));
    expect(cells.filter((c) => c.role === "title").map((c) => c.loc.cell)).toEqual(["A1", "A2", "A3"]);
    expect(cells.filter((c) => c.role === "header").map((c) => c.text)).toEqual(["Customer", "Email", "Phone", "Billing Address"]);
  });

  it("marks footer rows (totals, generated on) so sweep leaves them out", async () => {
    const cells = await csvCells(QUICKBOOKS, "contacts.csv");
    expect(cells.filter((c) => c.role === "footer").map((c) => c.loc.row)).toEqual([12, 13]);
  });

  it("psql -At output has no header: every row is data, columns are col1, col2…", async () => {
    const text = "1|MARY|SMITH|mary@example.com\n2|PATRICIA|JOHNSON|alice@example.com\n3|LINDA|WILLIAMS|linda@example.com\n";
    expect(await scanned({ "out.csv": text })).toEqual(["out.csv|D2|col4|2|email"]);
    const { found } = await swept({ "out.csv": text + "4|BARBARA|JONES|barbara@example.com\n5|ELIZABETH|BROWN|eliz@example.com\n" });
    expect(found).toContain("out.csv||col4|email");
  });

  it("XLSX: every sheet finds its own header below title rows, for scan and sweep", async () => {
    const wb = new ExcelJS.Workbook();
    const report = wb.addWorksheet("Report");
    report.addRow(["Salesforce report: Contacts"]);
    report.addRow(["As of 2026-11-30"]);
    report.addRow([]);
    report.addRow(["Full Name", "Email", "Mobile"]);
    for (const p of PEOPLE) report.addRow([p[0], p[1], p[2]]);
    report.addRow(["Grand Total (5 records)"]);
    const plain = wb.addWorksheet("Plain");
    plain.addRow(["Email"]);
    for (const p of PEOPLE) plain.addRow([p[1]]);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    expect(await scanned({ "r.xlsx": xlsx })).toEqual(["r.xlsx|Plain!A3|Email|3|email", "r.xlsx|Report!B6|Email|6|email"]);
    const { r, found } = await swept({ "r.xlsx": xlsx });
    expect(found).toEqual(expect.arrayContaining(["r.xlsx|Report|Email|email", "r.xlsx|Report|Mobile|phone", "r.xlsx|Plain|Email|email"]));
    expect(found.filter((f) => /\|col\d+\|/.test(f))).toEqual([]);
    expect(r.findings.find((f) => f.location.sheet === "Report" && f.location.column === "Email")!.sample).toEqual({ size: 5, valid: 5 });
  });
});

describe("fast path and full read agree on tables with titles, headers and footers", () => {
  const matcher = new CustomerMatcher({ emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4"], phones: ["+1 415 555 0132"] });
  async function findingsOf(units: AsyncIterable<Unit[]>): Promise<string[]> {
    const out: string[] = [];
    for await (const batch of units) {
      for (const u of batch) {
        if (u.kind !== "cell") continue;
        for (const f of customerFindings(matcher, u, {}, { source: "t", uri: "u", path: "p" }, false)) out.push(JSON.stringify([f.identifier, f.location.row, f.location.column, f.location.cell, f.location.line]));
      }
    }
    return out.sort();
  }
  const FIELD = fc.constantFrom("alice@example.com", "cus_8Hq2LmZ4", "bob@example.com", "Ada", "", "x y", "two\nlines", "+1 415 555 0132");
  const quote = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);

  it("property: whatever sits above the header and below the data, and wherever her identifiers are (header included)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('"Customer Contact List",,,', "Example Widgets LLC", ",,,", "", "Report for cus_8Hq2LmZ4"), { maxLength: 4 }),
        fc.constantFrom("Name,Email,Phone,Notes", "Name,alice@example.com,Phone,Notes", ""),
        fc.array(fc.array(FIELD, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.constantFrom('"Total: 3",,,', "Generated on 2026-11-30 by alice@example.com"), { maxLength: 2 }),
        fc.constantFrom("\n", "\r\n"),
        fc.integer({ min: 1, max: 64 }),
        async (titles, header, rows, footers, eol, size) => {
          const lines = [...titles, ...(header ? [header] : []), ...rows.map((r) => r.map(quote).join(",")), ...footers];
          const data = Buffer.from(lines.join(eol) + eol, "utf8");
          const sniffed = sniffEncoding(data);
          const plan = csvFormat.locate!(data, sniffed, "x.csv")!;
          const chunks = async function* () {
            for (let at = 0; at < data.length; at += size) yield Buffer.from(data.subarray(at, at + size));
          };
          const located = await findingsOf(plan.units(recordsWithHits(chunks(), needlesOf(matcher), plan.split), sniffed));
          const full = await findingsOf(readCsv(Readable.from([data]), "x.csv", { budget: new Budget(DEFAULT_LIMITS), tmpDir: tmpdir() }));
          expect(located).toEqual(full);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("header cells are searched like data", () => {
  it("finds her customer id and phone as CSV header cells, on the header row (a column named by her id is redacted)", async () => {
    const at = await scanned({
      "pivot.csv": "date,cus_8Hq2LmZ4,cus_Zz9Yy8Xx\n2026-11-01,3,4\n2026-11-02,5,6\n",
      "calls.csv": "date,+1 415 555 0132,+1 415 555 0199\n2026-11-01,3,4\n2026-11-02,5,6\n",
      "titled.csv": "Export for cus_8Hq2LmZ4,,\n,,\nName,Plan,Status\nAda,Pro,paid\n",
    });
    expect(at).toEqual(["calls.csv|B1|col2|1|phone", "pivot.csv|B1|cus_****|1|id", "titled.csv|A1|col1|1|id"]);
  });

  it("finds her phone as an XLSX header cell", async () => {
    const wb = new ExcelJS.Workbook();
    const s = wb.addWorksheet("Calls");
    s.addRow(["Date", "+1 415 555 0132", "Ada (cus_8Hq2LmZ4)"]);
    s.addRow(["2026-11-01", 3, 4]);
    const at = await scanned({ "calls.xlsx": Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(at).toEqual(["calls.xlsx|Calls!B1|col2|1|phone", "calls.xlsx|Calls!C1|col3|1|id"]);
  });

  it("does not sample header cells as the column's values in a sweep", async () => {
    const rows = ["contact_email", ...PEOPLE.map((p) => p[1])].join("\n");
    const { r } = await swept({ "e.csv": rows });
    expect(r.findings.find((f) => f.location.column === "contact_email")!.sample).toEqual({ size: 5, valid: 5 });
  });
});

describe("delimited text under another extension", () => {
  const unicodeText = ["Name\tEmail\tPhone", ...PEOPLE.map((p) => `${p[0]}\t${p[1]}\t${p[2]}`)].join("\r\n");
  const iif = [
    "!CUST\tNAME\tBADDR1\tPHONE1\tEMAIL",
    "CUST\tAda Lovelace-Test\t12 Market Street\t+1 415 555 0101\tada@example.com",
    "CUST\tBen Sample\t34 Mission St\t+1 415 555 0102\talice@example.com",
    "!INVITEM\tNAME\tINVITEMTYPE\tPRICE",
    "INVITEM\tWidget\tPART\t10.00",
    "INVITEM\tGadget\tPART\t12.50",
  ].join("\r\n");

  it.each([
    ["Excel Unicode text (tabs)", unicodeText, "\t"],
    ["QuickBooks IIF", iif, "\t"],
    ["semicolon export", ["id;email;plan", "1;a@example.com;Pro", "2;b@example.com;Free", "3;c@example.com;Pro"].join("\n"), ";"],
    ["a two-column comma table", ["email,name", "a@example.com,Ada", "b@example.com,Ben", "c@example.com,Cleo"].join("\n"), ","],
  ])("sniffs %s as a table", (_what, text, delimiter) => {
    expect(sniffTable(text)).toBe(delimiter);
  });

  it.each([
    ["prose with a comma per sentence", "Dear team, thanks for the call.\nAs discussed, we will ship on Monday.\nBest, Ada.\nPS: call me, please.\n"],
    ["a log", "2026-11-30 10:00:01 INFO started\n2026-11-30 10:00:02 INFO listening on 8080\n2026-11-30 10:00:05 WARN slow request\n"],
    ["a single line", "hello, world"],
  ])("leaves %s as text", (_what, text) => {
    expect(sniffTable(text)).toBeUndefined();
  });

  it("reads a UTF-16 Unicode text export as cells", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(unicodeText, "utf16le")]);
    const cells = await csvCells(bytes, "export.txt");
    expect(cells.find((c) => c.text === "alice@example.com")).toMatchObject({ column: "Email", loc: { cell: "B3", row: 3 } });
  });

  it("reads QuickBooks IIF blocks, each with the columns of its own ! header row", async () => {
    const cells = await csvCells(iif, "export.iif");
    expect(cells.find((c) => c.text === "alice@example.com")).toMatchObject({ table: "CUST", column: "CUST.EMAIL", loc: { cell: "E3", row: 3 } });
    expect(cells.find((c) => c.text === "Gadget")).toMatchObject({ table: "INVITEM", column: "INVITEM.NAME" });
    expect(cells.filter((c) => c.role === "header").map((c) => c.loc.row)).toEqual([1, 1, 1, 1, 1, 4, 4, 4, 4]);
  });

  const files = () => ({
    "unicode.txt": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(unicodeText, "utf16le")]),
    "qb.iif": iif,
    "export.dat": unicodeText.replace(/\t/g, ";"),
    "EXPORT": unicodeText,
    "letter.txt": "Dear team, thanks for the call.\nAs discussed, write to alice@example.com, please.\nBest, Ada.\n",
  });

  it("scan: reads them as tables whatever the extension (cell locations), and a prose .txt as lines", async () => {
    const r = await scanAll([tempTree(files())]);
    const at = r.findings.map((f) => `${f.location.path}|${f.location.cell ?? ""}|${f.location.column ?? ""}|${f.location.line ?? ""}`).sort();
    expect(at).toEqual(["EXPORT|B3|Email|3", "export.dat|B3|Email|3", "letter.txt|||2", "qb.iif|E3|CUST.EMAIL|3", "unicode.txt|B3|Email|3"]);
  });

  it("sweep: classifies their columns; a prose .txt is not tabular", async () => {
    const r = await sweepAll([tempTree(files())]);
    const found = new Set(r.findings.map((f) => `${f.location.path}|${f.location.column}|${f.piiType}`));
    for (const want of ["unicode.txt|Email|email", "unicode.txt|Phone|phone", "export.dat|Email|email", "EXPORT|Email|email"]) expect(found, want).toContain(want);
    expect(r.coverage.items.find((e) => e.path === "letter.txt")).toMatchObject({ status: "skipped", reason: expect.stringMatching(/not tabular/) });
  });
});

