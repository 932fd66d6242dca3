import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import ExcelJS from "exceljs";
import yazl from "yazl";
import { sniffDelimiter } from "../../src/readers/csv.js";
import { sniffEncoding } from "../../src/readers/decode.js";
import { FORMATS } from "../../src/readers/index.js";
import { Budget, DEFAULT_LIMITS } from "../../src/limits.js";
import type { Unit } from "../../src/readers/types.js";
import type { Item } from "../../src/types.js";
import { scanAll, streamOf, tempTree } from "../harness/helpers.js";
import { tmpdir } from "node:os";

const locs = async (files: Record<string, string | Buffer>) => {
  const dir = tempTree(files);
  const r = await scanAll([dir]);
  return { ...r, at: r.findings.map((f) => ({ ...f.location, uri: undefined, identifier: f.identifier })) };
};

function zipOf(entries: [string, string | Buffer][]): Promise<Buffer> {
  return new Promise((resolve) => {
    const z = new yazl.ZipFile();
    for (const [n, d] of entries) z.addBuffer(Buffer.from(d), n);
    const parts: Buffer[] = [];
    z.outputStream.on("data", (c: Buffer) => parts.push(c));
    z.outputStream.on("end", () => resolve(Buffer.concat(parts)));
    z.end();
  });
}

describe("CSV", () => {
  it.each([
    [",", "a,b,c\n1,2,3\n"],
    [";", "a;b;c\n1,5;2;3\n"],
    ["\t", "a\tb\tc\n1\t2\t3\n"],
    ["|", "a|b|c\n1|2|3\n"],
    [";", 'name;note\n"x";"line one\nline two; still note"\n"y";"z"\n'],
  ])("sniffs %j as the delimiter", (d, sample) => {
    expect(sniffDelimiter(sample)).toBe(d);
  });

  it("locates a cell by row, column name and cell reference, in a quoted field with line breaks", async () => {
    const { at } = await locs({ "x.csv": 'id;note\n1;"first\nsecond alice@example.com"\n2;"bob"\n' });
    expect(at).toEqual([expect.objectContaining({ path: "x.csv", row: 2, column: "note", cell: "B2", line: 2, identifier: "email" })]);
  });

  it("reads UTF-8 with BOM, UTF-16LE and UTF-16BE (Excel Unicode text) and Windows-1252", async () => {
    const rows = "Name\tEmail\nZoë\talice@example.com\n";
    const { at } = await locs({
      "bom.csv": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rows.replace(/\t/g, ","))]),
      "le.txt.tsv": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows, "utf16le")]),
      "be.tsv": Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(rows, "utf16le").swap16()]),
      "le-nobom.tsv": Buffer.from(rows, "utf16le"),
      "latin1.csv": Buffer.from("Name;Email\nZoë Müller;alice@example.com\n", "latin1"),
    });
    expect(at.map((a) => `${a.path}:${a.cell}:${a.column}`).sort()).toEqual([
      "be.tsv:B2:Email",
      "bom.csv:B2:Email",
      "latin1.csv:B2:Email",
      "le-nobom.tsv:B2:Email",
      "le.txt.tsv:B2:Email",
    ]);
  });

  it("decodes Windows-1252 text so neighbours read right", () => {
    expect(sniffEncoding(Buffer.from("Zoë;x", "latin1")).encoding).toBe("windows-1252");
    expect(sniffEncoding(Buffer.from("Zoë;x", "utf8")).encoding).toBe("utf-8");
  });

  it("names columns col1, col2… when the first row is data", async () => {
    const { at } = await locs({ "h.csv": "1,alice@example.com,Pro\n2,bob@example.com,Free\n" });
    expect(at).toEqual([expect.objectContaining({ row: 1, column: "col2", cell: "B1" })]);
  });

  it("reports a CSV with an unclosed quote as failed, naming the cause", async () => {
    const r = await locs({ "bad.csv": 'a,b\n1,"alice@example.com\n' });
    const entry = r.coverage.items.find((e) => e.path === "bad.csv");
    expect(entry?.status).toBe("failed");
    expect(entry?.error).toMatch(/malformed CSV.*quote/i);
  });
});

