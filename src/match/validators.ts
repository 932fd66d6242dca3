import validator from "validator";
import { isValidPhoneNumber, type CountryCode } from "libphonenumber-js";

let phoneRegion: CountryCode = "US";

/** Region used to judge phone numbers written without a country code. */
export function setPhoneRegion(region: string): void {
  phoneRegion = region.toUpperCase() as CountryCode;
}

/** Named checks that rules refer to by name (rules/pii.yaml `values.validator`). */
export const VALIDATORS: Record<string, (value: string) => boolean> = {
  email: (v) => validator.isEmail(v.trim().replace(/^mailto:/i, ""), { allow_utf8_local_part: true }),
  phone: (v) => (v.match(/\d/g) ?? []).length >= 7 && isValidPhoneNumber(v.trim(), phoneRegion),
  luhn: (v) => validator.isLuhnNumber(v.replace(/[ -]/g, "")),
  iban: (v) => validator.isIBAN(v.replace(/\s/g, "").toUpperCase()),
  ip: (v) => validator.isIP(v.trim()),
};
