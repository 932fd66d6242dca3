import type { CountryCode } from "libphonenumber-js";
import { lazy } from "../lazy.js";

/**
 * The one place that knows the forms a customer's identifiers take in real
 * exports, and how each is normalised. `scan` (match/customer.ts),
 * `restore-check` (match/hashed.ts), redaction and requests all build on it, so
 * what one finds the others find too.
 */

import type { IdentifierKind } from "../types.js";
export type { IdentifierKind };

// Phone metadata is large, and most runs have no phone number.
const phoneLib = lazy<typeof import("libphonenumber-js")>("libphonenumber-js");

export class InvalidIdentifierError extends Error {}

// ---------- Emails ----------

/** Forms an "@" takes: plain, URL-encoded, JSON/JS-escaped, HTML entities. */
export const AT_PATTERN = String.raw`(?:@|%40|\\u0040|\\x40|&#0*64;|&#[xX]0*40;|&commat;)`;
/** The same, as a whole-string test. */
const AT_FORM = new RegExp(AT_PATTERN, "gi");
/** A plus tag's "+", plain or URL-encoded. */
export const PLUS_PATTERN = String.raw`(?:\+|%2B)`;
/** Characters of a local part as exports write it (letters, digits, . _ % + -). */
export const LOCAL_CHARS = "A-Za-z0-9._%+\\-";
/**
 * Where a local part may begin: after a character that cannot be in one, or right
 * after an escape (mailto%3Aalice%40…, "\nalice@…", "\u003calice@…").
 */
export const EMAIL_LEFT = String.raw`(?:(?<=%[0-9A-Fa-f]{2})|(?<=\\[nrt])|(?<=\\u00[0-9A-Fa-f]{2})|(?<![${LOCAL_CHARS}]))`;
/** "alice@example.com.invalid" and "alice@example.community.invalid" are other addresses; a trailing full stop is not. */
export const EMAIL_RIGHT = String.raw`(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])`;
const LOCAL_CHAR = new RegExp(`[${LOCAL_CHARS}]`);
/** A domain as found in text. */
const DOMAIN = String.raw`[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`;

/** `Alice@Example.com`, ` mailto:alice@example.com`, `alice%40example.com` → `alice@example.com`. */
export function normaliseEmail(raw: string): string {
  return raw.trim().replace(AT_FORM, "@").replace(/%2B/gi, "+").toLowerCase().replace(/^mailto:/, "");
}

/** `alice+billing@example.com` → `alice@example.com`; undefined when there is no tag. */
export function untagEmail(email: string): string | undefined {
  const at = email.lastIndexOf("@");
  const plus = email.indexOf("+");
  return plus > 0 && plus < at ? email.slice(0, plus) + email.slice(at) : undefined;
}

/** An email address the user typed, checked and normalised; split into its local part and domain. */
export function parseEmail(raw: string): { email: string; local: string; domain: string } {
  const email = normaliseEmail(raw);
  const at = email.lastIndexOf("@");
  if (at < 1 || at === email.length - 1 || /\s/.test(email)) {
    throw new InvalidIdentifierError(`--customer "${raw}" is not an email address`);
  }
  return { email, local: email.slice(0, at), domain: email.slice(at + 1) };
}

/**
 * restore-check: every address text may hold, as `scan` would match it: for each
 * "@" form, the domain after it and each local part before it that starts where
 * `EMAIL_LEFT` allows (after a non-local character, or right after an escape).
 */
