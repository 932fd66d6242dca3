import type { CompiledRule, RuleSet } from "./rules.js";
import { headerWords } from "./rules.js";

export interface ColumnVerdict {
  piiType: string;
  rule: string;
  reason: "header" | "values" | "header+values";
  confidence: number;
  /** Non-empty values sampled, and how many validated (0 when the rule has no value check). */
  sample: { size: number; valid: number };
  /** Whether the rule checks values at all (name and date-of-birth rules go by header only). */
  checksValues: boolean;
  /** Sampled values that validated, for (redacted) evidence. */
  examples: string[];
}

function headerMatches(rule: CompiledRule, words: string[]): boolean {
  if (words.some((w) => rule.exclude.has(w))) return false;
  return rule.phrases.some((phrase) => {
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (phrase.every((p, j) => words[i + j] === p)) return true;
    }
    return false;
  });
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Decide which PII types a column holds, from its header and sampled values.
 * A header match stands on its own unless the values clearly contradict it
 * (an "email" column of booleans); values alone must reach the rule's ratio.
 */
export function classifyColumn(rules: RuleSet, header: string, values: string[]): ColumnVerdict[] {
  const words = headerWords(header);
  const nonEmpty = values.map((v) => v.trim()).filter((v) => v !== "");
  const verdicts: ColumnVerdict[] = [];
  for (const rule of rules.rules) {
    const byHeader = headerMatches(rule, words);
    const checksValues = rule.pattern !== undefined || rule.validator !== undefined;
    const shaped = rule.pattern ? nonEmpty.filter((v) => rule.pattern!.test(v)) : nonEmpty;
    const valid = checksValues ? shaped.filter((v) => !rule.validator || rule.validator(v)) : [];
    const ratio = nonEmpty.length ? valid.length / nonEmpty.length : 0;
    const enough = nonEmpty.length >= rule.minSamples;
    const byValues = checksValues && enough && ratio >= rule.minRatio;
    const strongAlone = byValues && (!rule.alone || valid.filter((v) => rule.alone!.test(v)).length / valid.length >= rule.minRatio);
    const sample = { size: nonEmpty.length, valid: valid.length };
    const examples = valid.slice(0, 2);
    if (byHeader && byValues) {
      verdicts.push({ piiType: rule.piiType, rule: rule.id, reason: "header+values", confidence: round(Math.min(0.99, 0.9 + 0.09 * ratio)), sample, checksValues, examples });
    } else if (byHeader) {
      // Values that plainly are something else overrule the name: not even the shape
      // (an "email" column of booleans), or for strict rules not valid (card numbers failing Luhn).
      const agreeing = rule.strict ? valid.length : shaped.length;
      if (checksValues && enough && agreeing / nonEmpty.length < 0.1) continue;
      verdicts.push({ piiType: rule.piiType, rule: rule.id, reason: "header", confidence: checksValues && enough ? 0.75 : 0.7, sample, checksValues, examples });
    } else if (strongAlone) {
      verdicts.push({ piiType: rule.piiType, rule: rule.id, reason: "values", confidence: round(0.5 + 0.45 * ratio), sample, checksValues, examples });
    }
  }
  return verdicts;
}
