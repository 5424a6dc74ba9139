import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { StatusBadge } from "@/components/status-badge";
import { allowedActions, statusInfo } from "./status";

describe("status badge mapping", () => {
  it.each([
    ["provisioning", "amber", true],
    ["booting", "amber", true],
    ["rebooting", "amber", true],
    ["shutting_down", "amber", true],
    ["deleting", "amber", true],
    ["running", "green", false],
    ["offline", "grey", false],
    ["suspended", "red", false],
    ["failed", "red", false],
    ["deleted", "muted", false],
  ] as const)("%s is %s (pulse: %s)", (status, tone, pulse) => {
    expect(statusInfo(status)).toMatchObject({ tone, pulse });
  });

  it("labels unknown statuses readably instead of failing", () => {
    expect(statusInfo("migrating")).toEqual({ label: "Migrating", tone: "grey", pulse: false });
  });

  it("renders the hooks the end-to-end test reads", () => {
    render(<StatusBadge status="shutting_down" />);
    const badge = screen.getByTestId("server-status");
    expect(badge).toHaveAttribute("data-status", "shutting_down");
    expect(badge).toHaveTextContent("Shutting down");
    expect(badge.querySelector(".animate-ping")).not.toBeNull();
  });
});

describe("allowed power actions", () => {
  it("follows the server state machine", () => {
    expect(allowedActions("running")).toEqual({ boot: false, reboot: true, shutdown: true, delete: true });
    expect(allowedActions("offline")).toEqual({ boot: true, reboot: false, shutdown: false, delete: true });
    expect(allowedActions("provisioning")).toEqual({ boot: false, reboot: false, shutdown: false, delete: true });
    expect(allowedActions("deleted").delete).toBe(false);
  });
});