describe("XLSX", () => {
  it("reads every sheet: shared strings, inline rich text, hyperlink targets, cached formula results", async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet("Plain").addRows([["Email"], ["bob@example.com"], ["alice@example.com"]]);
    const s2 = wb.addWorksheet("Q3 export");
    s2.addRow(["Note", "Link", "Formula"]);
    s2.addRow([{ richText: [{ text: "ask " }, { font: { bold: true }, text: "cus_8Hq2" }, { text: "LmZ4" }] }, "", ""]);
    s2.getCell("B2").value = { text: "mail her", hyperlink: "mailto:alice@example.com" };
    s2.getCell("C2").value = { formula: 'LOWER("X")', result: "+1 415 555 0132" };
    const { at } = await locs({ "w.xlsx": Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(at.map((a) => `${a.cell}|${a.column}|${a.identifier}${a.part ? `|${a.part}` : ""}`).sort()).toEqual([
      "'Q3 export'!A2|Note|id",
      "'Q3 export'!B2|Link|email|hyperlink",
      "'Q3 export'!C2|Formula|phone",
      "Plain!A3|Email|email",
    ]);
    expect(at.find((a) => a.sheet === "Plain")).toMatchObject({ row: 3 });
  });

  it("fails a corrupt workbook with a clear cause", async () => {
    const r = await locs({ "c.xlsx": Buffer.from("PK\x03\x04 this is not a workbook") });
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/^corrupt XLSX/) });
  });

  it("fails a zip that is not a workbook", async () => {
    const r = await locs({ "z.xlsx": await zipOf([["readme.txt", "hello"]]) });
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/no xl\/workbook.xml/) });
  });
});

describe("text, JSON and NDJSON", () => {
  it("reports text by line and offset", async () => {
    const { at } = await locs({ "a.log": "one\ntwo\r\nthree alice@example.com\n" });
    expect(at).toEqual([expect.objectContaining({ line: 3, offset: 6 })]);
  });

  it("locates JSON values by record and JSONPath, keys included", async () => {
    const { at } = await locs({
      "a.json": JSON.stringify([{ e: "bob@example.com" }, { nested: { list: ["x", "alice@example.com"] } }, { "alice@example.com": true }]),
    });
    expect(at.map((a) => [a.record, a.jsonPath])).toEqual([
      [1, "$[1].nested.list[1]"],
      [2, '$[2]["a****@example.com"]'], // her value as a key is masked like a value (issue 9)
    ]);
  });

  it("locates NDJSON values by line and JSONPath; a line that is not JSON is read as text", async () => {
    const { at } = await locs({ "a.ndjson": '{"a":1}\n\n{"u":{"email":"alice@example.com"}}\nnot json alice@example.com\n' });
    expect(at.map((a) => [a.line, a.jsonPath])).toEqual([
      [3, "$.u.email"],
      [4, undefined],
    ]);
  });

  it("fails invalid JSON with the parser's reason", async () => {
    const r = await locs({ "b.json": '[{"a": "alice@example.com"' });
    expect(r.coverage.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/invalid JSON/) });
  });
});

