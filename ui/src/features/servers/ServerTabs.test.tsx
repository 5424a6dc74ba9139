import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { catalogue, digitalOceanCapabilities, fullCapabilities, server } from "@/test/fixtures";
import { ServerTabs } from "./ServerTabs";

const network = (transfer: boolean) => ({
  addresses: [{ address: "203.0.113.7", kind: "ipv4", public: true, rdns: null, gateway: null, prefix: 24 }],
  transferUsedGb: transfer ? "1.50" : null,
  transferQuotaGb: transfer ? 1000 : null,
});

function mock(transfer: boolean) {
  mockIPC((cmd) => {
    if (cmd === "server_network") return network(transfer);
    if (cmd === "list_plans") return [];
    if (cmd === "catalogue") return catalogue;
    if (cmd === "server_backups") return { enabled: false, backups: [] };
  });
}

/** Radix tabs switch on mousedown. */
async function open(name: string) {
  await userEvent.setup().pointer({ keys: "[MouseLeft>]", target: await screen.findByTestId(`tab-${name}`) });
}

describe("ServerTabs on DigitalOcean", () => {
  it("says where reverse DNS and transfer come from instead of offering what DigitalOcean lacks", async () => {
    mock(false);
    const s = server("running", { provider: "digitalocean", providerId: "4001", label: "mail.example.com" });
    renderWithProviders(<ServerTabs server={s} capabilities={digitalOceanCapabilities} />);
    expect(screen.getByText("Manage at DigitalOcean")).toBeInTheDocument();
    expect(screen.getByTestId("tab-disk")).toHaveTextContent("Disk");
    await open("network");
    expect(await screen.findByTestId("transfer-pooled")).toHaveTextContent("pools transfer");
    expect(screen.getByTestId("rdns-value")).toHaveTextContent("the server's name (mail.example.com)");
    expect(screen.queryByTestId("edit-rdns")).not.toBeInTheDocument();
    expect(screen.getByTestId("provider-notes-network")).toHaveTextContent("cannot be set per address");

    await open("manage");
    expect(await screen.findByTestId("resize-when-off")).toHaveTextContent("only while it is off");
    expect(screen.queryByText("Rescue mode")).not.toBeInTheDocument();
    expect(screen.queryByText("Reset root password")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("New root password")).not.toBeInTheDocument();
    expect(screen.getByTestId("provider-notes-lifecycle")).toHaveTextContent("no rescue mode");
  });

  it("keeps every control on Linode", async () => {
    mock(true);
    const s = server("running", { provider: "linode", providerId: "77" });
    renderWithProviders(<ServerTabs server={s} capabilities={fullCapabilities} />);
    expect(screen.getByText("Manage at Linode")).toBeInTheDocument();
    await open("network");
    expect(await screen.findByTestId("transfer-used")).toHaveTextContent("1.50 GB");
    expect(screen.getByTestId("edit-rdns")).toBeInTheDocument();
    await open("manage");
    expect(await screen.findByText("Rescue mode")).toBeInTheDocument();
    expect(screen.getByText("Reset root password")).toBeInTheDocument();
    expect(screen.queryByTestId("resize-when-off")).not.toBeInTheDocument();
  });
});
