import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { EmailSettingsCard, type EmailForm, emailSettingsInput, isLoopback, toEmailForm } from "./EmailSettingsCard";
import type { EmailSettingsDto } from "./api";

const saved: EmailSettingsDto = {
  configured: true, host: "mail.smtp2go.com", port: 587, security: "starttls", username: "acme", passwordSet: true,
  fromName: "Acme Cloud", fromAddress: "billing@acme.example", replyTo: "", brandColor: "#2563eb", logoUrl: "", website: "", portalUrl: "",
};
const form = (over: Partial<EmailForm> = {}): EmailForm => ({ ...toEmailForm(saved), ...over });

describe("emailSettingsInput", () => {
  it("allows no encryption only for a relay on this computer", () => {
    expect(emailSettingsInput(form({ security: "none" }), true).errors.security).toMatch(/this computer/);
    expect(emailSettingsInput(form({ security: "none", host: "127.0.0.1" }), true).errors).toEqual({});
    expect(isLoopback("localhost") && isLoopback("::1") && isLoopback("127.0.0.2")).toBe(true);
    expect(isLoopback("mail.example.com")).toBe(false);
  });

  it("keeps the stored password unless one is typed, and asks for one when none is stored", () => {
    expect(emailSettingsInput(form(), true).input.password).toBeNull();
    expect(emailSettingsInput(form({ password: "s3cret" }), true).input.password).toBe("s3cret");
    expect(emailSettingsInput(form(), false).errors.password).toMatch(/password/);
    expect(emailSettingsInput(form({ username: "", password: "x" }), false).errors.username).toMatch(/user name/);
  });

  it("names every bad field", () => {
    const { errors } = emailSettingsInput(form({ host: "smtp://mail.example.com", port: "70000", fromAddress: "nope", replyTo: "also nope", brandColor: "blue", logoUrl: "http://x" }), true);
    expect(Object.keys(errors).sort()).toEqual(["brandColor", "fromAddress", "host", "logoUrl", "port", "replyTo"]);
  });
});

describe("EmailSettingsCard", () => {
  it("shows the relay's refusal of the login next to the password", async () => {
    mockIPC((cmd) => {
      if (cmd === "send_test_mail") {
        throw { code: "validation", message: "x", fields: [{ field: "password", message: "The relay refused the login: check the user name and password (535 5.7.8 bad credentials)" }] };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<EmailSettingsCard settings={saved} />);
    await user.type(container.querySelector('input[name="testTo"]')!, "me@example.com");
    await user.click(screen.getByRole("button", { name: /Send test mail/ }));
    await waitFor(() => expect(container.querySelector('[data-field-error="password"]')).toHaveTextContent("The relay refused the login"));
    expect(screen.getByTestId("test-mail-error")).toHaveTextContent("The relay refused the login");
  });

  it("shows the relay's answer to a test mail", async () => {
    mockIPC((cmd, args) => {
      if (cmd === "send_test_mail") return { to: (args as { to: string }).to, relayAnswer: "250 2.0.0 Ok: queued as 7F3A" };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<EmailSettingsCard settings={saved} />);
    await user.type(container.querySelector('input[name="testTo"]')!, "me@example.com");
    await user.click(screen.getByRole("button", { name: /Send test mail/ }));
    await waitFor(() => expect(screen.getByTestId("test-mail-result")).toHaveTextContent("queued as 7F3A"));
  });

  it("saves with the DTO's field names and never sends an untouched password", async () => {
    let sent: unknown;
    mockIPC((cmd, args) => {
      if (cmd === "update_email_settings") {
        sent = (args as { input: unknown }).input;
        return saved;
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<EmailSettingsCard settings={saved} />);
    await user.type(container.querySelector('input[name="replyTo"]')!, "help@acme.example");
    await user.click(screen.getByRole("button", { name: "Save email settings" }));
    await waitFor(() => expect(sent).toMatchObject({ host: "mail.smtp2go.com", port: 587, security: "starttls", username: "acme", password: null, replyTo: "help@acme.example" }));
  });

  it("checks the form before calling the backend", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => void calls.push(cmd));
    const user = userEvent.setup();
    const { container } = renderWithProviders(<EmailSettingsCard settings={{ ...saved, configured: false, host: "", passwordSet: false, username: "" }} />);
    await user.type(container.querySelector('input[name="fromName"]')!, "x");
    await user.click(screen.getByRole("button", { name: "Save email settings" }));
    expect(container.querySelector('[data-field-error="host"]')).toBeInTheDocument();
    expect(calls).toEqual([]);
    expect(screen.getByTestId("email-status")).toHaveTextContent("Not set up");
  });
});
