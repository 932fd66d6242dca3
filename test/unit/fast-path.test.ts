import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { foldInPlace, foldedNeedle } from "../../src/search/bytes.js";
import { CustomerMatcher } from "../../src/match/customer.js";
import { anyIdentifierIn, needlesOf } from "../../src/engine/prefilter.js";
import { sniffEncoding } from "../../src/readers/decode.js";
import { recordsWithHits } from "../../src/search/locate.js";
import { csvFormat } from "../../src/readers/csv.js";
import { textFormat } from "../../src/readers/text.js";
import { readCsv } from "../../src/readers/csv.js";
import { readText } from "../../src/readers/text.js";
import { Budget, DEFAULT_LIMITS } from "../../src/limits.js";
import { customerFindings } from "../../src/engine/match-units.js";
import type { Unit } from "../../src/readers/types.js";
import { scanAll, tempTree } from "../harness/helpers.js";

const matcher = new CustomerMatcher({ emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4"], phones: ["+1 415 555 0132"] });

/** Split bytes into chunks of the given sizes (cycling), as a stream would deliver them. */
function* chunked(data: Buffer, sizes: number[]): Generator<Buffer> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    yield data.subarray(at, at + n);
    at += n;
  }
}
const asAsync = async function* (it: Iterable<Buffer>) {
  for (const b of it) yield Buffer.from(b); // a copy, like a real stream
};

async function findingsOf(units: AsyncIterable<Unit[]>) {
  const out: string[] = [];
  for await (const batch of units) {
    for (const u of batch) {
      if (u.kind === "child" || u.kind === "skip") continue;
      for (const f of customerFindings(matcher, u, {}, { source: "t", uri: "u", path: "p" }, false)) {
        out.push(JSON.stringify([f.identifier, f.location.row, f.location.column, f.location.cell, f.location.line, f.count]));
      }
    }
  }
  return out.sort();
}

/** Findings from the located records and from parsing all of a CSV pushed in chunks of `sizes`. */
async function csvBothWays(data: Buffer, sizes: number[]) {
  const sniffed = sniffEncoding(data);
  const plan = csvFormat.locate!(data, sniffed, "x.csv")!;
  const located = await findingsOf(plan.units(recordsWithHits(asAsync(chunked(data, sizes)), needlesOf(matcher), plan.split), sniffed));
  const full = await findingsOf(readCsv(Readable.from([data]), "x.csv", { budget: new Budget(DEFAULT_LIMITS), tmpDir: tmpdir() }));
  return { located, full };
}

const FIELDS = ["alice@example.com", "ALICE@Example.COM", "bob@example.com", "cus_8Hq2LmZ4", "x", "", "a,b", 'say "hi"', "two\nlines", "crlf\r\nin field", "+1 (415) 555-0132", "malice@example.com", "Zoë", "5\" screen"];
const quote = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);

describe("byte helpers", () => {
  it("property: folding keeps every case variant of a needle findable", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._@%+-]{1,20}$/), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), fc.string(), (needle, upper, noise) => {
        const variant = [...needle].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join("");
        const hay = Buffer.from(`${noise}${variant}${noise}`, "latin1");
        foldInPlace(hay, hay.length);
        return hay.indexOf(foldedNeedle(needle.toLowerCase())) !== -1;
      }),
    );
  });
});

