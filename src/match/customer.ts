import {
  AT_PATTERN,
  EMAIL_LEFT,
  EMAIL_RIGHT,
  ID_TOKEN_CHARS,
  InvalidIdentifierError,
  PLUS_PATTERN,
  parseEmail,
  parseId,
  parsePhone,
  phonePattern,
  type IdentifierKind,
} from "./forms.js";

export { InvalidIdentifierError, parsePhone, type IdentifierKind };

/** The identifiers of the one customer a scan looks for. */
export interface CustomerQuery {
  emails?: string[];
  ids?: string[];
  phones?: string[];
  /** Region used to read phone numbers written without a country code (default US). */
  defaultRegion?: string;
}

import type { MatchVariant } from "../types.js";
export type { MatchVariant };

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

function emailNeedle(raw: string): Needle {
  const { email, local, domain } = parseEmail(raw);
  const source = EMAIL_LEFT + escapeRegex(local) + `(?<tag>${PLUS_PATTERN}[A-Za-z0-9._\\-]+)?` + `(?<at>${AT_PATTERN})` + escapeRegex(domain) + EMAIL_RIGHT;
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
  const id = parseId(raw);
  const source = `(?<![${ID_TOKEN_CHARS}])${escapeRegex(id)}(?![${ID_TOKEN_CHARS}])`;
  return {
    identifier: "id",
    regex: new RegExp(source, "g"),
    anchor: { literal: asciiRun(id).toLowerCase() },
    classify: () => ({ variant: "exact", confidence: 0.95 }),
  };
}

function phoneNeedle(raw: string, defaultRegion: string): Needle {
  const { full, digits } = phonePattern(parsePhone(raw, defaultRegion));
  return {
    identifier: "phone",
    regex: new RegExp(full, "g"),
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
