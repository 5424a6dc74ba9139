import { afterEach, describe, expect, it, vi } from "vitest";
import { compareDecimal, decimalToString, formatMinor, formatMoney, isPriceInput, margin, minorToAmount, parseDecimal, signOfMinor, subtractDecimal, sumMoney } from "./money";

afterEach(() => vi.restoreAllMocks());

describe("formatMoney", () => {
  it("formats decimal strings with the currency's pattern", () => {
    expect(formatMoney("1234.5", "USD", { locale: "en-US" })).toBe("$1,234.50");
    expect(formatMoney("12", "USD", { locale: "en-US" })).toBe("$12.00");
    expect(formatMoney("1234.5", "EUR", { locale: "de-DE" })).toBe("1.234,50\u00a0€");
    expect(formatMoney("1500", "JPY", { locale: "en-US" })).toBe("¥1,500");
    expect(formatMoney("-3.5", "USD", { locale: "en-US" })).toBe("-$3.50");
  });

  it("keeps sub-cent precision of rates", () => {
    expect(formatMoney("0.0075", "USD", { locale: "en-US" })).toBe("$0.0075");
    expect(formatMoney("0.018000", "USD", { locale: "en-US" })).toBe("$0.018");
    expect(formatMoney("0.123456", "USD", { locale: "en-US", maxFraction: 4 })).toBe("$0.1234");
  });

  it("never goes through a float: digits beyond 2^53 survive", () => {
    const spy = vi.spyOn(globalThis, "parseFloat");
    // 2^53 + 1 = 9007199254740993 is not representable as a double.
    expect(formatMoney("9007199254740993.01", "USD", { locale: "en-US" })).toBe("$9,007,199,254,740,993.01");
    expect(formatMoney("0.1", "USD", { locale: "en-US" })).toBe("$0.10");
    expect(spy).not.toHaveBeenCalled();
  });

  it("shows unparseable input as it is rather than a wrong number", () => {
    expect(formatMoney("12,50", "EUR")).toBe("12,50 EUR");
  });
});

describe("decimal arithmetic", () => {
  it("parses and prints exactly", () => {
    expect(parseDecimal("12.50")).toEqual({ units: 1250n, scale: 2 });
    expect(parseDecimal(".5")).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal("1e3")).toBeNull();
    expect(decimalToString({ units: 1250n, scale: 2 })).toBe("12.5");
    expect(decimalToString({ units: -5n, scale: 3 }, 2)).toBe("-0.005");
    expect(decimalToString({ units: 7n, scale: 0 }, 2)).toBe("7.00");
  });

  it("subtracts and compares across scales (0.1 + 0.2 problems do not exist here)", () => {
    expect(decimalToString(subtractDecimal(parseDecimal("0.3")!, parseDecimal("0.1")!))).toBe("0.2");
    expect(compareDecimal(parseDecimal("0.0075")!, parseDecimal("0.018")!)).toBe(-1);
    expect(compareDecimal(parseDecimal("12.00")!, parseDecimal("12")!)).toBe(0);
  });

  it("computes the margin over the provider price in tenths of a percent", () => {
    expect(margin("8.00", "5.00")).toEqual({ amount: "3", percent: "37.5", negative: false });
    expect(margin("14.40", "19.00")).toEqual({ amount: "-4.6", percent: "-31.9", negative: true });
    expect(margin("0", "5")?.percent).toBeNull();
  });
});

describe("isPriceInput", () => {
  it("accepts amounts with up to the allowed decimals", () => {
    expect(isPriceInput("12.00", 2)).toBe(true);
    expect(isPriceInput("12", 2)).toBe(true);
    expect(isPriceInput("0.0075", 6)).toBe(true);
    expect(isPriceInput("12.345", 2)).toBe(false);
    expect(isPriceInput("12,00", 2)).toBe(false);
    expect(isPriceInput("-1", 2)).toBe(false);
    expect(isPriceInput("", 2)).toBe(false);
  });
});


describe("sumMoney", () => {
  it("adds minor units exactly", () => {
    const m = (minor: string) => ({ minor, currency: "USD" });
    expect(sumMoney([m("1900"), m("800"), m("1")])).toEqual({ amount: "27.01", currency: "USD" });
    // Beyond 2^53 minor units, still exact.
    expect(sumMoney([m("9007199254740993"), m("7")])?.amount).toBe("90071992547410.00");
    expect(sumMoney([])).toBeNull();
    expect(sumMoney([m("1"), { minor: "1", currency: "EUR" }])).toBeNull();
    expect(sumMoney([{ minor: "1500", currency: "JPY" }])).toEqual({ amount: "1500", currency: "JPY" });
  });
});

describe("minor-unit money (the portal's {minor, currency})", () => {
  it("converts minor units to the currency's decimal places without floats", () => {
    expect(minorToAmount({ minor: "12345", currency: "EUR" })).toEqual({ amount: "123.45", currency: "EUR" });
    expect(minorToAmount({ minor: "-5", currency: "EUR" })).toEqual({ amount: "-0.05", currency: "EUR" });
    expect(minorToAmount({ minor: "1500", currency: "JPY" })).toEqual({ amount: "1500", currency: "JPY" });
    expect(minorToAmount({ minor: "1234", currency: "KWD" })).toEqual({ amount: "1.234", currency: "KWD" });
    expect(minorToAmount({ minor: "12.5", currency: "EUR" })).toBeNull();
  });

  it("formats with Intl, digits beyond 2^53 intact", () => {
    const spy = vi.spyOn(globalThis, "parseFloat");
    expect(formatMinor({ minor: "123450", currency: "EUR" }, { locale: "en-US" })).toBe("€1,234.50");
    expect(formatMinor({ minor: "-1230", currency: "USD" }, { locale: "en-US" })).toBe("-$12.30");
    expect(formatMinor({ minor: "900719925474099301", currency: "USD" }, { locale: "en-US" })).toBe("$9,007,199,254,740,993.01");
    expect(formatMinor({ minor: "abc", currency: "USD" })).toBe("abc USD");
    expect(spy).not.toHaveBeenCalled();
  });

  it("tells the sign", () => {
    expect(signOfMinor("-1")).toBe(-1);
    expect(signOfMinor("0")).toBe(0);
    expect(signOfMinor("99999999999999999999")).toBe(1);
  });
});

describe("money in a C/POSIX environment", () => {
  it("is grouped as in English", () => {
    expect(formatMoney("12345.5", "USD", { locale: "en-US-u-va-posix" })).toBe("$12,345.50");
  });
});
