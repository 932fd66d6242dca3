import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createFinder } from "../../src/search/finder.js";
import { RecordScanner, type LocatedRecord, type SplitOptions } from "../../src/search/locate.js";

// The SIMD record counter (search.wat `records`) against the byte-by-byte
// walk it replaces: same records kept, same indexes, same lines, whatever the
// quoting, line endings and chunk boundaries.

const needles = { literals: ["alice@example.com"], overlap: 16 };
const CSV: SplitOptions = { csv: { delimiter: 44 } };

/** Every record kept, pushing `data` in chunks of the given sizes (cycling). */
function locate(data: Buffer, sizes: number[], options: SplitOptions, portable: boolean): { index: number; line: number; text: string }[] {
  const scanner = new RecordScanner(needles, options, portable);
  const out: LocatedRecord[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    out.push(...scanner.push(data.subarray(at, at + n)));
    at += n;
  }
  out.push(...scanner.finish());
  return out.map((r) => ({ index: r.index, line: r.line, text: r.bytes.toString("latin1") }));
}

function same(data: Buffer, sizes: number[], options: SplitOptions): void {
  expect(locate(data, sizes, options, false)).toEqual(locate(data, sizes, options, true));
}

const PIECES = ["alice@example.com", "ALICE@EXAMPLE.COM", "x", "yy", ",", '"', '""', "\n", "\r\n", "\r", ' "', "bob"];

describe("record locator: SIMD counts against the byte walk", () => {
  it("the SIMD kernel is there to compare", () => {
    expect(createFinder(["ab"]).breaks).toBeDefined();
  });

  it("property: one pass for several needles (SIMD) finds what the portable finder finds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("alice", "ALICE", "cus_8Hq2LmZ4", "x", "@", "`", "\n", "alic", "e@", " ", "0", "4"), { maxLength: 80 }),
        fc.uniqueArray(fc.constantFrom("alice", "cus_8hq2lmz4", "a", "e@", "4", "x@ab"), { minLength: 1, maxLength: 4 }),
        (parts, literals) => {
          const data = Buffer.from(parts.join(""), "latin1");
          const positions = (portable: boolean) => {
            const f = createFinder(literals, portable);
            data.copy(f.region(data.length));
            f.prepare(data.length);
            const out: number[] = [];
            for (let at = f.indexOfAny(data.length, 0); at !== -1; at = f.indexOfAny(data.length, at + 1)) out.push(at);
            return out;
          };
          expect(positions(false)).toEqual(positions(true));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("property: any bytes, CSV or lines, any chunking, with or without the header", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...PIECES), { maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (parts, sizes, csv, withFirst) => same(Buffer.from(parts.join(""), "latin1"), sizes, { ...(csv ? CSV : {}), withFirst }),
      ),
      { numRuns: 1000 },
    );
  });

  it("property: well-formed quoted CSV (every field quoted, newlines inside) over many 64-byte blocks", () => {
    const field = fc.array(fc.constantFrom("a", "b,c", '""', "\n", "\r\n", "alice@example.com", " "), { maxLength: 6 }).map((p) => `"${p.join("")}"`);
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 3 }),
        (rows, eol, sizes) => same(Buffer.from(rows.map((r) => r.join(",")).join(eol), "latin1"), sizes, CSV),
      ),
      { numRuns: 300 },
    );
  });

  it("a CRLF or a quote split across two chunks", () => {
    const data = Buffer.from('id,note\r\n1,"alice@example.com said ""hi""\r\nbye"\r\n2,plain\r\n3,alice@example.com\r\n', "latin1");
    for (let cut = 1; cut < data.length; cut++) {
      expect(locate(data, [cut, data.length], CSV, false)).toEqual([
        { index: 1, line: 2, text: '1,"alice@example.com said ""hi""\r\nbye"' },
        { index: 3, line: 5, text: "3,alice@example.com" },
      ]);
    }
  });

  it("a quote inside an unquoted field is a literal (the walk settles it), before and after quoted fields", () => {
    const data = Buffer.from('a,5" screen,alice@example.com\n"b\nc",x\nd,e"f,"alice@example.com"\n', "latin1");
    expect(locate(data, [1000], CSV, false)).toEqual([
      { index: 0, line: 1, text: 'a,5" screen,alice@example.com' },
      { index: 2, line: 4, text: 'd,e"f,"alice@example.com"' },
    ]);
    same(data, [7], CSV);
  });

  it("big quoted CSV: hits early, late and in several places, lines and records counted apart", () => {
    const row = (i: number) => `"${i}","user${i}@example.com","Main St\n${i}","say ""hi""",\r\n`;
    const rows = Array.from({ length: 60_000 }, (_, i) => row(i));
    for (const at of [1, 2_000, 31_337, 59_998]) rows[at] = `"${at}","ALICE@example.com","x",,\r\n`;
    const data = Buffer.from(`"id","email","address","note",\r\n${rows.join("")}`, "latin1");
    expect(data.length).toBeGreaterThan(3 * 1024 * 1024);
    const found = locate(data, [1 << 20, 65_537], { ...CSV, withFirst: true }, false);
    expect(found.map((r) => [r.index, r.line])).toEqual([
      [0, 1],
      // Row i (record i+1) starts on line 2i+2 less the planted rows before it: filler rows hold one quoted newline.
      [2, 4],
      [2_001, 4_001],
      [31_338, 62_674],
      [59_999, 119_995],
    ]);
    same(data, [1 << 20, 65_537], { ...CSV, withFirst: true });
    // The kernel alone settles well-formed quoting: records and lines of the whole file in one call.
    const finder = createFinder(needles.literals);
    data.copy(finder.region(data.length));
    expect(finder.breaks!.count(0, data.length, data.length, 44, false)).toBe(60_001);
    expect(finder.breaks!.lines).toBe(60_001 + 60_000 - 4);
  });

  it("lines of text: LF, CRLF and a lone CR mixed, one hit at the very end", () => {
    const data = Buffer.from(`${"log line\n".repeat(5_000)}a\r\nb\rc\r${"x\r\n".repeat(5_000)}alice@example.com`, "latin1");
    expect(locate(data, [4096], {}, false)).toEqual([{ index: 10_003, line: 10_004, text: "alice@example.com" }]);
    same(data, [4096, 13], {});
  });
});
