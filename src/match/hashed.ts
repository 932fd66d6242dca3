import type { CustomerHit } from "./customer.js";
import { emailCandidates, idCandidates, phoneCandidates, untagEmail, type IdentifierKind } from "./forms.js";

/** A keyed hash of one normalised identifier, as the store computes it. */
export type Hasher = (kind: string, normalised: string) => string;

/**
 * Finds identifiers of closed requests without knowing them: every span of
 * text that `scan` could have matched as an email, an ID or a phone number is
 * normalised the way the store normalised hers (match/forms.ts), hashed with
 * the store's key, and compared with the hashes kept after close.
 */
export class HashedMatcher {
  constructor(
    /** hash → the request it belongs to, and the identifier kind ("phone-national" counts as phone). */
    private readonly known: Map<string, { request: string; kind: string }>,
    private readonly hash: Hasher,
  ) {}

  find(text: string): (CustomerHit & { request: string })[] {
    const hits: (CustomerHit & { request: string })[] = [];
    const seen = new Set<string>();
    const check = (kind: string, value: string, index: number, length: number, variant: CustomerHit["variant"] = "exact") => {
      const k = this.known.get(this.hash(kind, value));
      if (!k || k.kind !== kind) return;
      const identifier: IdentifierKind = kind === "phone-national" ? "phone" : (kind as IdentifierKind);
      // One hit per place and identifier, however many forms of it matched.
      const key = `${index}:${length}:${identifier}:${k.request}`;
      if (seen.has(key)) return;
      seen.add(key);
      hits.push({ identifier, variant, confidence: 0.9, index, length, request: k.request });
    };
    for (const c of emailCandidates(text)) {
      check("email", c.email, c.index, c.length, c.encoded ? "encoded" : "exact");
      const untagged = untagEmail(c.email);
      if (untagged) check("email", untagged, c.index, c.length, "plus-tag");
    }
    for (const c of idCandidates(text)) check("id", c.value, c.index, c.value.length);
    for (const c of phoneCandidates(text)) check(c.kind, c.value, c.index, c.length);
    return hits.sort((a, b) => a.index - b.index);
  }
}