export function* emailCandidates(text: string): Generator<{ email: string; index: number; length: number; encoded: boolean }> {
  const domainRun = new RegExp(DOMAIN, "y");
  const rightOk = new RegExp(EMAIL_RIGHT, "y");
  for (const at of text.matchAll(AT_FORM)) {
    const after = at.index! + at[0].length;
    domainRun.lastIndex = after;
    const longest = domainRun.exec(text)?.[0];
    if (!longest) continue;
    // Each domain the text may hold here: two labels or more, ending where scan's right boundary allows.
    const domains: string[] = [];
    for (let end = longest.indexOf(".") + 1; end <= longest.length; end++) {
      if (end < longest.length && longest[end] !== ".") continue;
      const domain = longest.slice(0, end);
      rightOk.lastIndex = after + end;
      if (!domain.endsWith(".") && rightOk.test(text)) domains.push(domain);
    }
    let start = at.index!;
    while (start > 0 && LOCAL_CHAR.test(text[start - 1])) start--;
    const run = text.slice(start, at.index!);
    if (!run || domains.length === 0) continue;
    const starts = new Set<number>([0]);
    if (text[start - 1] === "\\") {
      if (/^[nrt]/.test(run)) starts.add(1);
      if (/^u00[0-9A-Fa-f]{2}/.test(run)) starts.add(5);
    }
    for (const m of run.matchAll(/%[0-9A-Fa-f]{2}/g)) starts.add(m.index! + 3);
    for (const i of starts) {
      if (i >= run.length) continue;
      for (const domain of domains) {
        yield { email: normaliseEmail(`${run.slice(i)}@${domain}`), index: start + i, length: after + domain.length - start - i, encoded: at[0] !== "@" };
      }
    }
  }
}

// ---------- Customer IDs ----------

