import type { CompiledRule, RuleSet } from "./rules.js";
import { headerWords } from "./rules.js";

export interface ColumnVerdict {
  piiType: string;
  rule: string;
  reason: "header" | "values" | "header+values" | "embedded in free text";
  confidence: number;
  /** Non-empty values sampled, and how many validated (0 when the rule has no value check). */
  sample: { size: number; valid: number };
  /** Whether the rule checks values at all (name and date-of-birth rules go by header only). */
  checksValues: boolean;
  /** Sampled values that validated (or entities found inside free text), for (redacted) evidence. */
  examples: string[];
  /** What the validated values have in common, for the evidence ("brands seen: Visa, Mastercard"). */
  detail?: string;
}

function headerMatches(rule: CompiledRule, words: string[], phrases = rule.phrases): boolean {
  if (words.some((w) => rule.exclude.has(w))) return false;
  return phrases.some((phrase) => {
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (phrase.every((p, j) => words[i + j] === p)) return true;
    }
    return false;
  });
}

/** "an email", "a phone": for evidence read by people. */
export const withArticle = (piiType: string) => `${/^[aeiou]/i.test(piiType) ? "an" : "a"} ${piiType.replace(/_/g, " ")}`;

const round = (n: number) => Math.round(n * 100) / 100;

/** Values that are sentences rather than single values: three words or more. */
const isFreeText = (v: string) => v.split(/\s+/).length >= 3;

/**
 * A free-text column (notes, ticket bodies, log messages) where enough
 * values contain a validated entity: emails, phones or card numbers inside
 * sentences make the column hold that type.
 */
function embeddedVerdict(rule: CompiledRule, nonEmpty: string[]): ColumnVerdict | undefined {
  const free = nonEmpty.filter(isFreeText);
  if (free.length < rule.minSamples || free.length < nonEmpty.length / 2) return undefined;
  const found = free.map((v) => rule.find!(v));
  const hits = found.filter((f) => f.length > 0).length;
  const ratio = hits / free.length;
  if (ratio < rule.minRatio) return undefined;
  const examples = found.flat().slice(0, 2);
  return { piiType: rule.piiType, rule: rule.id, reason: "embedded in free text", confidence: round(Math.min(0.9, 0.5 + 0.5 * ratio)), sample: { size: free.length, valid: hits }, checksValues: true, examples };
}

/**
 * Decide which PII types a column holds, from its header and sampled values.
 * A header match stands on its own unless the values clearly contradict it
 * (an "email" column of booleans); a confirm header (a bare `name`) needs
 * enough values to agree; values alone must reach the rule's ratio; free-text
 * rules look for entities inside sentences.
 */
export function classifyColumn(rules: RuleSet, header: string, values: string[]): ColumnVerdict[] {
  const words = headerWords(header);
  const nonEmpty = values.map((v) => v.trim()).filter((v) => v !== "");
  const verdicts: ColumnVerdict[] = [];
  const embedded: ColumnVerdict[] = [];
  for (const rule of rules.rules) {
    if (rule.find) {
      const v = embeddedVerdict(rule, nonEmpty);
      if (v) embedded.push(v);
      continue;
    }
    const checksValues = rule.pattern !== undefined || rule.validator !== undefined;
    const shaped = rule.pattern ? nonEmpty.filter((v) => rule.pattern!.test(v)) : nonEmpty;
    const valid = checksValues ? shaped.filter((v) => !rule.validator || rule.validator(v)) : [];
    const ratio = nonEmpty.length ? valid.length / nonEmpty.length : 0;
    const enough = nonEmpty.length >= rule.minSamples;
    const byHeader = headerMatches(rule, words);
    const confirmed = !byHeader && checksValues && enough && ratio >= rule.confirmRatio && headerMatches(rule, words, rule.confirmPhrases);
    const byValues = checksValues && enough && ratio >= rule.minRatio;
    const strongAlone = byValues && (!rule.alone || valid.filter((v) => rule.alone!.test(v)).length / valid.length >= rule.minRatio);
    const sample = { size: nonEmpty.length, valid: valid.length };
    const examples = valid.slice(0, 2);
    const detail = valid.length ? rule.describe?.(valid) : undefined;
    const base = { piiType: rule.piiType, rule: rule.id, sample, checksValues, examples, ...(detail ? { detail } : {}) };
    if ((byHeader && byValues) || confirmed) {
      verdicts.push({ ...base, reason: "header+values", confidence: round(Math.min(0.99, 0.9 + 0.09 * ratio)) });
    } else if (byHeader) {
      // Values that plainly are something else overrule the name: not even the shape
      // (an "email" column of booleans), or for strict rules not valid (card numbers failing Luhn).
      const agreeing = rule.strict ? valid.length : shaped.length;
      if (checksValues && enough && agreeing / nonEmpty.length < 0.1) continue;
      verdicts.push({ ...base, reason: "header", confidence: checksValues && enough ? 0.75 : 0.7 });
    } else if (strongAlone) {
      verdicts.push({ ...base, reason: "values", confidence: round(0.5 + 0.45 * ratio) });
    }
  }
  // One verdict per type (a built-in customer-id format and the user's own may both match: the surer one stays);
  // a column already found to hold a type whole is not also "embedded" for it.
  const best = new Map<string, ColumnVerdict>();
  for (const v of verdicts) if ((best.get(v.piiType)?.confidence ?? -1) < v.confidence) best.set(v.piiType, v);
  for (const e of embedded) if (!best.has(e.piiType)) best.set(e.piiType, e);
  return [...best.values()];
}
