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

let phoneRegion: CountryCode = "US";

/** Region used to judge phone numbers written without a country code. */
export function setPhoneRegion(region: string): void {
  phoneRegion = region.toUpperCase() as CountryCode;
}

/** Named checks that rules refer to by name (rules/pii.yaml `values.validator`). */
export const VALIDATORS: Record<string, (value: string) => boolean> = {
  email: (v) => lib.validator.isEmail(v.trim().replace(/^mailto:/i, ""), { allow_utf8_local_part: true }),
  phone: (v) => (v.match(/\d/g) ?? []).length >= 7 && lib.phone.isValidPhoneNumber(v.trim(), phoneRegion),
  luhn: (v) => lib.validator.isLuhnNumber(v.replace(/[ -]/g, "")),
  iban: (v) => lib.validator.isIBAN(v.replace(/\s/g, "").toUpperCase()),
  ip: (v) => lib.validator.isIP(v.trim()),
};
