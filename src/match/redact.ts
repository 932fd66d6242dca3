/**
 * Redaction keeps straymap from becoming one more copy of the data it hunts:
 * every value it prints or stores is masked unless the user asked for
 * --show-values. Masks are decided on the whole text (a cell, a line, a path)
 * and only then is an evidence window cut, so an identifier the window would
 * cut in half is never left half-readable.
 */
import type { Finding, ScanEvent } from "../types.js";

const AT = String.raw`(?:@|%40|\\u0040|\\x40|&#0*64;|&#x0*40;|&commat;)`;
const EMAIL_LIKE = new RegExp(String.raw`([A-Za-z0-9._%+\-]+)(${AT})([A-Za-z0-9.\-]+\.[A-Za-z]{2,})`, "gi");

/** `alice@example.com` → `a****@example.com` (the domain stays: it tells which system, not who). */
export function redactEmail(value: string): string {
  return value.replace(EMAIL_LIKE, (_m, local: string, at: string, domain: string) => `${local.replace(/^mailto:/i, "")[0] ?? ""}****${at}${domain}`);
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

/** A stretch of text and what it is shown as. */
interface Mask {
  start: number;
  end: number;
  text: string;
}

/** Something that finds a person's identifiers in a text (a CustomerMatcher, a HashedMatcher). */
export interface Finder {
  find(text: string): { index: number; length: number; identifier: string }[];
}

/** A hit already known in the text (the customer's identifiers found by the matcher). */
export interface KnownHit {
  index: number;
  length: number;
  identifier: string;
}

/**
 * What in `text` may identify a person, in order of precedence: the known
 * hits, email addresses, ID-like tokens (letters and digits mixed, or a
 * `prefix_` shape), runs of four or more digits, capitalised words (names).
 * Each is found on the whole text; a later kind never splits an earlier one.
 */
function masksOf(text: string, known: KnownHit[]): Mask[] {
  const taken: Mask[] = [];
  /**
   * Mask [start, end) with `how`; where part of it is masked already (a phone
   * glued to an address), the parts left are masked on their own, and a part
   * `how` no longer recognises is masked whole: a fragment is never let through.
   */
  const add = (start: number, end: number, how: (s: string) => string) => {
    const covered = taken.filter((m) => m.start < end && m.end > start).sort((a, b) => a.start - b.start);
    const parts: [number, number][] = [];
    let at = start;
    for (const m of covered) {
      parts.push([at, m.start]);
      at = Math.max(at, m.end);
    }
    parts.push([at, end]);
    for (const [s, e] of parts) {
      if (e <= s) continue;
      const raw = text.slice(s, e);
      const masked = how(raw);
      taken.push({ start: s, end: e, text: masked === raw && covered.length && /[A-Za-z0-9]{2}/.test(raw) ? `${raw[0]}****` : masked });
    }
  };
  for (const h of known) add(h.index, h.index + h.length, (v) => redactValue(v, h.identifier));
  for (const m of text.matchAll(EMAIL_LIKE)) add(m.index!, m.index! + m[0].length, redactEmail);
  for (const m of text.matchAll(/[A-Za-z0-9_\-]{6,}/g)) {
    const t = m[0];
    if ((/\d/.test(t) && /[A-Za-z]/.test(t)) || /^[A-Za-z]{2,5}_[A-Za-z0-9]{3,}/.test(t)) add(m.index!, m.index! + t.length, redactToken);
  }
  for (const m of text.matchAll(/\d[\d\s().\-]{2,}\d/g)) if (/(\d\D*){4}/.test(m[0])) add(m.index!, m.index! + m[0].length, redactDigits);
  for (const m of text.matchAll(/(?<![\p{L}@.])(\p{Lu})(\p{Ll}+)/gu)) add(m.index!, m.index! + m[0].length, (w) => w[0] + "*".repeat(w.length - 1));
  return taken.sort((a, b) => a.start - b.start);
}

function applyMasks(text: string, masks: Mask[], from = 0, to = text.length): string {
  let out = "";
  let at = from;
  for (const m of masks) {
    if (m.end <= from || m.start >= to) continue;
    out += text.slice(at, m.start) + m.text;
    at = m.end;
  }
  return out + text.slice(at, to);
}

/**
 * Mask anything in text that may identify a person: email addresses, ID-like
 * tokens, runs of four or more digits (phones, cards, IDs, postcodes) and
 * capitalised words (names: "Call back Alice" becomes "C*** back A****").
 */
export function redactContext(text: string, known: KnownHit[] = []): string {
  return applyMasks(text, masksOf(text, known));
}

const CONTEXT = 24;
/** Longer texts are masked around the hit only: a token this far away cannot reach into the window. */
const MASK_REACH = 4096;

/**
 * A short snippet around a hit: every identifier of hers in the text (`known`,
 * the hit itself included) masked by kind and the rest masked generically,
 * all on the whole text first; then cut to a couple of dozen characters a
 * side, never inside a masked stretch.
 */
export function snippet(text: string, index: number, length: number, kind: string, showValues: boolean, known: KnownHit[] = []): string {
  let lo = Math.max(0, index - CONTEXT);
  let hi = Math.min(text.length, index + length + CONTEXT);
  let body: string;
  if (showValues) body = text.slice(lo, hi);
  else {
    const regionStart = text.length > 4 * MASK_REACH ? Math.max(0, index - MASK_REACH) : 0;
    const regionEnd = text.length > 4 * MASK_REACH ? Math.min(text.length, index + length + MASK_REACH) : text.length;
    const region = text.slice(regionStart, regionEnd);
    const hits = [{ index, length, identifier: kind }, ...known].map((h) => ({ ...h, index: h.index - regionStart })).filter((h) => h.index >= 0 && h.index + h.length <= region.length);
    const masks = masksOf(region, hits).map((m) => ({ ...m, start: m.start + regionStart, end: m.end + regionStart }));
    // A window edge inside a masked stretch moves out to include all of it.
    for (const m of masks) {
      if (m.start < lo && m.end > lo) lo = m.start;
      if (m.start < hi && m.end > hi) hi = m.end;
    }
    body = applyMasks(text, masks, lo, hi);
  }
  return (lo > 0 ? "…" : "") + body.replace(/[\r\n\t]+/g, " ") + (hi < text.length ? "…" : "");
}

/**
 * Her address inside a longer address-like string, as file names write it
 * (`alice@example.com.csv`, `export_alice@example.com`): every shorter local
 * part and domain is put to the finders, for strings short enough to afford it.
 */
function embeddedEmails(text: string, finders: Finder[]): KnownHit[] {
  if (text.length > 4096) return [];
  const hits: KnownHit[] = [];
  for (const m of text.matchAll(EMAIL_LIKE)) {
    const [local, at, domain] = [m[1], m[2], m[3]];
    const labels = domain.split(".");
    for (let i = 0; i < local.length && i < 64; i++) {
      // Her address starts the candidate, or follows a separator or a run of digits (`export_alice@`, `2026alice@`).
      if (i > 0 && !/[._%+\-]/.test(local[i - 1]) && !(/\d/.test(local[i - 1]) && /\D/.test(local[i]))) continue;
      for (let n = labels.length; n >= 2; n--) {
        const candidate = `${local.slice(i)}${at}${labels.slice(0, n).join(".")}`;
        if (finders.some((f) => f.find(candidate).some((h) => h.index === 0 && h.length === candidate.length))) {
          hits.push({ index: m.index! + i, length: candidate.length, identifier: "email" });
          i = local.length;
          break;
        }
      }
    }
  }
  return hits;
}

/** Every occurrence the finders see in `text`, masked by its kind; the rest left as it is. */
export function maskKnown(text: string, finders: Finder[]): string {
  const hits = [...finders.flatMap((f) => f.find(text)), ...embeddedEmails(text, finders)];
  if (hits.length === 0) return text;
  const masks: Mask[] = [];
  for (const h of hits.sort((a, b) => a.index - b.index || b.length - a.length)) {
    if (masks.some((m) => h.index < m.end && h.index + h.length > m.start)) continue;
    masks.push({ start: h.index, end: h.index + h.length, text: redactValue(text.slice(h.index, h.index + h.length), h.identifier) });
  }
  return applyMasks(text, masks);
}

/** A copy of a JSON-like value with every string (keys included) passed through `mask`. */
export function maskDeep<T>(value: T, mask: (s: string) => string): T {
  if (typeof value === "string") return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask)) as T;
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [mask(k), maskDeep(v, mask)])) as T;
  }
  return value;
}

/**
 * Her identifiers masked wherever they stand in an event: a finding's
 * location (file, member, sheet, column, JSON path, row key), its evidence,
 * a coverage entry's path and error, a warning. Her address as a file name or
 * a CSV header is as much a copy as her address in a cell.
 */
export function maskEvent(e: ScanEvent, finders: Finder[]): ScanEvent {
  const mask = (s: string) => maskKnown(s, finders);
  if (e.type === "finding") return { type: "finding", finding: maskDeep<Finding>(e.finding, mask) };
  if (e.type === "coverage") return { type: "coverage", entry: maskDeep(e.entry, mask) };
  if (e.type === "progress") return maskDeep(e, mask);
  return { ...e, message: mask(e.message) };
}

export async function* maskEvents(events: AsyncIterable<ScanEvent>, finders: Finder[], showValues = false): AsyncIterable<ScanEvent> {
  for await (const e of events) yield showValues ? e : maskEvent(e, finders);
}
