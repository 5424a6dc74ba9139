import { describe, expect, it } from "vitest";
import * as React from "react";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { OrganizationDto, OrganizationListInput } from "@/api/client";
import { renderWithProviders } from "@/test/render";
import { CustomerPicker } from "./CustomerPicker";

const customer = (i: number, name = `Customer ${String(i).padStart(4, "0")}`): OrganizationDto => ({
  id: `org_${i}`, name, country: "NO", taxId: null, contactName: "Zoë", contactEmail: `c${i}@example.test`,
  liveServers: 0, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", addressLines: "", postalCode: "", city: "", peppolId: "",
});

/** 5,000 customers behind the paged command; the picker must only ever ask for a few. */
function backend() {
  const all = [customer(0, "Ødegård Hosting"), ...Array.from({ length: 4999 }, (_, i) => customer(i + 1))];
  const asked: OrganizationListInput[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "list_organizations_page") {
      const input = (args as { input: OrganizationListInput }).input;
      asked.push(input);
      const s = input.search?.toLowerCase();
      const matching = s ? all.filter((o) => o.name.toLowerCase().startsWith(s) || o.contactEmail.startsWith(s)) : all;
      return { rows: matching.slice(0, input.limit ?? 50), next: null, prev: null, total: matching.length };
    }
    if (cmd === "get_organization") {
      const o = all.find((x) => x.id === (args as { id: string }).id)!;
      return { organization: o, servers: [], activity: [], einvoiceGaps: [] };
    }
    return null;
  });
  return asked;
}

function Harness({ initial = "", clearLabel }: { initial?: string; clearLabel?: string }) {
  const [value, setValue] = React.useState(initial);
  return (
    <>
      <CustomerPicker name="organizationId" value={value} onChange={setValue} clearLabel={clearLabel} />
      <output data-testid="value">{value}</output>
    </>
  );
}

describe("CustomerPicker", () => {
  it("searches the paged command by prefix and asks for no more than a screenful", async () => {
    const asked = backend();
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    const box = screen.getByRole("combobox");
    await user.click(box);
    const list = await screen.findByRole("listbox");
    await waitFor(() => expect(within(list).getAllByRole("option")).toHaveLength(20));
    expect(list).toHaveTextContent("The first 20 of 5,000");
    await user.type(box, "ødeg");
    await waitFor(() => expect(within(list).getAllByRole("option")).toHaveLength(1));
    expect(within(list).getByRole("option")).toHaveTextContent("Ødegård Hosting");
    expect(asked.every((a) => (a.limit ?? 0) <= 20 && a.sort === "name")).toBe(true);
    expect(asked.at(-1)?.search).toBe("ødeg");
  });

  it("chooses with the keyboard and then shows the chosen name", async () => {
    backend();
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    const box = screen.getByRole("combobox");
    await user.click(box);
    await user.type(box, "Customer 004");
    await waitFor(() => expect(screen.getAllByRole("option")[0]).toHaveTextContent("Customer 0040"));
    await user.keyboard("{ArrowDown}{Enter}");
    expect(screen.getByTestId("value")).toHaveTextContent("org_41");
    expect(screen.queryByRole("listbox")).toBeNull();
    await waitFor(() => expect(box).toHaveValue("Customer 0041"));
  });

  it("shows the name of a customer chosen elsewhere (a link or the URL), and clears to All customers", async () => {
    backend();
    const user = userEvent.setup();
    renderWithProviders(<Harness initial="org_7" clearLabel="All customers" />);
    await waitFor(() => expect(screen.getByRole("combobox")).toHaveValue("Customer 0007"));
    await user.click(screen.getByRole("button", { name: "All customers" }));
    expect(screen.getByTestId("value")).toBeEmptyDOMElement();
  });

  it("says so when nothing matches, and Escape leaves the value alone", async () => {
    backend();
    const user = userEvent.setup();
    renderWithProviders(<Harness initial="org_3" />);
    const box = screen.getByRole("combobox");
    await user.click(box);
    await user.type(box, "zz");
    expect(await screen.findByText("No customer's name or email starts with “zz”")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("value")).toHaveTextContent("org_3");
    await waitFor(() => expect(box).toHaveValue("Customer 0003"));
  });
});
