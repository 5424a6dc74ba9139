import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { checkRdns, RdnsForm } from "./RdnsForm";

describe("checkRdns", () => {
  it("accepts host names, an empty value (reset) and a trailing dot", () => {
    expect(checkRdns("")).toBeNull();
    expect(checkRdns("mail.example.com")).toBeNull();
    expect(checkRdns("mail.example.com.")).toBeNull();
    expect(checkRdns("localhost")).toContain("not a host name");
    expect(checkRdns("bad name.example.com")).toContain("not a host name");
    expect(checkRdns("-x.example.com")).toContain("not a host name");
  });
});

describe("RdnsForm", () => {
  it("shows Linode's forward-DNS refusal next to the field, then saves", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "set_server_rdns") {
        sent.push(args);
        if (sent.length === 1) throw { code: "validation", message: "x", fields: [{ field: "rdns", message: "Set the A record for mail.example.com to 203.0.113.5 first, then try again" }] };
        return { address: "203.0.113.5", kind: "ipv4", public: true, rdns: "mail.example.com", gateway: null, prefix: 24 };
      }
    });
    const done = vi.fn();
    const user = userEvent.setup();
    const { container } = renderWithProviders(<RdnsForm serverId="srv-1" address="203.0.113.5" current={null} onDone={done} />);
    const input = container.querySelector('input[name="rdns"]')!;
    await user.type(input, "not valid");
    await user.click(screen.getByRole("button", { name: "Save reverse DNS" }));
    expect(container.querySelector('[data-field-error="rdns"]')).toHaveTextContent("not a host name");
    expect(sent).toEqual([]);

    await user.clear(input);
    await user.type(input, "mail.example.com");
    await user.click(screen.getByRole("button", { name: "Save reverse DNS" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="rdns"]')).toHaveTextContent("Set the A record for mail.example.com to 203.0.113.5 first, then try again"));
    expect(done).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Save reverse DNS" }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(sent[1]).toEqual({ id: "srv-1", address: "203.0.113.5", rdns: "mail.example.com" });
  });
});
