/**
 * Leak checks for redaction tests: a customer made of random identifiers
 * whose characters never occur in the filler text around them, and a test
 * that no run of 4 or more characters of a secret part (the email's local
 * part, the ID after its type prefix, the phone's digits) appears anywhere.
 */
import fc from "fast-check";

export interface Person {
  email: string;
  local: string;
  id: string;
  idSecret: string;
  phone: string;
  phoneDigits: string;
}

/**
 * Secret characters: j k q v w x y z (either case) and digits, never three digits in a row, so every run
 * of 4 holds a letter no English word or tool message has four of in a row; the filler uses a-i, l, m.
 */
const SECRET_LETTERS = "jkqvwxyz";
const secretChar = fc.constantFrom(...`${SECRET_LETTERS}${SECRET_LETTERS.toUpperCase()}23456789`.split(""));
const lowerSecret = fc.constantFrom(...SECRET_LETTERS.split(""));
const noDigitRuns = (s: string) => !/\d{3}/.test(s);

export const person: fc.Arbitrary<Person> = fc
  .record({
    local: fc.tuple(lowerSecret, fc.array(fc.constantFrom(...`${SECRET_LETTERS}2345`.split("")), { minLength: 5, maxLength: 9 })).map(([a, b]) => a + b.join("")).filter(noDigitRuns),
    idSecret: fc.array(secretChar, { minLength: 8, maxLength: 10 }).map((a) => a.join("")).filter(noDigitRuns),
    // 555-01xx: numbers reserved for fiction; the area code varies.
    area: fc.integer({ min: 201, max: 989 }),
    tail: fc.integer({ min: 0, max: 99 }),
  })
  .map(({ local, idSecret, area, tail }) => {
    const phoneDigits = `${area}55501${String(tail).padStart(2, "0")}`;
    return { email: `${local}@example.com`, local, id: `cus_${idSecret}`, idSecret, phone: `+1 ${area} 555 01${String(tail).padStart(2, "0")}`, phoneDigits };
  });

export const filler = (min: number, max: number) =>
  fc.array(fc.constantFrom(..."abcdefghilm abc def ghi, ; | \" ' : = ( )".split("")), { minLength: min, maxLength: max }).map((a) => a.join(""));

const grams = (s: string, n = 4) => Array.from({ length: Math.max(0, s.length - n + 1) }, (_, i) => s.slice(i, i + n));

/** Keyed hashes and digests (64 hex digits) say nothing about her; they are left out of the search. */
const withoutHashes = (text: string) =>
  text
    .replace(/[0-9a-f]{16,64}/g, " ")
    // Times the tool writes (2026-11-30T23:10:05.550Z) are not her digits.
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g, " ");

/** The runs of 4+ characters of her secret parts found in `text` (empty when none leaked). */
export function leaks(text: string, p: Person): string[] {
  const t = withoutHashes(text).toLowerCase();
  const found = [...grams(p.local), ...grams(p.idSecret), ...grams(p.phoneDigits)].filter((g) => t.includes(g.toLowerCase()));
  // Phone digits also count across separators ("555 0132").
  const digitRuns = (withoutHashes(text).match(/\d(?:[\s().\-/]{0,2}\d){3,}/g) ?? []).map((r) => r.replace(/\D/g, ""));
  for (const g of grams(p.phoneDigits)) if (digitRuns.some((r) => r.includes(g))) found.push(g);
  return [...new Set(found)];
}