describe("mail", () => {
  it("decodes base64 and quoted-printable parts and reads attachments through the readers", async () => {
    const att = Buffer.from("id,who\n1,cus_8Hq2LmZ4\n").toString("base64");
    const eml = [
      "From: a@example.com",
      "To: =?utf-8?B?QWxpY2U=?= <alice@example.com>",
      "Subject: =?utf-8?Q?caf=C3=A9?=",
      "Message-ID: <x1@example.com>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/html; charset=iso-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "<p>Caf=E9 for alice=40example.com</p>",
      "--b",
      "Content-Type: application/zip",
      'Content-Disposition: attachment; filename="inner.csv.gz"',
      "Content-Transfer-Encoding: base64",
      "",
      gzipSync(Buffer.from(Buffer.from(att, "base64"))).toString("base64"),
      "--b--",
      "",
    ].join("\r\n");
    const r = await locs({ "m.eml": eml });
    const got = r.findings.map((f) => `${f.location.part}|${f.location.member ?? ""}|${f.identifier}`).sort();
    expect(got).toEqual(["attachment:inner.csv.gz|inner.csv.gz!/inner.csv|id", "header:to|email".replace("|email", "||email"), "html||email"]);
    expect(r.findings.every((f) => f.location.messageId === "<x1@example.com>")).toBe(true);
  });

  it("splits an mbox into messages numbered from 1", async () => {
    const mbox = "From x@example.com Mon Nov 2 2026\nSubject: a\n\nnothing\n\nFrom y@example.com Mon Nov 2 2026\nSubject: b\nMessage-ID: <b@example.com>\n\nfor alice@example.com\n";
    const { at } = await locs({ "in.mbox": mbox });
    expect(at).toEqual([expect.objectContaining({ message: 2, messageId: "<b@example.com>", part: "text", line: 1 })]);
  });
});

describe("archives", () => {
  it("reads .gz and nested .zip members and names the member path", async () => {
    const inner = await zipOf([["deep/c.csv", "email\nalice@example.com\n"]]);
    const { at } = await locs({
      "a.csv.gz": gzipSync("email\nalice@example.com\n"),
      "b.zip": await zipOf([["x/a.txt", "hello alice@example.com"], ["inner.zip", inner], ["none.txt", "nothing"]]),
    });
    expect(at.map((a) => `${a.path}!/${a.member}`).sort()).toEqual(["a.csv.gz!/a.csv", "b.zip!/inner.zip!/deep/c.csv", "b.zip!/x/a.txt"]);
  });

  it("stops at the depth limit and says so", async () => {
    let z = await zipOf([["leaf.txt", "alice@example.com"]]);
    for (let i = 0; i < 6; i++) z = await zipOf([[`level${i}.zip`, z]]);
    const r = await locs({ "deep.zip": z });
    expect(r.findings).toEqual([]);
    expect(r.coverage.items.some((e) => e.status === "skipped" && /limits.maxDepth/.test(e.reason ?? ""))).toBe(true);
  });

  it("skips zip bombs by declared ratio and gzip bombs by measured ratio", async () => {
    const r = await locs({
      "bomb.zip": await zipOf([["zeros.csv", Buffer.alloc(20 * 1024 * 1024)]]),
      "bomb.csv.gz": gzipSync(Buffer.alloc(20 * 1024 * 1024, "a")),
    });
    const skipped = r.coverage.items.filter((e) => e.status === "skipped");
    expect(skipped.map((e) => e.member).sort()).toEqual(["bomb.csv", "zeros.csv"]);
    for (const e of skipped) expect(e.reason).toMatch(/ratio .*limits.maxRatio/);
  });

  it("skips what expands past limits.maxExpandedBytes", async () => {
    const dir = tempTree({ "big.csv.gz": gzipSync(Buffer.from("x,".repeat(400_000))) });
    const r = await scanAll([dir], undefined, { limits: { maxExpandedBytes: 100_000 } });
    expect(r.coverage.items[0]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/limits.maxExpandedBytes/) });
  });

  it("fails a truncated gzip with a clear cause and goes on", async () => {
    const gz = gzipSync("email\n" + "bob@example.com\n".repeat(5000));
    const r = await locs({ "t.csv.gz": gz.subarray(0, gz.length / 2), "ok.txt": "alice@example.com" });
    expect(r.coverage.items.find((e) => e.path === "t.csv.gz")).toMatchObject({ status: "failed", error: "truncated gzip: unexpected end of file" });
    expect(r.findings.map((f) => f.location.path)).toEqual(["ok.txt"]);
  });
});

