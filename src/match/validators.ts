import { readFileSync } from "node:fs";
import type { CountryCode } from "libphonenumber-js";
import { lazy, memo, yaml } from "../lazy.js";
import { isPersonName } from "./person-names.js";
import { rulesFile } from "./rules-files.js";

// Only sweeps validate values: scans do not load these.
const validatorLib = lazy<typeof import("validator")>("validator");
const phoneLib = lazy<typeof import("libphonenumber-js")>("libphonenumber-js");
const lib = {
  get validator() {
    return validatorLib();
  },
  get phone() {
    return phoneLib();
  },
};

/** What a check may need to know besides the value: the region for phone numbers without a country code. */
export interface ValidatorContext {
  phoneRegion: string;
}

const digitsOf = (v: string) => v.replace(/[\s.-]/g, "");

// ---- Payment cards: brand (IIN prefix and length, rules/cards.yaml) and Luhn ----

interface Brand {
  name: string;
  ranges: { from: number; to: number; digits: number }[];
  lengths: Set<number>;
}

const brands = memo((): Brand[] => {
  const doc = yaml().parse(readFileSync(rulesFile("cards.yaml"), "utf8")) as { brands: { name: string; prefixes: string[]; lengths: number[] }[] };
  return doc.brands.map((b) => ({
    name: b.name,
    lengths: new Set(b.lengths),
    ranges: b.prefixes.map((p) => {
      const [from, to = from] = p.split("-");
      return { from: Number(from), to: Number(to), digits: from.length };
    }),
  }));
});

/** The brand a card number belongs to by its leading digits and length (longest prefix wins), or undefined. */
export function cardBrand(value: string): string | undefined {
  const n = value.replace(/[ -]/g, "");
  if (!/^\d{12,19}$/.test(n)) return undefined;
  let best: { name: string; digits: number } | undefined;
  for (const b of brands()) {
    if (!b.lengths.has(n.length)) continue;
    for (const r of b.ranges) {
      const lead = Number(n.slice(0, r.digits));
      if (lead >= r.from && lead <= r.to && (!best || r.digits > best.digits)) best = { name: b.name, digits: r.digits };
    }
  }
  return best?.name;
}

const isCard = (v: string) => cardBrand(v) !== undefined && lib.validator.isLuhnNumber(v.replace(/[ -]/g, ""));

// ---- National identity numbers ----

/** US Social Security number, checked as python-stdnum does (us.ssn). */
function isUsSsn(v: string): boolean {
  const n = digitsOf(v);
  if (!/^\d{9}$/.test(n)) return false;
  const area = n.slice(0, 3);
  if (area === "000" || area === "666" || area[0] === "9") return false;
  if (n.slice(3, 5) === "00" || n.slice(5) === "0000") return false;
  // Numbers known to be invalid: used in advertising (Woolworth's wallet card, 1938) or reserved.
  return !["078051120", "457555462", "219099999"].includes(n);
}

/** French NIR (numéro de sécurité sociale): 13 digits (2A/2B for Corsica) and a key of 97 − (number mod 97). */
function isFrNir(v: string): boolean {
  const n = v.replace(/\s/g, "").toUpperCase();
  const m = /^([12378]\d{4}(?:\d{2}|2A|2B)\d{6})(\d{2})$/.exec(n);
  if (!m) return false;
  const body = BigInt(m[1].replace("2A", "19").replace("2B", "18"));
  return 97n - (body % 97n) === BigInt(m[2]);
}

/** UK National Insurance number: two letters (not the reserved ones), six digits, A–D. */
const isUkNino = (v: string) => /^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/i.test(v.replace(/\s/g, ""));

const taxId = (locale: string) => (v: string) => {
  try {
    return lib.validator.isTaxID(v.trim(), locale);
  } catch {
    return false;
  }
};

/** Named checks that rules refer to by name (rules/pii.yaml `values.validator`). */
export const VALIDATORS: Record<string, (value: string, ctx: ValidatorContext) => boolean> = {
  email: (v) => lib.validator.isEmail(v.trim().replace(/^mailto:/i, ""), { allow_utf8_local_part: true }),
  phone: (v, ctx) => (v.match(/\d/g) ?? []).length >= 7 && lib.phone.isValidPhoneNumber(v.trim(), ctx.phoneRegion.toUpperCase() as CountryCode),
  luhn: (v) => lib.validator.isLuhnNumber(v.replace(/[ -]/g, "")),
  /** A card number: a known brand's prefix and length, and the Luhn check. */
  card: isCard,
  iban: (v) => lib.validator.isIBAN(v.replace(/\s/g, "").toUpperCase()),
  ip: (v) => lib.validator.isIP(v.trim()),
  /** One to four capitalised words, mostly known given names or surnames (rules/names.txt). */
  person_name: (v) => isPersonName(v),
  us_ssn: isUsSsn,
  fr_nir: isFrNir,
  uk_nino: isUkNino,
  /** Spanish DNI/NIE: the control letter. */
  es_dni: taxId("es-ES"),
  /** German tax id (Steuer-IdNr): digit rules and ISO 7064 check digit. */
  de_tax_id: (v) => /^\d{11}$/.test(digitsOf(v)) && taxId("de-DE")(digitsOf(v)),
  /** Dutch BSN: the eleven test. */
  nl_bsn: (v) => /^\d{9}$/.test(digitsOf(v)) && taxId("nl-NL")(digitsOf(v)),
  /** Italian codice fiscale: the check letter. */
  it_codice_fiscale: taxId("it-IT"),
  /** Brazilian CPF: two check digits. */
  br_cpf: taxId("pt-BR"),
};

/** What validated values have in common, for the evidence (the card brands seen). */
export const DESCRIBERS: Record<string, (values: string[]) => string | undefined> = {
  card: (values) => {
    const seen = [...new Set(values.map(cardBrand).filter((b): b is string => b !== undefined))];
    return seen.length ? `brands seen: ${seen.join(", ")}` : undefined;
  },
};

// ---- Personal data inside free text: entities found in sentences ----

const EMAIL_IN_TEXT = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const CARD_IN_TEXT = /\b\d(?:[ -]?\d){11,18}\b/g;

/** Named finders that rules refer to by name (`values.find`): the validated entities inside a text. */
export const FINDERS: Record<string, (text: string, ctx: ValidatorContext) => string[]> = {
  email: (t) => (t.match(EMAIL_IN_TEXT) ?? []).filter((e) => VALIDATORS.email(e, { phoneRegion: "US" })),
  phone: (t, ctx) => lib.phone.findPhoneNumbersInText(t, ctx.phoneRegion.toUpperCase() as CountryCode).map((f) => t.slice(f.startsAt, f.endsAt)),
  card: (t) => (t.match(CARD_IN_TEXT) ?? []).filter(isCard),
};
