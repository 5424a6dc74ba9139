import { describe, expect, it } from "vitest";
import { countryName, formatBits, formatMemory } from "./format";

describe("format", () => {
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
