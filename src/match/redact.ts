/**
 * Redaction keeps straymap from becoming one more copy of the data it hunts:
 * every value it prints is masked unless the user asked for --show-values.
 */

const EMAIL_LIKE = /([A-Za-z0-9._%+\-]+)(@|%40|\\u0040|&#0*64;|&#x0*40;|&commat;)([A-Za-z0-9.\-]+\.[A-Za-z]{2,})/gi;

/** `alice@example.com` → `a****@example.com` (the domain stays: it tells which system, not who). */
export function redactEmail(value: string): string {
  return value.replace(EMAIL_LIKE, (_m, local: string, at: string, domain: string) => `${local[0]}****${at}${domain}`);
}

/** Keep the last two digits so a person can tell numbers apart: `+1 (415) 555-0132` → `+* (***) ***-**32`. */
export function redactDigits(value: string): string {
  const total = (value.match(/\d/g) ?? []).length;
  let seen = 0;
  return value.replace(/\d/g, (d) => (++seen > total - 2 ? d : "*"));
}

/** `cus_8Hq2LmZ4` → `cus_****`; other tokens keep their first two characters. */
export function redactToken(value: string): string {
  const prefix = /^[A-Za-z]{2,5}_/.exec(value)?.[0] ?? value.slice(0, Math.min(2, Math.floor(value.length / 3)));
  return `${prefix}****`;
}

/** Redact a matched value according to what kind of identifier it is. */
export function redactValue(value: string, kind: string): string {
  switch (kind) {
    case "email":
      return redactEmail(value) === value ? redactToken(value) : redactEmail(value);
    case "phone":
    case "card":
    case "iban":
    case "ssn":
      return redactDigits(value);
    default:
      return redactToken(value);
  }
}

/**
 * Mask anything in surrounding text that may identify a person: email
 * addresses, runs of four or more digits (phones, cards, IDs, postcodes) and
 * capitalised words (names: "Call back Alice" becomes "C*** back A****").
 */
export function redactContext(text: string): string {
  return redactEmail(text)
    .replace(/\d[\d\s().\-]{2,}\d/g, (run) => (/(\d\D*){4}/.test(run) ? redactDigits(run) : run))
    .replace(/(?<![\p{L}@.])(\p{Lu})(\p{Ll}+)/gu, (_m, first: string, rest: string) => first + "*".repeat(rest.length));
}

const CONTEXT = 24;

/**
 * A short snippet around a hit: the hit itself redacted by kind, the context
 * around it redacted generically, cut to a couple of dozen characters a side.
 */
export function snippet(text: string, index: number, length: number, kind: string, showValues: boolean): string {
  const hit = text.slice(index, index + length);
  // Redact a wider window first, so an address cut in half at the edge is still masked.
  const wideBefore = text.slice(Math.max(0, index - CONTEXT - 64), index);
  const wideAfter = text.slice(index + length, index + length + CONTEXT + 64);
  const before = (showValues ? wideBefore : redactContext(wideBefore)).slice(-CONTEXT);
  const after = (showValues ? wideAfter : redactContext(wideAfter)).slice(0, CONTEXT);
  const body = before + (showValues ? hit : redactValue(hit, kind)) + after;
  const cutBefore = index - CONTEXT > 0;
  const cutAfter = index + length + CONTEXT < text.length;
  return (cutBefore ? "…" : "") + body.replace(/[\r\n\t]+/g, " ") + (cutAfter ? "…" : "");
}
