import type { CustomerHit } from "./customer.js";
import { parsePhone } from "./customer.js";

/** A keyed hash of one normalised identifier, as the store computes it. */
export type Hasher = (kind: string, normalised: string) => string;

const EMAIL = /[A-Za-z0-9._%+\-]+(?:@|%40|\\u0040|&#0*64;|&#x0*40;)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}/gi;
const TOKEN = /[A-Za-z0-9_\-]{4,64}/g;
const PHONE = /\+?\d[\d\s().\-/]{5,22}\d/g;

/**
 * Finds identifiers of closed requests without knowing them: every token
 * that looks like an email, an ID or a phone number is normalised, hashed
 * with the store's key and compared with the hashes kept after close.
 */
export class HashedMatcher {
  constructor(
    /** hash → the request it belongs to, and the identifier kind. */
    private readonly known: Map<string, { request: string; kind: string }>,
    private readonly hash: Hasher,
    private readonly region = "US",
  ) {}

  find(text: string): (CustomerHit & { request: string })[] {
    const hits: (CustomerHit & { request: string })[] = [];
    const check = (kind: string, value: string, index: number, length: number, variant: CustomerHit["variant"] = "exact") => {
      const k = this.known.get(this.hash(kind, value));
      if (k && k.kind === kind) hits.push({ identifier: kind as CustomerHit["identifier"], variant, confidence: 0.9, index, length, request: k.request });
    };
    for (const m of text.matchAll(EMAIL)) {
      const email = m[0].replace(/%40|\\u0040|&#0*64;|&#x0*40;/i, "@").toLowerCase().replace(/^mailto:/, "");
      check("email", email, m.index!, m[0].length);
      const untagged = email.replace(/\+[^@]*@/, "@");
      if (untagged !== email) check("email", untagged, m.index!, m[0].length, "plus-tag");
    }
    for (const m of text.matchAll(TOKEN)) check("id", m[0], m.index!, m[0].length);
    for (const m of text.matchAll(PHONE)) {
      try {
        check("phone", parsePhone(m[0], this.region).e164, m.index!, m[0].length);
      } catch {
        // Not a phone number after all.
      }
    }
    return hits.sort((a, b) => a.index - b.index);
  }
}
