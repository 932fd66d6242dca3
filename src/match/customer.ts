import type { CountryCode } from "libphonenumber-js";
import { lazy } from "../lazy.js";

// Phone metadata is large, and most scans have no phone number.
const phoneLib = lazy<typeof import("libphonenumber-js")>("libphonenumber-js");

/** The identifiers of the one customer a scan looks for. */
export interface CustomerQuery {
  emails?: string[];
  ids?: string[];
  phones?: string[];
  /** Region used to read phone numbers written without a country code (default US). */
  defaultRegion?: string;
}

export type IdentifierKind = "email" | "id" | "phone";
export type MatchVariant = "exact" | "encoded" | "plus-tag";

export interface CustomerHit {
  identifier: IdentifierKind;
  variant: MatchVariant;
  confidence: number;
  /** Index and length of the matched text within the searched string. */
  index: number;
  length: number;
}

interface Needle {
  identifier: IdentifierKind;
  regex: RegExp;
  classify(m: RegExpExecArray): { variant: MatchVariant; confidence: number };
  /** Text every form of this identifier contains: a lower-case ASCII literal, or a pattern (phones). */
  anchor: { literal: string } | { pattern: string };
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Forms an "@" takes in real exports: plain, URL-encoded, JSON/JS-escaped, HTML entities.
const AT_FORMS = String.raw`(?:@|%40|\\u0040|\\x40|&#0*64;|&#x0*40;|&commat;)`;
// A local part may be preceded by a percent- or backslash-escape (mailto%3Aalice%40…, "\nalice@…").
const EMAIL_LEFT = String.raw`(?:(?<=%[0-9A-Fa-f]{2})|(?<=\\[nrt])|(?<=\\u00[0-9A-Fa-f]{2})|(?<![A-Za-z0-9._%+\-]))`;
// "alice@example.com.invalid" and "alice@example.community.invalid" are other addresses; a trailing full stop is not.
const EMAIL_RIGHT = String.raw`(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])`;
const ID_TOKEN_CHARS = "A-Za-z0-9_\\-";
// Separators people put between phone digits.
const PHONE_SEP = String.raw`[\s().\-/]{0,3}`;

export class InvalidIdentifierError extends Error {}

function emailNeedle(raw: string): Needle {
  const email = raw.trim().toLowerCase().replace(/^mailto:/, "");
  const at = email.lastIndexOf("@");
  if (at < 1 || at === email.length - 1 || /\s/.test(email)) {
    throw new InvalidIdentifierError(`--customer "${raw}" is not an email address`);
  }
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const source =
    EMAIL_LEFT +
    escapeRegex(local) +
    String.raw`(?<tag>(?:\+|%2B)[A-Za-z0-9._\-]+)?` +
    `(?<at>${AT_FORMS})` +
    escapeRegex(domain) +
    EMAIL_RIGHT;
  return {
    identifier: "email",
    regex: new RegExp(source, "gi"),
    anchor: { literal: asciiRun(local.length >= 3 ? local : email) },
    classify(m) {
      if (m.groups?.tag) return { variant: "plus-tag", confidence: 0.8 };
      if (m.groups?.at !== "@") return { variant: "encoded", confidence: 0.95 };
      return { variant: "exact", confidence: 0.99 };
    },
  };
}

function idNeedle(raw: string): Needle {
  const id = raw.trim();
  if (!id) throw new InvalidIdentifierError("--id must not be empty");
  const source = `(?<![${ID_TOKEN_CHARS}])${escapeRegex(id)}(?![${ID_TOKEN_CHARS}])`;
  return {
    identifier: "id",
    regex: new RegExp(source, "g"),
    anchor: { literal: asciiRun(id).toLowerCase() },
    classify: () => ({ variant: "exact", confidence: 0.95 }),
  };
}

/** Normalise a phone number the user typed to its country code and national digits. */
export function parsePhone(raw: string, defaultRegion = "US"): { countryCode: string; national: string; e164: string } {
  try {
    const p = phoneLib().parsePhoneNumberWithError(raw, { defaultCountry: defaultRegion as CountryCode });
    if (!p.isPossible()) throw new Error("not a possible number");
    return { countryCode: p.countryCallingCode, national: p.nationalNumber, e164: p.number };
  } catch (e) {
    throw new InvalidIdentifierError(
      `--phone "${raw}" is not a phone number (region ${defaultRegion}): ${(e as Error).message}`,
    );
  }
}

function phoneNeedle(raw: string, defaultRegion: string): Needle {
  const { countryCode, national } = parsePhone(raw, defaultRegion);
  // "+1 (415) 555-0132", "001 415 555 0132", "1-415-555-0132", "(415) 555-0132", "4155550132";
  // for trunk-prefix countries also "06 12 34 56 78" for +33 6 12 34 56 78.
  const digits = national.split("").join(PHONE_SEP);
  const prefix = `(?:(?:\\+|00)${PHONE_SEP}${countryCode}${PHONE_SEP}\\(?0?\\)?${PHONE_SEP}|${countryCode}${PHONE_SEP}|\\(?0\\)?${PHONE_SEP})?`;
  // A number behind another country code ("+44 415 555 0132") is someone else's.
  const otherCountry = `(?<!(?:\\+|\\b00)\\d{1,3}${PHONE_SEP})`;
  const source = `(?<![\\d+])${otherCountry}${prefix}\\(?${digits}(?!\\d)`;
  return {
    identifier: "phone",
    regex: new RegExp(source, "g"),
    anchor: { pattern: `${digits}(?!\\d)` },
    classify: () => ({ variant: "exact", confidence: 0.9 }),
  };
}

/** The longest ASCII run of a string: safe to look for in raw bytes of any ASCII-compatible encoding. */
function asciiRun(s: string): string {
  const runs = s.match(/[\x20-\x7e]+/g) ?? [];
  return runs.reduce((a, b) => (b.length > a.length ? b : a), "") || s;
}

/** Compiled matchers for one customer: a cheap prefilter over raw text, then precise hits with boundaries. */
export class CustomerMatcher {
  private readonly needles: Needle[];
  /** Case-insensitive regex whose absence in a text proves no identifier is in it. */
  readonly prefilter: RegExp;
  /** Lower-case literals (emails, IDs) for the byte-level fast path. */
  readonly literals: string[];
  /** Patterns that cannot be literals (phone numbers with separators), or undefined. */
  readonly patternPrefilter: RegExp | undefined;
  /** The phone numbers' digits with any separators, as a PostgreSQL regular expression (a superset, checked precisely after). */
  readonly phonePattern: string | undefined;
  /** Longest stretch of text one match can span, for overlapping chunk boundaries. */
  readonly maxMatchLength: number;

