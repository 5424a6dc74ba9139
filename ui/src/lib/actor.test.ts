import { describe, expect, it } from "vitest";
import { actorText, parseActor } from "./actor";

describe("activity actors", () => {
  it("splits kind and name", () => {
    expect(parseActor("staff:alice")).toEqual({ name: "alice", kind: "staff" });
    expect(parseActor("provider:sandbox")).toEqual({ name: "Sandbox", kind: "provider" });
    expect(parseActor("provider:digitalocean")).toEqual({ name: "DigitalOcean", kind: "provider" });
    expect(parseActor("provider:linode")).toEqual({ name: "Linode", kind: "provider" });
    expect(parseActor("billing")).toEqual({ name: "billing", kind: null });
    expect(actorText("staff:alice")).toBe("alice (staff)");
  });
});
