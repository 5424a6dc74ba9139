import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { appInfo, catalogue } from "@/test/fixtures";
import { PlanForm } from "./PlanForm";

describe("PlanForm", () => {
  it("fills prices from the provider's catalogue and sends regions as ids", async () => {
    let sent: unknown;
    mockIPC((cmd, args) => {
      if (cmd === "app_info") return appInfo;
      if (cmd === "get_settings") return { currency: "USD", currencyLocked: false, resellerName: "Me" };
      if (cmd === "catalogue") return catalogue;
      if (cmd === "create_plan") {
        sent = (args as { input: unknown }).input;
        return { id: "plan_1", name: "Small", provider: "sandbox", providerType: "sb-small", providerTypeLabel: null, regions: [], monthly: catalogue.types[0].monthly, hourly: catalogue.types[0].hourly, providerPrices: [], active: true, liveServers: 0, createdAt: "2026-01-01T00:00:00Z" };
      }
    });
    const user = userEvent.setup();
    const onDone = vi.fn();
    const { container } = renderWithProviders(<PlanForm onDone={onDone} onCancel={() => {}} />);

    const linode = await screen.findByRole("option", { name: /Linode — not connected/ });
    expect(linode).toBeDisabled();
    await waitFor(() => expect(screen.getByLabelText("Instance type")).toBeEnabled());
    await user.selectOptions(screen.getByLabelText("Instance type"), "sb-small");
    expect(screen.getByLabelText("Monthly price (USD)")).toHaveValue("12.00");
    expect(screen.getByLabelText("Hourly price (USD)")).toHaveValue("0.018");
    expect(screen.getByTestId("type-specs")).toHaveTextContent("2 GB");

    const unavailable = container.querySelector<HTMLInputElement>('input[name="regions"][value="sa-east"]')!;
    expect(unavailable).toBeDisabled();
    await user.click(container.querySelector<HTMLInputElement>('input[name="regions"][value="ap-south"]')!);
    // Singapore is 20 % dearer at the provider: the margin preview uses that price.
    expect(screen.getByTestId("margin-preview")).toHaveTextContent("$14.40");

    await user.clear(screen.getByLabelText("Monthly price (USD)"));
    await user.type(screen.getByLabelText("Monthly price (USD)"), "19.5");
    await user.click(screen.getByRole("button", { name: "Create plan" }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(sent).toEqual({ name: "Sandbox Small 2 GB", provider: "sandbox", providerType: "sb-small", regions: ["ap-south"], monthlyPrice: "19.5", hourlyPrice: "0.018" });
  });

  it("rejects malformed prices before calling the backend", async () => {
    mockIPC((cmd) => (cmd === "catalogue" ? catalogue : cmd === "app_info" ? appInfo : undefined));
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PlanForm onDone={() => {}} onCancel={() => {}} />);
    await waitFor(() => expect(screen.getByLabelText("Instance type")).toBeEnabled());
    await user.type(screen.getByLabelText("Monthly price (USD)"), "12,50");
    await user.type(screen.getByLabelText("Hourly price (USD)"), "0.1234567");
    await user.click(screen.getByRole("button", { name: "Create plan" }));
    expect(container.querySelector('[data-field-error="monthlyPrice"]')).toHaveTextContent("12.00");
    expect(container.querySelector('[data-field-error="hourlyPrice"]')).toHaveTextContent("6 decimals");
    expect(container.querySelector('[data-field-error="regions"]')).not.toBeNull();
    expect(container.querySelector('[data-field-error="providerType"]')).not.toBeNull();
  });

  it("does not offer regions where the chosen type is not sold", async () => {
    const limited = { ...catalogue.types[0], id: "g-2vcpu-8gb", label: "General 8 GB", regionPrices: [], regions: ["eu-west"] };
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "app_info") return appInfo;
      if (cmd === "catalogue") return { ...catalogue, types: [...catalogue.types, limited] };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PlanForm onDone={() => {}} onCancel={() => {}} />);
    await waitFor(() => expect(screen.getByLabelText("Instance type")).toBeEnabled());
    const box = (id: string) => container.querySelector<HTMLInputElement>(`input[name="regions"][value="${id}"]`)!;

    // Ticked while the type sold everywhere was chosen, then the limited type.
    await user.selectOptions(screen.getByLabelText("Instance type"), "sb-small");
    await user.click(box("ap-south"));
    await user.selectOptions(screen.getByLabelText("Instance type"), "g-2vcpu-8gb");
    expect(box("eu-west")).toBeEnabled();
    // Still ticked, so it can be unticked, and marked.
    expect(box("ap-south")).toBeChecked();
    expect(box("ap-south")).toBeEnabled();
    expect(screen.getByTestId("region-note-ap-south")).toHaveTextContent("this type is not sold here");
    await user.click(screen.getByRole("button", { name: "Create plan" }));
    expect(container.querySelector('[data-field-error="regions"]')).toHaveTextContent("g-2vcpu-8gb is not offered in ap-south");
    expect(calls).not.toContain("create_plan");

    // Unticked, it cannot be ticked again.
    await user.click(box("ap-south"));
    expect(box("ap-south")).not.toBeChecked();
    expect(box("ap-south")).toBeDisabled();
    expect(box("sa-east")).toBeDisabled();
  });
});