  constructor(query: CustomerQuery) {
    const region = (query.defaultRegion ?? "US").toUpperCase();
    this.needles = [
      ...(query.emails ?? []).map(emailNeedle),
      ...(query.ids ?? []).map(idNeedle),
      ...(query.phones ?? []).map((p) => phoneNeedle(p, region)),
    ];
    if (this.needles.length === 0) {
      throw new InvalidIdentifierError("give at least one identifier: --customer EMAIL, --id ID or --phone NUMBER");
    }
    const asRegex = (a: Needle["anchor"]) => ("literal" in a ? escapeRegex(a.literal) : a.pattern);
    this.prefilter = new RegExp(this.needles.map((n) => asRegex(n.anchor)).join("|"), "i");
    this.literals = [...new Set(this.needles.flatMap((n) => ("literal" in n.anchor ? [n.anchor.literal] : [])))];
    const patterns = this.needles.flatMap((n) => ("pattern" in n.anchor ? [n.anchor.pattern] : []));
    this.patternPrefilter = patterns.length ? new RegExp(patterns.join("|")) : undefined;
    const phones = (query.phones ?? []).map((p) => parsePhone(p, region).national.split("").join("[[:space:]()./-]{0,3}"));
    this.phonePattern = phones.length ? phones.join("|") : undefined;
    const longest = Math.max(
      ...[...(query.emails ?? []), ...(query.ids ?? []), ...(query.phones ?? [])].map((s) => s.length),
    );
    // Encoded "@" forms and phone separators make a match longer than the identifier itself.
    this.maxMatchLength = longest * 4 + 64;
  }

  /** Every hit in `text`, in order of position. */
  find(text: string): CustomerHit[] {
    if (!this.prefilter.test(text)) return [];
    const hits: CustomerHit[] = [];
    for (const needle of this.needles) {
      needle.regex.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = needle.regex.exec(text)) !== null) {
        hits.push({ identifier: needle.identifier, ...needle.classify(m), index: m.index, length: m[0].length });
        if (m[0].length === 0) needle.regex.lastIndex++;
      }
    }
    return hits.sort((a, b) => a.index - b.index);
  }
}
