import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { OrganizationDto } from "@/api/client";
import { customerColumns } from "@/features/customers/CustomersPage";
import { DataTable } from "./data-table";
import { renderWithProviders } from "@/test/render";

const org = (id: string, name: string, country: string, liveServers: number, createdAt: string): OrganizationDto => ({
  id, name, country, liveServers, createdAt, updatedAt: createdAt, taxId: null, contactName: `${name} Contact`, contactEmail: `${id}@example.com`,
  addressLines: "", postalCode: "", city: "", peppolId: "",
});

const data = [
  org("o1", "Brightline", "DE", 3, "2026-01-02T10:00:00Z"),
  org("o2", "Acme", "GB", 12, "2026-03-01T10:00:00Z"),
  org("o3", "Ødegård Hosting", "NO", 1, "2025-12-24T10:00:00Z"),
];

function rowIds() {
  return within(screen.getByTestId("customers-table")).getAllByRole("row").slice(1).map((r) => r.getAttribute("data-row-id"));
}

describe("DataTable", () => {
  it("renders one row per item with data-row-id", () => {
    renderWithProviders(<DataTable testId="customers-table" data={data} columns={customerColumns} getRowId={(o) => o.id} />);
    expect(rowIds()).toEqual(["o1", "o2", "o3"]);
  });

  it("searches across columns, including derived text like the country name", async () => {
    const user = userEvent.setup();
    renderWithProviders(<DataTable testId="customers-table" data={data} columns={customerColumns} getRowId={(o) => o.id} />);
    await user.type(screen.getByRole("searchbox"), "germany");
    expect(rowIds()).toEqual(["o1"]);
    await user.clear(screen.getByRole("searchbox"));
    await user.type(screen.getByRole("searchbox"), "o2@example");
    expect(rowIds()).toEqual(["o2"]);
    await user.clear(screen.getByRole("searchbox"));
    await user.type(screen.getByRole("searchbox"), "nothing like this");
    expect(screen.getByText("Nothing matches your search")).toBeInTheDocument();
  });

  it("sorts by any column header, ascending then descending", async () => {
    const user = userEvent.setup();
    renderWithProviders(<DataTable testId="customers-table" data={data} columns={customerColumns} getRowId={(o) => o.id} />);
    await user.click(screen.getByRole("button", { name: /^Name/ }));
    expect(rowIds()).toEqual(["o2", "o1", "o3"]);
    await user.click(screen.getByRole("button", { name: /^Name/ }));
    expect(rowIds()).toEqual(["o3", "o1", "o2"]);

    // Numbers sort as numbers (12 after 3), descending first for numeric columns.
    await user.click(screen.getByRole("button", { name: /Live servers/ }));
    expect(rowIds()).toEqual(["o2", "o1", "o3"]);
    await user.click(screen.getByRole("button", { name: /Live servers/ }));
    expect(rowIds()).toEqual(["o3", "o1", "o2"]);

    await user.click(screen.getByRole("button", { name: /Created/ }));
    const header = screen.getByRole("columnheader", { name: /Created/ });
    expect(header).toHaveAttribute("aria-sort");
    expect(header.getAttribute("aria-sort")).not.toBe("none");
  });
});