/** Characters around which an ID is a whole token: `cus_8Hq2LmZ4` is not in `cus_8Hq2LmZ4x` or `old-cus_8Hq2LmZ4`. */
export const ID_TOKEN_CHARS = "A-Za-z0-9_\\-";
/** Characters an ID may not contain: spaces, and what separates fields in exports. */
const NOT_IN_ID = /[\s,;"'<>()[\]{}|`]/;
/** Longest ID straymap matches (restore-check looks at spans up to this long). */
export const MAX_ID_LENGTH = 128;

export function parseId(raw: string): string {
  const id = raw.trim();
  if (!id) throw new InvalidIdentifierError("--id must not be empty");
  if (NOT_IN_ID.test(id)) throw new InvalidIdentifierError(`--id "${raw}": an ID is one token, without spaces or , ; " ' < > ( ) [ ] { } |`);
  if (id.length > MAX_ID_LENGTH) throw new InvalidIdentifierError(`--id: longer than ${MAX_ID_LENGTH} characters`);
  return id;
}

/**
 * Every span of text that could be a whole-token ID: it starts where a token
 * starts and ends where one ends (the boundaries `scan` uses), holds no
 * character an ID cannot, and is at most MAX_ID_LENGTH long.
 */
export function* idCandidates(text: string): Generator<{ value: string; index: number }> {
  const isToken = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
  const runs = /[^\s,;"'<>()[\]{}|`]+/g;
  for (const m of text.matchAll(runs)) {
    const run = m[0];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < run.length; i++) {
      if (!isToken(run[i - 1]) || !isToken(run[i])) starts.push(i);
      if (!isToken(run[i + 1]) || !isToken(run[i])) ends.push(i + 1);
    }
    for (const s of starts) {
      // A span may not start or end right inside a token.
      if (isToken(run[s]) && isToken(run[s - 1])) continue;
      for (const e of ends) {
        if (e <= s || e - s > MAX_ID_LENGTH) continue;
        if (isToken(run[e - 1]) && isToken(run[e])) continue;
        yield { value: run.slice(s, e), index: m.index! + s };
      }
    }
  }
}

// ---------- Phone numbers ----------

/** Separators people put between phone digits. */
export const PHONE_SEP = String.raw`[\s().\-/]{0,3}`;

export interface ParsedPhone {
  countryCode: string;
  national: string;
  /** +CCNNN…: what is hashed and compared. */
  e164: string;
}

/** Normalise a phone number the user typed to its country code and national digits. */
export function parsePhone(raw: string, defaultRegion = "US"): ParsedPhone {
  try {
    const p = phoneLib().parsePhoneNumberWithError(raw, { defaultCountry: defaultRegion.toUpperCase() as CountryCode });
    if (!p.isPossible()) throw new Error("not a possible number");
    return { countryCode: p.countryCallingCode, national: p.nationalNumber, e164: p.number };
  } catch (e) {
    throw new InvalidIdentifierError(`--phone "${raw}" is not a phone number (region ${defaultRegion}): ${(e as Error).message}`);
  }
}

/**
 * The regular expression `scan` uses for one number: its national digits with
 * any separators, after an optional "+CC", "00 CC", "CC" or trunk "0" — and not
 * behind another country code ("+44 415 555 0132" is someone else's).
 */
export function phonePattern(p: ParsedPhone): { full: string; digits: string } {
  const digits = p.national.split("").join(PHONE_SEP);
  const prefix = `(?:(?:\\+|00)${PHONE_SEP}${p.countryCode}${PHONE_SEP}\\(?0?\\)?${PHONE_SEP}|${p.countryCode}${PHONE_SEP}|\\(?0\\)?${PHONE_SEP})?`;
  const otherCountry = `(?<!(?:\\+|\\b00)\\d{1,3}${PHONE_SEP})`;
  return { full: `(?<![\\d+])${otherCountry}${prefix}\\(?${digits}(?!\\d)`, digits };
}

/** A number behind another country code ("+44 415 555 0132" is not +1 415 555 0132). */
const OTHER_COUNTRY_BEFORE = /(?:\+|\b00)\d{1,3}[\s().\-/]{0,3}$/;

/**
 * restore-check: what a stretch of digits in text may stand for, read as
 * `phonePattern` reads them. Each stretch of digit groups yields E.164 forms
 * ("+CC…" when written with "+"/"00" or with the country code glued on) and,
 * when no country code is written, national forms (with a trunk "0" dropped):
 * scan matches those for any country, so the store keeps a hash of both.
 */
export function* phoneCandidates(text: string): Generator<{ kind: "phone" | "phone-national"; value: string; index: number; length: number }> {
  const groups = /\+?\(?\d[\d\s().\-/]*\d|\+?\d/g;
  for (const m of text.matchAll(groups)) {
    const run = m[0];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < run.length; i++) {
      if (!/\d/.test(run[i])) continue;
      if (!/\d/.test(run[i - 1] ?? "")) starts.push(i);
      if (!/\d/.test(run[i + 1] ?? "")) ends.push(i + 1);
    }
    for (const s of starts) {
      const before = text.slice(Math.max(0, m.index! + s - 8), m.index! + s);
      // Read from a "+" (or "+("): the country code is written.
      const opener = /\+\(?\s*$/.exec(before);
      const fromPlus = opener !== null && !/[\d+]$/.test(before.slice(0, opener.index));
      // Read from the digits themselves: no digit or "+" right before, and no other country code.
      const fromDigits = !/[\d+]$/.test(before) && !OTHER_COUNTRY_BEFORE.test(before);
      for (const e of ends) {
        if (e <= s) continue;
        const digits = run.slice(s, e).replace(/\D/g, "");
        if (digits.length < 6 || digits.length > 17) continue;
        const at = { index: m.index! + s, length: e - s };
        const international = [...(fromPlus ? [digits] : []), ...(fromDigits && digits.startsWith("00") ? [digits.slice(2)] : [])];
        for (const d of international) {
          yield { kind: "phone", value: `+${d}`, ...at };
          // "+CC (0) NNN": a trunk 0 after a country code of 1–3 digits.
          for (let k = 1; k <= 3; k++) if (d[k] === "0") yield { kind: "phone", value: `+${d.slice(0, k)}${d.slice(k + 1)}`, ...at };
        }
        if (!fromDigits) continue;
        // "1 415 555 0132", "14155550132": the country code glued on; or national digits, with or without a trunk 0.
        yield { kind: "phone", value: `+${digits}`, ...at };
        yield { kind: "phone-national", value: digits, ...at };
        if (digits.startsWith("0")) yield { kind: "phone-national", value: digits.slice(1), ...at };
      }
    }
  }
}

/** What the store keeps of one identifier: the normalised forms that restore-check compares, by kind. */
export function hashedForms(kind: IdentifierKind, raw: string, region = "US"): { kind: string; value: string }[] {
  if (kind === "email") return [{ kind, value: parseEmail(raw).email }];
  if (kind === "id") return [{ kind, value: parseId(raw) }];
  const p = parsePhone(raw, region);
  return [
    { kind: "phone", value: p.e164 },
    { kind: "phone-national", value: p.national },
  ];
}
