import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { useLocation, useNavigate } from "react-router";
import type { OrganizationDto, OrganizationListInput } from "@/api/client";
import { renderWithProviders } from "@/test/render";
import { CustomersPage } from "./CustomersPage";

const customer = (i: number): OrganizationDto => ({
  id: `org_${i}`, name: `Customer ${String(i).padStart(3, "0")}`, country: "NO", taxId: null, contactName: "Zoë", contactEmail: `c${i}@example.test`,
  liveServers: 1200, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", addressLines: "", postalCode: "", city: "", peppolId: "",
});

/** A backend of 230 customers answering pages of `limit` after a cursor (the index as a string). */
function backend() {
  const all = Array.from({ length: 230 }, (_, i) => customer(i));
  const inputs: OrganizationListInput[] = [];
  mockIPC((cmd, args) => {
    if (cmd !== "list_organizations_page") return null;
    const input = (args as { input: OrganizationListInput }).input;
    inputs.push(input);
    const matching = input.search ? all.filter((o) => o.name.toLowerCase().startsWith(input.search!.toLowerCase())) : all;
    const start = input.after ? Number(input.after) : 0;
    const limit = input.limit ?? 50;
    const rows = matching.slice(start, start + limit);
    const end = start + rows.length;
    return { rows, next: end < matching.length ? String(end) : null, prev: start > 0 ? String(start) : null, total: matching.length };
  });
  return inputs;
}

function Location() {
  const l = useLocation();
  const navigate = useNavigate();
  return (
    <>
      <span data-testid="location">{l.search}</span>
      <button type="button" onClick={() => navigate(-1)}>Back</button>
    </>
  );
}

describe("CustomersPage", () => {
  it("shows the first page with the total, and reads the next page when scrolled near its end", async () => {
    const inputs = backend();
    renderWithProviders(<CustomersPage />);
    const table = await screen.findByTestId("customers-table");
    await waitFor(() => expect(table.querySelector('[data-row-id="org_0"]')).not.toBeNull());
    // Digit grouping in the total and the counts; only the rows in view are in the DOM.
    expect(screen.getByTestId("customers-table-total")).toHaveTextContent("230 rows");
    expect(within(table).getAllByText("1,200").length).toBeGreaterThan(0);
    expect(table.querySelectorAll("tr[data-row-id]").length).toBeLessThan(50);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({ sort: "name", desc: false, after: null, limit: 50 });

    const scroller = table.closest("[data-virtual-scroll]") as HTMLElement;
    scroller.scrollTop = 49 * 45;
    fireEvent.scroll(scroller);
    await waitFor(() => expect(inputs.at(-1)).toMatchObject({ after: "50" }));
    await waitFor(() => expect(table.querySelector('[data-row-id="org_50"]')).not.toBeNull());
  });

  it("keeps search and sort in the URL, so Back restores the list before", async () => {
    const inputs = backend();
    const user = userEvent.setup();
    renderWithProviders(
      <>
        <CustomersPage />
        <Location />
      </>,
      { route: "/customers?q=customer%2001" },
    );
    await waitFor(() => expect(inputs[0]).toMatchObject({ search: "customer 01" }));
    expect(await screen.findByLabelText("Search table")).toHaveValue("customer 01");
    await waitFor(() => expect(screen.getByTestId("customers-table-total")).toHaveTextContent("10 rows"));

    await user.click(screen.getByRole("button", { name: "Created" }));
    await waitFor(() => expect(inputs.at(-1)).toMatchObject({ sort: "created", search: "customer 01" }));
    expect(screen.getByTestId("location").textContent).toContain("sort=created");

    await user.click(screen.getByRole("button", { name: "Back" }));
    await waitFor(() => expect(screen.getByTestId("location").textContent).not.toContain("sort=created"));
    await waitFor(() => expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "ascending"));
  });
  it("searches as soon as the text changes after a pause, and typing goes on in the same box while a search loads", async () => {
    const inputs = backend();
    const user = userEvent.setup();
    renderWithProviders(<CustomersPage />, { route: "/customers" });
    const box = await screen.findByLabelText("Search table");
    await waitFor(() => expect(screen.getByTestId("customers-table-total")).toHaveTextContent("230 rows"));
    // The first key is searched at once; the rest follow after the pause in typing.
    await user.type(box, "customer 01");
    await waitFor(() => expect(inputs.at(-1)).toMatchObject({ search: "customer 01" }));
    expect(inputs.some((i) => i.search === "c")).toBe(true);
    // Still the same box, with focus and every key typed.
    expect(screen.getByLabelText("Search table")).toBe(box);
    expect(box).toHaveFocus();
    expect(box).toHaveValue("customer 01");
    await waitFor(() => expect(screen.getByTestId("customers-table-total")).toHaveTextContent("10 rows"));

    // A paste is one change: one search, of the whole text.
    await user.clear(box);
    await waitFor(() => expect(inputs.at(-1)?.search ?? null).toBeNull());
    const before = inputs.length;
    await user.paste("Customer 1");
    await waitFor(() => expect(screen.getByTestId("customers-table-total")).toHaveTextContent("100 rows"));
    expect(inputs.slice(before).map((i) => i.search)).toEqual(["Customer 1"]);
  });
});
