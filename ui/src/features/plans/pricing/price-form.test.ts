import { describe, expect, it } from "vitest";
import shared from "../../../../../crates/cs-core/src/pricing_cases.json";
import { applyMarkup, emptyPriceForm, toPriceVersionInput, validatePriceForm, type PriceFormValues } from "./price-form";

const now = new Date("2026-03-10T12:00:00Z");
const form = (patch: Partial<PriceFormValues>): PriceFormValues => ({ ...emptyPriceForm(), ...patch });

describe("validatePriceForm", () => {
  it("accepts a markup within bounds with up to two decimals", () => {
    expect(validatePriceForm(form({ markupPercent: "25" }), "USD", { now })).toEqual({});
    expect(validatePriceForm(form({ markupPercent: "-99.99" }), "USD", { now })).toEqual({});
    expect(validatePriceForm(form({ markupPercent: "1000" }), "USD", { now })).toEqual({});
    expect(validatePriceForm(form({ markupPercent: "12.75" }), "USD", { now })).toEqual({});
  });

  it("refuses markups out of bounds, malformed or missing", () => {
    expect(validatePriceForm(form({ markupPercent: "1000.01" }), "USD", { now }).markupPercent).toMatch(/between -99.99 % and 1000 %/);
    expect(validatePriceForm(form({ markupPercent: "-100" }), "USD", { now }).markupPercent).toMatch(/between/);
    expect(validatePriceForm(form({ markupPercent: "1.005" }), "USD", { now }).markupPercent).toMatch(/two decimals/);
    expect(validatePriceForm(form({ markupPercent: "ten" }), "USD", { now }).markupPercent).toMatch(/two decimals/);
    expect(validatePriceForm(form({ markupPercent: " " }), "USD", { now }).markupPercent).toMatch(/Enter the markup/);
  });

  it("refuses a markup where the provider has no price (extra IPv4)", () => {
    expect(validatePriceForm(form({ item: "ipv4", markupPercent: "10" }), "USD", { now }).mode).toMatch(/fixed price/);
    expect(validatePriceForm(form({ item: "backups", markupPercent: "10" }), "USD", { now, providerPriced: false }).mode).toMatch(/fixed price/);
  });

  it("needs a fixed price above zero, with the currency's decimals", () => {
    const fixed = (hourlyPrice: string, monthlyPrice: string) => validatePriceForm(form({ mode: "fixed", hourlyPrice, monthlyPrice }), "USD", { now });
    expect(fixed("0.025", "15.00")).toEqual({});
    expect(fixed("0", "0.00")).toEqual({ hourlyPrice: "A fixed hourly price must be more than zero", monthlyPrice: "A fixed monthly price must be more than zero" });
    expect(fixed("", "").hourlyPrice).toMatch(/Enter the hourly price/);
    expect(fixed("0.0000001", "15.001")).toEqual({
      hourlyPrice: "Enter an amount like 0.018 (up to 6 decimals)",
      monthlyPrice: "Enter an amount like 12.00 (up to 2 decimals)",
    });
    expect(fixed("-1", "5").hourlyPrice).toMatch(/Enter an amount/);
  });

  it("needs an effective time in the future, at most two years ahead", () => {
    const later = (effectiveAt: string) => validatePriceForm(form({ markupPercent: "10", when: "later", effectiveAt }), "USD", { now }).effectiveAt;
    expect(later("2026-03-11T09:00")).toBeUndefined();
    expect(later("")).toMatch(/Choose when/);
    expect(later("2026-03-01T09:00")).toMatch(/in the past/);
    expect(later("2029-01-01T00:00")).toMatch(/two years/);
    // "Now" needs no time.
    expect(validatePriceForm(form({ markupPercent: "10", when: "now", effectiveAt: "" }), "USD", { now })).toEqual({});
  });

  it("sends only the fields of the chosen mode", () => {
    expect(toPriceVersionInput(form({ markupPercent: " 25 ", hourlyPrice: "1", region: "ap-south" }))).toEqual({
      item: "server", region: "ap-south", mode: "markup", markupPercent: "25", hourlyPrice: null, monthlyPrice: null, effectiveFrom: null,
    });
    const input = toPriceVersionInput(form({ mode: "fixed", hourlyPrice: "0.03", monthlyPrice: "20.00", when: "later", effectiveAt: "2026-03-12T10:00" }));
    expect(input.region).toBeNull();
    expect(input.markupPercent).toBeNull();
    expect(input.effectiveFrom).toBe(new Date("2026-03-12T10:00").toISOString());
  });
});

describe("applyMarkup", () => {
  // The same cases cs_core::pricing's test checks resolve() against.
  const cases = shared.cases;

  it("rounds like the backend: hourly to micros, monthly to the minor unit, half away from zero", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const c of cases) {
      expect(applyMarkup({ hourly: c.hourly, monthly: c.monthly }, c.markupPercent, c.currency), JSON.stringify(c)).toEqual({ hourly: c.expectHourly, monthly: c.expectMonthly });
    }
  });

  it("gives nothing for input it cannot price", () => {
    expect(applyMarkup({ hourly: "0.018", monthly: "12.00" }, "abc", "USD")).toBeNull();
    expect(applyMarkup({ hourly: "0.018", monthly: "12.00" }, "-100", "USD")).toBeNull();
  });
});
