import type { CountryCode } from "libphonenumber-js";
import { lazy } from "../lazy.js";

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

/** Named checks that rules refer to by name (rules/pii.yaml `values.validator`). */
export const VALIDATORS: Record<string, (value: string, ctx: ValidatorContext) => boolean> = {
  email: (v) => lib.validator.isEmail(v.trim().replace(/^mailto:/i, ""), { allow_utf8_local_part: true }),
  phone: (v, ctx) => (v.match(/\d/g) ?? []).length >= 7 && lib.phone.isValidPhoneNumber(v.trim(), ctx.phoneRegion.toUpperCase() as CountryCode),
  luhn: (v) => lib.validator.isLuhnNumber(v.replace(/[ -]/g, "")),
  iban: (v) => lib.validator.isIBAN(v.replace(/\s/g, "").toUpperCase()),
  ip: (v) => lib.validator.isIP(v.trim()),
};
