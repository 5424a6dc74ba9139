import { describe, expect, it } from "vitest";
import { act, screen, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { events } from "@/api/client";
import type { LoopHealthDto } from "@/bindings";
import { renderWithProviders } from "@/test/render";
import { LoopHealthBanner, mergeLoopHealth } from "./loop-health-banner";

const mail = (over: Partial<LoopHealthDto> = {}): LoopHealthDto => ({
  name: "mail", label: "Sending email", healthy: true, panics: 0, lastPanic: null, lastPanicAt: null, message: null, ...over,
});
const failing = mail({ healthy: false, panics: 1, lastPanic: "boom", lastPanicAt: "2026-03-01T10:00:00.000Z", message: "Sending email stopped after an internal error (boom); it restarts in 1 s. If it keeps failing, the app's log file has the details" });

describe("LoopHealthBanner", () => {
  it("shows a failing loop from the start and follows the backend's events until it runs again", async () => {
    mockIPC((cmd) => (cmd === "loop_health" ? [failing, { ...mail(), name: "billing", label: "Hourly billing" }] : null), { shouldMockEvents: true });
    renderWithProviders(<LoopHealthBanner />);
    const banner = await screen.findByTestId("loop-health-banner");
    expect(banner).toHaveTextContent("Sending email is failing.");
    expect(banner).toHaveTextContent("it restarts in 1 s");
    expect(banner).not.toHaveTextContent("Hourly billing");

    await act(() => events.loopHealthChanged.emit({ health: { ...mail(), panics: 1 } }));
    await waitFor(() => expect(screen.queryByTestId("loop-health-banner")).toBeNull());

    await act(() => events.loopHealthChanged.emit({ health: { ...failing, name: "reconciler", label: "Following the servers at the providers" } }));
    expect(await screen.findByTestId("loop-health-banner")).toHaveTextContent("Following the servers at the providers is failing.");
  });

  it("shows nothing while every loop runs", async () => {
    mockIPC((cmd) => (cmd === "loop_health" ? [mail()] : null), { shouldMockEvents: true });
    renderWithProviders(<LoopHealthBanner />);
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId("loop-health-banner")).toBeNull();
  });

  it("merges by loop name", () => {
    expect(mergeLoopHealth([mail()], failing)).toEqual([failing]);
    expect(mergeLoopHealth([mail()], { ...mail(), name: "billing" })).toHaveLength(2);
  });
});
