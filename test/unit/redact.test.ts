import { describe, expect, it } from "vitest";
import { redactContext, redactDigits, redactEmail, snippet } from "../../src/match/redact.js";

describe("redaction", () => {
  it("masks the local part of addresses", () => {
    expect(redactEmail("alice@example.com")).toBe("a****@example.com");
    expect(redactEmail("x alice%40example.com y")).toBe("x a****%40example.com y");
  });
  it("keeps only the last two digits of numbers", () => {
    expect(redactDigits("+1 (415) 555-0132")).toBe("+* (***) ***-**32");
  });
  it("masks other people's addresses and numbers around a hit", () => {
    expect(redactContext("bob@example.com 4111 1111 1111 1111")).toBe("b****@example.com *******************11".replace(/\*{19}/, "**** **** **** **"));
  });
  it("never shows the matched value, and cut-off neighbours are still masked", () => {
    const text = `${"x".repeat(70)}bob.builder@example.com,alice@example.com,carol.singer@example.com${"y".repeat(70)}`;
    const i = text.indexOf("alice");
    const s = snippet(text, i, "alice@example.com".length, "email", false);
    expect(s).not.toContain("alice@");
    expect(s).not.toMatch(/bob|builder|carol|singer/);
    expect(s).toContain("a****@example.com");
  });
  it("masks capitalised words around a hit: they may be names", () => {
    const text = "Note: Call back Alice Example re: cus_8Hq2LmZ4 INFO ok";
    const s = snippet(text, text.indexOf("cus_"), 12, "id", false);
    expect(s).not.toMatch(/Alice|Example/);
    expect(s).toContain("A**** E******");
    expect(s).toContain("cus_****");
    expect(s).toContain("INFO");
  });

  it("shows the value only when asked", () => {
    expect(snippet("to alice@example.com", 3, 17, "email", true)).toBe("to alice@example.com");
  });
});