describe("prefilter", () => {
  it("property: finds an identifier in any case wherever chunk boundaries fall, and says no when it is absent", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        fc.constantFrom("alice@example.com", "ALICE%40EXAMPLE.COM", "cus_8Hq2LmZ4", "415.555.0132", ""),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        async (pre, post, planted, sizes) => {
          const text = `${pre} ${planted} ${post}`;
          const data = Buffer.from(text, "utf8");
          const found = await anyIdentifierIn(asAsync(chunked(data, sizes)), sniffEncoding(data), matcher);
          // No false negative: where the precise matcher sees a hit, the prefilter must too.
          if (matcher.find(text).length > 0) return found;
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("record locator", () => {
  it("property: locating only the records with a hit gives the same findings as parsing the whole CSV", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom("\n", "\r\n"),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (rows, eol, sizes, trailingEol) => {
          const csv = ["name,email,id,notes", ...rows.map((r) => r.map(quote).join(","))].join(eol) + (trailingEol ? eol : "");
          const { located, full } = await csvBothWays(Buffer.from(csv, "utf8"), sizes);
          expect(located).toEqual(full);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: big quoted CSV over many chunks, hits early, late and in several places: the same findings as parsing it all", async () => {
    // Every field quoted (Salesforce, Excel, Stripe exports), line breaks inside quotes, a few rows with a stray quote mid-field.
    const filler = (i: number) => `"${i}","user${i}@example.com","${i} Main St${i % 7 ? "" : "\r\nApt 2"}","said ""ok"""${i % 501 ? "" : ',5" screen'}`;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3_999 }), fc.integer({ min: 3_960, max: 3_999 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.array(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 4 }), { minLength: 4, maxLength: 4 }),
        fc.constantFrom("\n", "\r\n"),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 3 }),
        async (places, planted, eol, sizes) => {
          const rows = Array.from({ length: 4_000 }, (_, i) => filler(i));
          places.forEach((at, n) => (rows[at] = planted[n].map(quote).join(",")));
          const { located, full } = await csvBothWays(Buffer.from(['"name","email","id","notes"', ...rows].join(eol) + eol, "utf8"), sizes);
          expect(located).toEqual(full);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("property: locating lines of text gives the same findings as reading every line", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom(...FIELDS.filter((f) => !/[\r\n]/.test(f)), "noise"), { maxLength: 4 }), { minLength: 1, maxLength: 15 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }),
        async (lines, eol, sizes) => {
          const data = Buffer.from(lines.map((l) => l.join(" ")).join(eol), "utf8");
          const sniffed = sniffEncoding(data);
          const plan = textFormat.locate!(data, sniffed, "x.log")!;
          const located = await findingsOf(plan.units(recordsWithHits(asAsync(chunked(data, sizes)), needlesOf(matcher), plan.split), sniffed));
          const full = await findingsOf(readText(Readable.from([data])));
          expect(located).toEqual(full);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("big files go through the worker threads and report the same places as small ones", async () => {
    const filler = Array.from({ length: 30_000 }, (_, i) => `${i},user${i}@example.com,"quoted, ${i}",x`).join("\n");
    const body = `id,email,note,extra\n${filler}\n7,ALICE@example.com,"multi\nline",y\n${filler}\n8,"x","cus_8Hq2LmZ4",z\n`;
    const dir = tempTree({ "big.csv": body, "small.csv": body.slice(0, 200) + "\n9,alice@example.com,n,z\n" });
    const r = await scanAll([dir]);
    const big = r.findings.filter((f) => f.location.path === "big.csv").map((f) => [f.identifier, f.location.row, f.location.cell, f.location.line]);
    expect(big).toEqual([
      ["email", 30_002, "B30002", 30_002],
      ["id", 60_003, "C60003", 60_004],
    ]);
    expect(r.coverage.items.find((e) => e.path === "big.csv")?.method).toMatch(/records with an identifier parsed/);
  });
});

describe("finders", () => {
  it("property: the SIMD (WebAssembly) finder and the portable one find the same positions", async () => {
    const { createFinder } = await import("../../src/search/finder.js");
    // npm test builds first, so the compiled kernel is there to compare.
    expect(createFinder(["ab"]).constructor.name).toBe("WasmFinder");
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("alice", "ALICE", "aLiCe", "cus_8Hq2LmZ4", "x", "@", "`", "\n", "alic", "lice", " ", "0"), { maxLength: 80 }),
        fc.constantFrom("alice", "cus_8hq2lmz4", "a", "e@"),
        (parts, needle) => {
          const data = Buffer.from(parts.join(""), "latin1");
          const positions = (portable: boolean) => {
            const f = createFinder([needle], portable);
            data.copy(f.region(data.length));
            f.prepare(data.length);
            const out: number[] = [];
            for (let at = f.indexOf(0, data.length, 0); at !== -1; at = f.indexOf(0, data.length, at + 1)) out.push(at);
            return out;
          };
          expect(positions(false)).toEqual(positions(true));
        },
      ),
      { numRuns: 500 },
    );
  });
});
