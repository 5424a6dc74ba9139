import { describe, expect, it } from "vitest";
import { countryName, dateTimeFormat, formatBits, formatCount, formatMemory, numberFormat } from "./format";

describe("format", () => {
  it("groups the digits of counts for the locale", () => {
    expect(formatCount(30000, "en")).toBe("30,000");
    expect(formatCount(10000, "de")).toBe("10.000");
    expect(formatCount(999, "en")).toBe("999");
    expect(formatCount(0, "en")).toBe("0");
  });

  it("formats bit rates with sensible precision", () => {
    expect(formatBits(0)).toBe("0 bit/s");
    expect(formatBits(0.5)).toBe("0.5 bit/s");
    expect(formatBits(2_400_000)).toBe("2.4 Mbit/s");
    expect(formatBits(125_000_000)).toBe("125 Mbit/s");
  });

  it("formats memory and country names", () => {
    expect(formatMemory(2048)).toBe("2 GB");
    expect(formatMemory(512)).toBe("512 MB");
    expect(countryName("de")).toBe("Germany");
  });
});

describe("numbers in a C/POSIX environment", () => {
  it("are grouped as in English rather than as the POSIX locale's 30000", () => {
    expect(new Intl.NumberFormat("en-US-u-va-posix").format(30000)).toBe("30000");
    expect(formatCount(30000, "en-US-u-va-posix")).toBe("30,000");
    expect(formatCount(30000, "de")).toBe("30.000");
  });

  it("makes each formatter once per locale and options, and still refuses what Intl refuses", () => {
    expect(numberFormat("en", { maximumFractionDigits: 0 })).toBe(numberFormat("en", { maximumFractionDigits: 0 }));
    expect(numberFormat("en", { maximumFractionDigits: 1 })).not.toBe(numberFormat("en", { maximumFractionDigits: 0 }));
    expect(dateTimeFormat("de", { dateStyle: "medium" })).toBe(dateTimeFormat("de", { dateStyle: "medium" }));
    expect(() => numberFormat("en", { style: "currency", currency: "not a currency" })).toThrow();
  });
});