describe("anything else", () => {
  it("skips binary junk and known binary types with a reason, and reads unknown text", async () => {
    const r = await locs({
      "junk.bin": Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)),
      "image.csv": Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
      "notes": "no extension, but text: alice@example.com",
      "empty.csv": "",
      "old.xls": "whatever",
    });
    const by = Object.fromEntries(r.coverage.items.map((e) => [e.path, e]));
    expect(by["junk.bin"]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/binary content/) });
    expect(by["image.csv"]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/PNG image/) });
    expect(by["old.xls"]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/xls/) });
    expect(by["notes"].status).toBe("scanned");
    expect(by["empty.csv"]).toMatchObject({ status: "scanned", method: "empty" });
    expect(r.findings.map((f) => f.location.path)).toEqual(["notes"]);
  });

  it("property: every reader either yields units or fails with an Error on random bytes, never hangs or crashes", async () => {
    // Every registered format, so a new reader is covered the day it is added.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FORMATS), fc.uint8Array({ maxLength: 2048 }), async (format, bytes) => {
        const data = Buffer.from(bytes);
        const item: Item = { source: "t", uri: "mem://x", path: "x", name: `x.${format.extensions[0]}`, open: async () => streamOf(data) };
        const units: Unit[] = [];
        try {
          for await (const batch of format.read(item, streamOf(data), { budget: new Budget(DEFAULT_LIMITS), tmpDir: tmpdir() })) {
            for (const u of batch) {
              units.push(u);
              if (u.kind === "child") for await (const _ of await u.item.open()) break;
            }
          }
        } catch (e) {
          return e instanceof Error && e.message.length > 0;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });
});

describe("limits and odd members", () => {
  it("skips an encrypted zip member without reading it", async () => {
    const zip = await zipOf([["secret.csv", "email\nalice@example.com\n"], ["open.csv", "email\nalice@example.com\n"]]);
    // Set the "encrypted" bit of the first member in its local header and central directory entry.
    zip.writeUInt16LE(zip.readUInt16LE(6) | 1, 6);
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt16LE(zip.readUInt16LE(cd + 8) | 1, cd + 8);
    const r = await locs({ "e.zip": zip });
    expect(r.coverage.items.find((e) => e.member === "secret.csv")).toMatchObject({ status: "skipped", reason: "encrypted archive member" });
    expect(r.findings.map((f) => f.location.member)).toEqual(["open.csv"]);
  });

  it("reads at most limits.maxEntries members of a zip and says what it left", async () => {
    const zip = await zipOf([["a.txt", "x"], ["b.txt", "alice@example.com"], ["c.txt", "alice@example.com"]]);
    const dir = tempTree({ "many.zip": zip });
    const r = await scanAll([dir], undefined, { limits: { maxEntries: 2 } });
    expect(r.coverage.items.find((e) => e.member === "c.txt")).toMatchObject({ status: "skipped", reason: expect.stringMatching(/limits.maxEntries \(2\)/) });
    expect(r.findings.map((f) => f.location.member)).toEqual(["b.txt"]);
  });

  it("skips an mbox message larger than limits.maxMessageBytes and reads the others", async () => {
    const big = "x".repeat(5000);
    const mbox = `From a@example.com Mon Nov 2 2026\nSubject: big\n\n${big}\n\nFrom b@example.com Mon Nov 2 2026\nSubject: small\n\nalice@example.com\n`;
    const dir = tempTree({ "in.mbox": mbox });
    const r = await scanAll([dir], undefined, { limits: { maxMessageBytes: 4000 } });
    expect(r.coverage.items.find((e) => e.member === "message 1")).toMatchObject({ status: "skipped", reason: expect.stringMatching(/message larger than limits.maxMessageBytes/) });
    expect(r.findings.map((f) => f.location.message)).toEqual([2]);
  });

  it("stops the record locator at an absurdly long record, as a skip", async () => {
    const { recordsWithHits } = await import("../../src/search/locate.js");
    const chunks = (async function* () {
      for (let i = 0; i < 10; i++) yield Buffer.from("alice@example.com ".repeat(100));
    })();
    const run = async () => {
      for await (const _ of recordsWithHits(chunks, { literals: ["alice"], overlap: 64 }, { maxRecord: 4096 }));
    };
    await expect(run()).rejects.toThrow(/a record longer than 4096 B/);
  });
});
