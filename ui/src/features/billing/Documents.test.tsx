import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { Route, Routes } from "react-router";
import { renderWithProviders } from "@/test/render";
import { documentDetail, documentSummary } from "@/test/fixtures";
import { DocumentsPage } from "./DocumentsPage";

// pdf.js needs a real canvas: the PDF pane is checked in the e2e test.
vi.mock("@/features/documents/pdf-view", () => ({
  PdfView: ({ title, testId }: { title: string; testId?: string }) => <div data-testid={testId ?? "pdf-preview"}>{title}</div>,
}));
import { DocumentDetailPage } from "./DocumentDetailPage";

describe("DocumentsPage", () => {
  it("lists the documents and sends the filters, sort and search to the backend", async () => {
    const filters: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_documents") {
        filters.push((args as { input: Record<string, unknown> }).input);
        return { rows: [documentSummary(), documentSummary({ id: "doc_2", number: "INV-2026-0002", voidedBy: "doc_3" })], next: null, prev: null, total: 2 };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<DocumentsPage />);
    await waitFor(() => expect(container.querySelector('[data-testid="documents-table"] [data-row-id="doc_1"]')).toHaveTextContent("INV-2026-0001"));
    expect(container.querySelector('[data-row-id="doc_2"] [data-testid="document-voided"]')).not.toBeNull();
    await user.selectOptions(container.querySelector('select[name="kind"]')!, "invoice");
    await waitFor(() => expect(filters.at(-1)).toMatchObject({ organizationId: null, kind: "invoice", period: null, sort: "created", desc: true, after: null, limit: 50 }));
    await user.click(screen.getByRole("button", { name: "Total" }));
    await waitFor(() => expect(filters.at(-1)).toMatchObject({ kind: "invoice", sort: "total" }));
    await user.type(screen.getByLabelText("Search table"), "inv-2026");
    await waitFor(() => expect(filters.at(-1)).toMatchObject({ kind: "invoice", sort: "total", search: "inv-2026" }));
  });
});

describe("DocumentDetailPage", () => {
  it("previews the invoice, saves the PDF and voids by credit note", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "get_document") return documentDetail;
      if (cmd === "save_document_pdf") return { path: "/home/me/Downloads/INV-2026-0001.pdf" };
      if (cmd === "save_document_ubl") return { path: "/home/me/Downloads/INV-2026-0001.xml" };
      if (cmd === "document_pdf_data") return { fileName: "INV-2026-0001.pdf", pdfBase64: "JVBERi0=" };
      if (cmd === "void_invoice") return documentSummary({ id: "doc_9", kind: "credit_note", number: "CN-2026-0001" });
    });
    const user = userEvent.setup();
    renderWithProviders(<Routes><Route path="/invoices/:id" element={<DocumentDetailPage />} /></Routes>, { route: "/invoices/doc_1" });
    // The PDF pane comes first, with the document's own PDF.
    expect(await screen.findByTestId("document-pdf")).toHaveTextContent("Invoice INV-2026-0001");
    expect(calls.some(([c, a]) => c === "document_pdf_data" && (a as { id: string }).id === "doc_1")).toBe(true);
    await user.click(screen.getByRole("tab", { name: "Summary" }));
    expect(await screen.findByTestId("document-total")).toHaveTextContent("121.00");
    expect(screen.getByTestId("document-lines")).toHaveTextContent("672 h ×");
    expect(screen.getAllByTestId("line-capped")).toHaveLength(1);
    expect(screen.getByTestId("document-totals")).toHaveTextContent("VAT 21%");
    await user.click(screen.getByRole("button", { name: "Download PDF" }));
    expect(await screen.findByText("Saved to /home/me/Downloads/INV-2026-0001.pdf")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Download e-invoice (UBL)" }));
    expect(await screen.findByText("Saved to /home/me/Downloads/INV-2026-0001.xml")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Void by credit note" }));
    const dialog = await screen.findByRole("alertdialog");
    const submit = dialog.querySelector('button[type="submit"]') as HTMLButtonElement;
    await user.click(submit);
    expect(dialog.querySelector('[data-field-error="reason"]')).not.toBeNull();
    await user.type(dialog.querySelector('input[name="reason"]')!, "Wrong plan");
    await user.click(submit);
    await waitFor(() => expect(calls.some(([c, a]) => c === "void_invoice" && (a as { reason: string }).reason === "Wrong plan")).toBe(true));
  });
});
