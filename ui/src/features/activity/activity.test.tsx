import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { ActivityDto } from "@/api/client";
import { ActivityPage } from "./ActivityPage";

const entry = (seq: number, kind: string, summary: string): ActivityDto => ({
  seq: String(seq), at: "2026-01-01T00:00:00Z", actor: "staff:owner", action: `${kind}.created`, subjectKind: kind, subjectId: `${kind}-${seq}`, organizationId: null, summary,
});

describe("the Activity screen", () => {
  it("reads a page of the kind in the URL, and the tabs change the kind", async () => {
    const inputs: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_activity_page") {
        const input = (args as { input: Record<string, unknown> }).input;
        inputs.push(input);
        const rows = input.kind === "plan" ? [entry(3, "plan", "Created plan Starter 2 GB")] : [entry(2, "server", "Created server web-1")];
        return { rows, next: null, prev: null, total: 1 };
      }
      return null;
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ActivityPage />, { route: "/activity?kind=server" });
    await waitFor(() => expect(container.querySelector('[data-testid="activity-table"] [data-row-id="2"]')).not.toBeNull());
    expect(inputs[0]).toMatchObject({ kind: "server", after: null, before: null, limit: 50 });
    await user.click(screen.getByRole("tab", { name: "Plans" }));
    await waitFor(() => expect(container.querySelector('[data-testid="activity-table"] [data-row-id="3"]')).not.toBeNull());
    expect(inputs.at(-1)).toMatchObject({ kind: "plan" });
  });
});
