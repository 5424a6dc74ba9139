import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { OutboxPage, relayAnswer } from "./OutboxPage";
import type { OutboxItemDto } from "./api";

const item = (over: Partial<OutboxItemDto> = {}): OutboxItemDto => ({
  id: "m1", template: "welcome", to: ["zoe@example.com"], subject: "Welcome to Acme", state: "sent", attempts: 1,
  nextAttemptAt: "2026-03-01T10:00:00Z", relayResponse: "250 2.0.0 Ok: queued as 1A", lastError: null, possiblyDuplicated: false,
  createdAt: "2026-03-01T10:00:00Z", sentAt: "2026-03-01T10:00:01Z", attachmentCount: 0, attachmentsPrunedAt: null, ...over,
});

describe("OutboxPage", () => {
  it("says when email is not set up and links to Settings", async () => {
    mockIPC((cmd) => (cmd === "list_outbox" ? { configured: false, items: [item({ state: "queued", attempts: 0, relayResponse: null, sentAt: null })], nextCursor: null } : undefined));
    renderWithProviders(<OutboxPage />);
    const note = await screen.findByTestId("email-not-configured");
    expect(note).toHaveTextContent("Email is not set up — mail waits in the outbox");
    expect(within(note).getByRole("link")).toHaveAttribute("href", "/settings");
    expect(await screen.findByText("Not tried yet")).toBeInTheDocument();
  });

  it("filters by state and retries a failed mail", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    const failed = item({ id: "m2", state: "failed", relayResponse: null, sentAt: null, lastError: "the SMTP relay refused the message for good (550 5.1.1 no such user)" });
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "list_outbox") return { configured: true, items: (args as { filter: string }).filter === "failed" ? [failed] : [item(), failed], nextCursor: null };
      if (cmd === "retry_mail") return { ...failed, state: "queued" };
    });
    const user = userEvent.setup();
    renderWithProviders(<OutboxPage />);
    await screen.findByText("550 5.1.1", { exact: false });
    await user.click(screen.getByRole("button", { name: "Failed" }));
    await waitFor(() => expect(calls.some((c) => c.cmd === "list_outbox" && (c.args as { filter: string }).filter === "failed")).toBe(true));
    await user.click(await screen.findByRole("button", { name: /Retry/ }));
    await waitFor(() => expect(calls.find((c) => c.cmd === "retry_mail")?.args).toEqual({ id: "m2" }));
    expect(await screen.findByText("Queued again")).toBeInTheDocument();
  });

  it("loads older mail a page at a time", async () => {
    const calls: { cursor: string | null; limit: number | null }[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "list_outbox") return undefined;
      const a = args as { cursor: string | null; limit: number | null };
      calls.push({ cursor: a.cursor, limit: a.limit });
      return a.cursor === null
        ? { configured: true, items: [item({ id: "m1", subject: "Newest mail" })], nextCursor: "2026-03-01T10:00:00.000Z/m1" }
        : { configured: true, items: [item({ id: "m0", subject: "Oldest mail" })], nextCursor: null };
    });
    const user = userEvent.setup();
    renderWithProviders(<OutboxPage />);
    await screen.findByText("Newest mail");
    expect(screen.queryByText("Oldest mail")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("outbox-more"));
    expect(await screen.findByText("Oldest mail")).toBeInTheDocument();
    expect(screen.getByText("Newest mail")).toBeInTheDocument();
    expect(calls[0]).toEqual({ cursor: null, limit: 50 });
    expect(calls.some((c) => c.cursor === "2026-03-01T10:00:00.000Z/m1")).toBe(true);
    await waitFor(() => expect(screen.queryByTestId("outbox-more")).not.toBeInTheDocument());
  });

  it("shows an empty state", async () => {
    mockIPC((cmd) => (cmd === "list_outbox" ? { configured: true, items: [], nextCursor: null } : undefined));
    renderWithProviders(<OutboxPage />);
    expect(await screen.findByText("No mail yet")).toBeInTheDocument();
  });

  it("tells what the relay said last", () => {
    expect(relayAnswer(item())).toContain("queued as 1A");
    expect(relayAnswer(item({ state: "queued", attempts: 2, lastError: "could not talk to the SMTP relay" }))).toContain("could not talk");
  });
});
