import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { CustomerForm } from "./CustomerForm";

async function fill(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText("Organization name"), "Acme Hosting");
  await user.type(screen.getByLabelText("Contact name"), "Jane Doe");
  await user.type(screen.getByLabelText("Contact email"), "jane@acme.example");
  await user.selectOptions(screen.getByLabelText("Country"), "DE");
}

describe("CustomerForm", () => {
  it("shows the backend's field errors next to their inputs", async () => {
    mockIPC((cmd) => {
      if (cmd === "create_organization") {
        throw {
          code: "validation",
          message: "Some fields need attention",
          fields: [
            { field: "contact_email", message: "jane@acme.example is already the contact of another customer" },
            { field: "name", message: "A customer named \"Acme Hosting\" already exists" },
          ],
        };
      }
    });
    const user = userEvent.setup();
    const onDone = vi.fn();
    const { container } = renderWithProviders(<CustomerForm onDone={onDone} onCancel={() => {}} />);
    await fill(user);
    await user.click(screen.getByRole("button", { name: "Create customer" }));

    await waitFor(() => expect(container.querySelector('[data-field-error="contactEmail"]')).not.toBeNull());
    expect(container.querySelector('[data-field-error="contactEmail"]')).toHaveTextContent("already the contact of another customer");
    expect(container.querySelector('[data-field-error="name"]')).toHaveTextContent("already exists");
    expect(screen.getByLabelText("Contact email")).toHaveAttribute("aria-invalid", "true");
    expect(onDone).not.toHaveBeenCalled();
    // Field errors are not repeated as a toast.
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("sends the address and Peppol id and shows their errors", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "create_organization") {
        sent.push((args as { input: unknown }).input);
        throw { code: "validation", message: "Some fields need attention", fields: [{ field: "peppolId", message: "\"5790000435969\" is not a valid GLN" }] };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<CustomerForm onDone={() => {}} onCancel={() => {}} />);
    await fill(user);
    await user.type(screen.getByLabelText("Street address"), " Domstraße 5 ");
    await user.type(screen.getByLabelText("Post code"), "50668");
    await user.type(screen.getByLabelText("City"), "Köln");
    await user.type(screen.getByLabelText("Peppol participant id"), "5790000435969");
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    expect(container.querySelector('[data-field-error="peppolId"]')).toHaveTextContent("e.g. 0088:5790000435968");
    expect(sent).toEqual([]);
    await user.clear(screen.getByLabelText("Peppol participant id"));
    await user.type(screen.getByLabelText("Peppol participant id"), "0088:5790000435969");
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="peppolId"]')).toHaveTextContent("not a valid GLN"));
    expect(sent).toEqual([expect.objectContaining({ addressLines: "Domstraße 5", postalCode: "50668", city: "Köln", peppolId: "0088:5790000435969" })]);
  });

  it("shows an error without fields as an alert toast", async () => {
    mockIPC(() => {
      throw { code: "internal", message: "The database is locked by another process", fields: [] };
    });
    const user = userEvent.setup();
    renderWithProviders(<CustomerForm onDone={() => {}} onCancel={() => {}} />);
    await fill(user);
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The database is locked by another process");
  });

  it("checks required fields and the email shape before calling the backend", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => void calls.push(cmd));
    const user = userEvent.setup();
    const { container } = renderWithProviders(<CustomerForm onDone={() => {}} onCancel={() => {}} />);
    await user.type(screen.getByLabelText("Contact email"), "not-an-email");
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    expect(container.querySelector('[data-field-error="name"]')).toHaveTextContent("required");
    expect(container.querySelector('[data-field-error="contactEmail"]')).toHaveTextContent("name@example.com");
    expect(container.querySelector('[data-field-error="country"]')).not.toBeNull();
    expect(calls).toEqual([]);
  });

  it("sends the input with the DTO's field names and reports success", async () => {
    let sent: unknown;
    mockIPC((cmd, args) => {
      if (cmd === "create_organization") {
        sent = (args as { input: unknown }).input;
        return { id: "org_1", name: "Acme Hosting", country: "DE", taxId: null, contactName: "Jane Doe", contactEmail: "jane@acme.example", liveServers: 0, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", addressLines: "", postalCode: "", city: "", peppolId: "" };
      }
    });
    const user = userEvent.setup();
    const onDone = vi.fn();
    renderWithProviders(<CustomerForm onDone={onDone} onCancel={() => {}} />);
    await fill(user);
    await user.click(screen.getByRole("button", { name: "Create customer" }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(sent).toEqual({ name: "Acme Hosting", contactName: "Jane Doe", contactEmail: "jane@acme.example", country: "DE", taxId: null, addressLines: null, postalCode: null, city: null, peppolId: null });
  });
});
