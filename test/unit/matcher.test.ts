import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CustomerMatcher, InvalidIdentifierError } from "../../src/match/customer.js";

const alice = new CustomerMatcher({ emails: ["Alice@Example.com "] });
const kinds = (m: CustomerMatcher, text: string) => m.find(text).map((h) => `${h.identifier}:${h.variant}`);

describe("email matching", () => {
  it.each([
    ["alice@example.com", "exact"],
    ["ALICE@EXAMPLE.COM", "exact"],
    ["  alice@example.com  ", "exact"],
    ["mailto:alice@example.com", "exact"],
    ["email=alice%40example.com&x=1", "encoded"],
    ["mailto%3Aalice%40example.com", "encoded"],
    ['{"to":"alice\\u0040example.com"}', "encoded"],
    ["<a href='mailto:alice&#64;example.com'>", "encoded"],
    ["alice&#x40;example.com", "encoded"],
    ["alice+billing@example.com", "plus-tag"],
    ["alice%2Bbilling%40example.com", "plus-tag"],
    ["'alice@example.com'", "exact"],
    ["Write to alice@example.com.", "exact"],
    ["<alice@example.com>", "exact"],
  ])("finds %s as %s", (text, variant) => {
    expect(kinds(alice, text)).toEqual([`email:${variant}`]);
  });

  it.each([
    "malice@example.com",
    "alice@example.community.invalid",
    "alice@example.com.invalid",
    "alice@example.org",
    "alice.smith@example.com",
    "bob@example.com",
    "alice@sub.example.com",
    "alice_example.com",
  ])("does not take %s for alice@example.com", (text) => {
    expect(alice.find(text)).toEqual([]);
  });

  it("gives plus-tagged addresses a lower confidence than exact ones", () => {
    const [exact] = alice.find("alice@example.com");
    const [tagged] = alice.find("alice+x@example.com");
    expect(tagged.confidence).toBeLessThan(exact.confidence);
  });

  it("reports where each hit is", () => {
    const text = "a: alice@example.com, b: alice@example.com";
    expect(alice.find(text).map((h) => [h.index, h.length])).toEqual([[3, 17], [25, 17]]);
  });

  it("rejects something that is not an email", () => {
    expect(() => new CustomerMatcher({ emails: ["alice"] })).toThrow(InvalidIdentifierError);
  });

  it("property: an address embedded between non-address characters is always found", () => {
    const sep = fc.constantFrom(" ", ",", ";", "\t", "\"", "'", "<", ">", "(", ")", ":", "=", "|", "\n", "/");
    fc.assert(
      fc.property(fc.string(), sep, sep, fc.string(), (pre, l, r, post) => {
        const text = `${pre.replace(/alice/gi, "")}${l}alice@example.com${r}${post}`;
        return alice.find(text).some((h) => h.identifier === "email" && text.slice(h.index, h.index + h.length).toLowerCase() === "alice@example.com");
      }),
    );
  });

  it("property: a letter or digit glued to either side makes it another address", () => {
    const glue = fc.constantFrom(..."abcxyzABZ0189_-".split(""));
    fc.assert(
      fc.property(glue, (g) => alice.find(`${g}alice@example.com`).length === 0 && alice.find(`alice@example.com${g}`).length === 0),
    );
  });

  it("property: the matcher never throws on arbitrary input", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => Array.isArray(alice.find(s))));
  });
});

describe("customer id matching", () => {
  const m = new CustomerMatcher({ ids: ["cus_8Hq2LmZ4"] });
  it.each(["cus_8Hq2LmZ4", "customer cus_8Hq2LmZ4 updated", "/customers/cus_8Hq2LmZ4/invoices", '"cus_8Hq2LmZ4",'])("finds %s", (t) => {
    expect(kinds(m, t)).toEqual(["id:exact"]);
  });
  it.each(["cus_8Hq2LmZ4x", "xcus_8Hq2LmZ4", "cus_8Hq2LmZ", "CUS_8HQ2LMZ4", "cus_8Hq2LmZ4_old", "old-cus_8Hq2LmZ4"])("does not match %s", (t) => {
    expect(m.find(t)).toEqual([]);
  });
});

describe("phone matching", () => {
  const m = new CustomerMatcher({ phones: ["+1 415 555 0132"] });
  it.each(["+1 (415) 555-0132", "415-555-0132", "4155550132", "+14155550132", "1-415-555-0132", "(415) 555-0132", "415.555.0132", "001 415 555 0132", "tel:+1-415-555-0132"])(
    "finds %s",
    (t) => {
      expect(kinds(m, t)).toEqual(["phone:exact"]);
    },
  );
  it.each(["94155550132", "4155550133", "41555501321", "415-555-01", "+44 415 555 0132"])("does not match %s", (t) => {
    expect(m.find(t)).toEqual([]);
  });
  it("matches whichever format the customer's number was typed in", () => {
    for (const typed of ["415-555-0132", "4155550132", "+1 (415) 555-0132"]) {
      expect(new CustomerMatcher({ phones: [typed] }).find("call +1 415 555 0132").length).toBe(1);
    }
  });
  it("reads national numbers in the configured region", () => {
    const fr = new CustomerMatcher({ phones: ["06 12 34 56 78"], defaultRegion: "FR" });
    expect(fr.find("tel: +33 6 12 34 56 78").length).toBe(1);
    expect(fr.find("tel: 06.12.34.56.78").length).toBe(1);
    expect(fr.find("tel: 0033 6 12 34 56 78").length).toBe(1);
  });
  it("rejects something that is not a phone number", () => {
    expect(() => new CustomerMatcher({ phones: ["12"] })).toThrow(InvalidIdentifierError);
  });
});

describe("several identifiers", () => {
  it("says which kind matched each hit", () => {
    const m = new CustomerMatcher({ emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4"], phones: ["4155550132"] });
    expect(kinds(m, "cus_8Hq2LmZ4 alice@example.com 415 555 0132")).toEqual(["id:exact", "email:exact", "phone:exact"]);
  });
  it("needs at least one identifier", () => {
    expect(() => new CustomerMatcher({})).toThrow(InvalidIdentifierError);
  });
  it("prefilter: absence in raw text means no hit", () => {
    const m = new CustomerMatcher({ emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4"], phones: ["4155550132"] });
    fc.assert(fc.property(fc.string(), (s) => m.prefilter.test(s) || m.find(s).length === 0));
  });
});
