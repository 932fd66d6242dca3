import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CustomerMatcher } from "../../src/match/customer.js";
import { maskKnown, snippet } from "../../src/match/redact.js";
import { filler, leaks, person } from "../harness/leaks.js";

/** The evidence the engine makes for a cell or line: every hit of hers known, the first one's window cut. */
function evidence(text: string, matcher: CustomerMatcher): string[] {
  const hits = matcher.find(text);
  return hits.map((h) => snippet(text, h.index, h.length, h.identifier, false, hits));
}

const FORMS = ["email", "id", "phone"] as const;

describe("no identifier leaks through an evidence window", () => {
  it("with her identifiers at every offset around both window edges, no run of 4+ of their characters shows", () => {
    fc.assert(
      fc.property(person, fc.constantFrom(...FORMS), fc.constantFrom(...FORMS), fc.integer({ min: -40, max: 40 }), fc.boolean(), filler(0, 60), filler(0, 60), (p, hitKind, otherKind, offset, after, head, tail) => {
        const value = (k: (typeof FORMS)[number]) => (k === "email" ? p.email : k === "id" ? p.id : p.phone);
        const hit = value(hitKind);
        const other = value(otherKind);
        // The other identifier stands `offset` characters from the window edge (24 before the hit, 24 after it).
        const gap = Math.max(1, 24 + offset);
        const pad = "c".repeat(gap);
        const text = after ? `${head} ${hit}${pad.slice(0, Math.max(1, gap - other.length))}${other} ${tail}` : `${head} ${other}${pad.slice(0, Math.max(1, gap - other.length))}${hit} ${tail}`;
        const matcher = new CustomerMatcher({ emails: [p.email], ids: [p.id], phones: [p.phone] });
        for (const e of evidence(text, matcher)) expect(leaks(e, p), `${text}\n→ ${e}`).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it("at every single offset, in every combination of forms (exhaustive over the window edges)", () => {
    const p = fc.sample(person, { numRuns: 1, seed: 42 })[0];
    const matcher = new CustomerMatcher({ emails: [p.email], ids: [p.id], phones: [p.phone] });
    for (const a of [p.email, p.id, p.phone, `mailto:${p.email}`, p.email.replace("@", "%40")]) {
      for (const b of [p.email, p.id, p.phone]) {
        for (let gap = 0; gap < 80; gap++) {
          const text = `ab ${a}${"c".repeat(gap)}${b} de`;
          for (const e of evidence(text, matcher)) expect(leaks(e, p), `${text}\n→ ${e}`).toEqual([]);
          const reversed = `ab ${b}${"c".repeat(gap)}${a} de`;
          for (const e of evidence(reversed, matcher)) expect(leaks(e, p), `${reversed}\n→ ${e}`).toEqual([]);
        }
      }
    }
  });

  it("someone else's identifiers cut by the window stay masked too (generic masking on the whole text)", () => {
    fc.assert(
      fc.property(person, person, fc.integer({ min: 0, max: 60 }), (her, other, gap) => {
        const text = `ab ${other.id}${"c".repeat(gap)}${her.email}${"c".repeat(gap)}${other.email}, ${other.phone} de`;
        const matcher = new CustomerMatcher({ emails: [her.email] });
        for (const e of evidence(text, matcher)) {
          expect(leaks(e, her)).toEqual([]);
          expect(leaks(e, { ...other, local: other.local }), e).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("masks her values where they stand in a location: file names, headers, JSON keys", () => {
    fc.assert(
      fc.property(person, (p) => {
        const matcher = new CustomerMatcher({ emails: [p.email], ids: [p.id], phones: [p.phone] });
        for (const s of [`exports/${p.email}.csv`, `file:///srv/${p.email.replace("@", "%40")}/x`, `$["${p.email}"]`, `${p.id}.zip!/${p.phone}.txt`, `unmapped:share:${p.email}`]) {
          expect(leaks(maskKnown(s, [matcher]), p), s).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
