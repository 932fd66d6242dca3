import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CustomerMatcher, type CustomerQuery } from "../../src/match/customer.js";
import { hashedForms, InvalidIdentifierError, parseId } from "../../src/match/forms.js";
import { HashedMatcher } from "../../src/match/hashed.js";

// restore-check compares keyed hashes; the key does not matter to which forms are compared.
const hasher = (kind: string, value: string) => `${kind}:${value}`;

function restoreMatcher(query: CustomerQuery): HashedMatcher {
  const known = new Map<string, { request: string; kind: string }>();
  const add = (kind: "email" | "id" | "phone", raw: string) => {
    for (const f of hashedForms(kind, raw, query.defaultRegion)) known.set(hasher(f.kind, f.value), { request: "REQ-0001", kind: f.kind });
  };
  for (const e of query.emails ?? []) add("email", e);
  for (const i of query.ids ?? []) add("id", i);
  for (const p of query.phones ?? []) add("phone", p);
  return new HashedMatcher(known, hasher);
}

/** Every place scan finds her, restore-check finds her too (same kind, overlapping text). */
function expectRestoreFindsWhatScanFinds(query: CustomerQuery, text: string): void {
  const scanHits = new CustomerMatcher(query).find(text);
  const restoreHits = restoreMatcher(query).find(text);
  for (const h of scanHits) {
    const found = restoreHits.some((r) => r.identifier === h.identifier && r.index < h.index + h.length && h.index < r.index + r.length);
    expect(found, `${h.identifier} at ${h.index} in ${JSON.stringify(text)}`).toBe(true);
  }
}

const QUERY: CustomerQuery = { emails: ["alice@example.com"], ids: ["cus_8Hq2LmZ4", "ORD-2026.11/42"], phones: ["+1 415 555 0132", "+44 20 7946 0958"], defaultRegion: "US" };

describe("identifier forms: one owner for scan, restore-check and requests", () => {
  it.each([
    ["plain", "alice@example.com"],
    ["upper case", "ALICE@EXAMPLE.COM"],
    ["mailto", "mailto:alice@example.com"],
    ["URL-encoded", "to=alice%40example.com&x=1"],
    ["URL-encoded mailto", "href=mailto%3Aalice%40example.com"],
    ["JSON escape", '{"to":"alice\\u0040example.com"}'],
    ["JS hex escape", "'alice\\x40example.com'"],
    ["HTML decimal entity", "alice&#64;example.com"],
    ["HTML hex entity", "alice&#x40;example.com"],
    ["HTML named entity", "alice&commat;example.com"],
    ["after a JSON newline escape", '"note":"call\\nalice@example.com"'],
    ["plus tag", "alice+billing@example.com"],
    ["encoded plus tag", "alice%2Bbilling%40example.com"],
    ["id", "customer cus_8Hq2LmZ4 paid"],
    ["id with dots and slashes", "order ORD-2026.11/42 shipped"],
    ["phone, international", "+1 (415) 555-0132"],
    ["phone, 00 prefix", "001 415 555 0132"],
    ["phone, national", "(415) 555-0132"],
    ["phone, glued", "14155550132"],
    ["phone after a date", "2026-11-01 4155550132"],
    ["UK phone with trunk zero", "020 7946 0958"],
    ["UK phone with (0)", "+44 (0)20 7946 0958"],
  ])("restore-check finds %s as scan does", (_what, text) => {
    expect(new CustomerMatcher(QUERY).find(text).length).toBeGreaterThan(0);
    expectRestoreFindsWhatScanFinds(QUERY, text);
  });

  it("neither finds other people: a longer address, a longer id, a number behind another country code", () => {
    for (const text of ["malice@example.com", "alice@example.com.invalid", "cus_8Hq2LmZ4x", "old-cus_8Hq2LmZ4", "+49 415 555 0132"]) {
      expect(new CustomerMatcher(QUERY).find(text), text).toEqual([]);
      expect(restoreMatcher(QUERY).find(text), text).toEqual([]);
    }
  });

  it("an ID is one token: spaces and field separators are refused", () => {
    expect(() => parseId("cus 123")).toThrow(InvalidIdentifierError);
    expect(() => parseId("a,b")).toThrow(InvalidIdentifierError);
    expect(parseId("  cus_1 ")).toBe("cus_1");
  });

  // Text made of the characters exports put around identifiers.
  const noise = fc.string({ unit: fc.constantFrom(..."ab Z09.,;:-_+@%&#/\\\"'()\n\t=<>x1u".split("")), maxLength: 12 });
  const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}[a-z0-9]$/);
  const domain = fc.constantFrom("example.com", "example.org", "mail.example.net");
  const email = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`);
  const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:/#-]{2,20}[A-Za-z0-9]$/);
  const national = fc.stringMatching(/^[2-9]\d{2}[2-9]\d{6}$/);
  const atForm = fc.constantFrom("@", "%40", "\\u0040", "\\x40", "&#64;", "&#x40;", "&commat;", "&#064;");
  const phoneForm = (n: string) =>
    fc.constantFrom(
      `+1 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
      `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`,
      `001${n}`,
      `1-${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`,
      `${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6)}`,
      n,
    );

  it("property: whatever scan finds, restore-check finds too", () => {
    fc.assert(
      fc.property(
        email,
        id,
        national,
        fc.array(fc.tuple(noise, fc.nat(7)), { minLength: 1, maxLength: 6 }),
        atForm,
        fc.boolean(),
        (mail, customerId, phone, pieces, at, upper) => {
          const [local, dom] = mail.split("@");
          const query: CustomerQuery = { emails: [mail], ids: [customerId], phones: [`+1${phone}`], defaultRegion: "US" };
          const forms = [
            `${local}${at}${dom}`,
            `mailto:${mail}`,
            `${local}+tag${at}${dom}`,
            customerId,
            `${upper ? mail.toUpperCase() : mail}`,
          ];
          return fc.assert(
            fc.property(phoneForm(phone), (phoneText) => {
              const all = [...forms, phoneText];
              const text = pieces.map(([n, k]) => n + (k < all.length ? all[k] : "")).join("");
              expectRestoreFindsWhatScanFinds(query, text);
            }),
            { numRuns: 5 },
          ) ?? true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
