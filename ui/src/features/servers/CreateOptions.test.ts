import { describe, expect, it } from "vitest";
import type { CatalogueDto } from "@/bindings";
import { checkOptions, NO_OPTIONS } from "./CreateOptions";

const catalogue = {
  provider: "linode", regions: [], types: [], refreshedAt: null,
  images: [
    { id: "linode/debian12", label: "Debian 12", vendor: "Debian", cloudInit: true },
    { id: "linode/legacy", label: "Legacy", vendor: "X", cloudInit: false },
  ],
  stackscripts: [{ id: "10001", label: "web-server", description: "", images: ["linode/debian12"] }],
} satisfies CatalogueDto;

describe("checkOptions", () => {
  it("passes no options", () => {
    expect(checkOptions(NO_OPTIONS, catalogue, "linode/debian12")).toEqual({});
  });
  it("refuses user data for an image without cloud-init", () => {
    expect(checkOptions({ ...NO_OPTIONS, userData: "#cloud-config" }, catalogue, "linode/legacy").userData).toContain("does not read cloud-init");
    expect(checkOptions({ ...NO_OPTIONS, userData: "#cloud-config" }, catalogue, "linode/debian12")).toEqual({});
  });
  it("checks the StackScript against the image and its fields for names", () => {
    expect(checkOptions({ ...NO_OPTIONS, stackscriptId: "10001" }, catalogue, "linode/legacy").stackscriptId).toContain("does not deploy this image");
    expect(checkOptions({ ...NO_OPTIONS, stackscriptId: "10001", stackscriptData: [{ name: " ", value: "x" }] }, catalogue, "linode/debian12").stackscriptData).toContain("needs a name");
  });
});
