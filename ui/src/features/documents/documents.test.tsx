import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { BrandingDto, BrandingInput } from "@/bindings";
import { brandingErrors, brandingInput, bytesToBase64, logoFileProblem, normalizeAccent } from "./branding-form";
import { defaultPreset, exportErrors, formatBytes, monthPresets, parseMismatch, planLabel, progressLabel, reconciliationDetail, reconciliationLabel } from "./export-form";
import { BrandingCard } from "./BrandingCard";
import { ExportPage } from "./ExportPage";

// pdf.js needs a real canvas: the rendered preview is checked in the e2e test.
vi.mock("./pdf-view", () => ({
  PdfView: ({ pdfBase64, title }: { pdfBase64: string; title: string }) => <div data-testid="pdf-preview" data-pdf={pdfBase64}>{title}</div>,
}));

const input = (over: Partial<BrandingInput> = {}): BrandingInput => ({
  legalName: "Nordlys Cloud AS",
  addressLines: "Akersgata 1\n0158 Oslo",
  country: "NO",
  taxId: "NO995525828MVA",
  email: "billing@nordlys.example",
  phone: "+47 22 33 44 55",
  website: "www.nordlys.example",
  accent: "#c01f5a",
  paymentInstructions: "",
  footerNote: "",
  logoId: null,
  postalCode: "",
  city: "",
  registrationId: "",
  peppolId: "",
  bankIban: "",
  bankBic: "",
  bankHolder: "",
  ...over,
});

describe("branding form logic", () => {
  it("normalizes accents and rejects what is not a colour", () => {
    expect(normalizeAccent("#ABC")).toBe("#aabbcc");
    expect(normalizeAccent(" #C01F5A ")).toBe("#c01f5a");
    expect(normalizeAccent("c01f5a")).toBeNull();
    expect(normalizeAccent("#c01f5g")).toBeNull();
  });

  it("names every field that needs fixing", () => {
    expect(brandingErrors(input())).toEqual({});
    const e = brandingErrors(input({ legalName: " ", country: "Norway", email: "x@", accent: "red", footerNote: "a\nb", addressLines: "1\n2\n3\n4\n5" }));
    expect(Object.keys(e).sort()).toEqual(["accent", "addressLines", "country", "email", "footerNote", "legalName"]);
    expect(e.accent).toContain("#rrggbb");
  });

  it("trims the input and drops blank address lines", () => {
    expect(brandingInput(input({ legalName: "  A  ", addressLines: " x \n\n y ", country: "no", accent: "#ABC" }))).toMatchObject({ legalName: "A", addressLines: "x\ny", country: "NO", accent: "#aabbcc" });
  });

  it("checks a logo file by its bytes, not its name", () => {
    expect(logoFileProblem(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBeNull();
    expect(logoFileProblem(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBeNull();
    expect(logoFileProblem(new TextEncoder().encode("GIF89a"))).toContain("not a PNG or JPEG");
    expect(logoFileProblem(new Uint8Array(0))).toContain("empty");
    expect(logoFileProblem(new Uint8Array(1024 * 1024 + 1))).toContain("at most 1024 KB");
    expect(bytesToBase64(new Uint8Array([1, 2, 3, 250]))).toBe("AQID+g==");
  });
});

describe("export form logic", () => {
  it("offers the last 13 months with last month as the default", () => {
    const now = new Date(Date.UTC(2026, 2, 15)); // 15 March 2026
    const p = monthPresets(now, "en-GB");
    expect(p).toHaveLength(13);
    expect(p[0]).toMatchObject({ value: "2026-03", from: "2026-03-01", to: "2026-03-31" });
    expect(p[1]).toMatchObject({ value: "2026-02", from: "2026-02-01", to: "2026-02-28" });
    expect(p[12]).toMatchObject({ value: "2025-03" });
    expect(defaultPreset(now).value).toBe("2026-02");
  });

  it("checks dates, order, folder and name", () => {
    const ok = { from: "2026-01-01", to: "2026-01-31", folder: "/tmp/out", fileName: "" };
    expect(exportErrors(ok)).toEqual({});
    expect(exportErrors({ ...ok, from: "2026-02-30" }).from).toBeDefined();
    expect(exportErrors({ ...ok, to: "2025-12-31" }).to).toContain("on or after");
    expect(exportErrors({ ...ok, folder: "" }).folder).toContain("Choose the folder");
    expect(exportErrors({ ...ok, folder: "out" }).folder).toContain("full path");
    expect(exportErrors({ ...ok, fileName: "../x.zip" }).fileName).toBeDefined();
  });

  it("says how far the export is", () => {
    expect(progressLabel(null).text).toBe("Preparing…");
    expect(progressLabel({ done: 123, total: 450 })).toEqual({ text: "123 / 450 documents", percent: 27 });
    expect(formatBytes(2_500_000)).toBe("2.4 MB");
    expect(formatBytes(800)).toBe("800 bytes");
  });
});

const saved: BrandingDto = { branding: input(), logo: null, saved: true, eInvoiceGaps: [] };

describe("BrandingCard", () => {
  it("previews the unsaved form, uploads a logo and saves", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "preview_branding") return { fileName: "preview.pdf", pdfBase64: `PDF:${(args as { input: BrandingInput }).input.legalName}` };
      if (cmd === "upload_logo") return { id: "a".repeat(64), width: 240, height: 80, bytes: 900, dataUrl: "data:image/png;base64,AAAA" };
      if (cmd === "update_branding") return { branding: (args as { input: BrandingInput }).input, logo: null, saved: true, eInvoiceGaps: [] };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<BrandingCard branding={saved} />);
    await waitFor(() => expect(screen.getByTestId("pdf-preview")).toHaveAttribute("data-pdf", "PDF:Nordlys Cloud AS"));
    const name = container.querySelector<HTMLInputElement>('input[name="legalName"]')!;
    await user.clear(name);
    await user.type(name, "Zoë Hosting");
    await waitFor(() => expect(screen.getByTestId("pdf-preview")).toHaveAttribute("data-pdf", "PDF:Zoë Hosting"), { timeout: 3000 });

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const file = new File([png], "logo.png", { type: "image/png" });
    fireEvent.change(container.querySelector('input[name="logo"]')!, { target: { files: [file] } });
    await waitFor(() => expect(screen.getByAltText("Your logo")).toBeInTheDocument());
    const up = calls.find(([c]) => c === "upload_logo")![1] as { input: { fileName: string; dataBase64: string } };
    expect(up.input).toEqual({ fileName: "logo.png", dataBase64: bytesToBase64(png) });

    await user.click(screen.getByRole("button", { name: "Save branding" }));
    await waitFor(() => expect(calls.some(([c]) => c === "update_branding")).toBe(true));
    const sent = calls.find(([c]) => c === "update_branding")![1] as { input: BrandingInput };
    expect(sent.input).toMatchObject({ legalName: "Zoë Hosting", logoId: "a".repeat(64) });
  }, 20_000);

  it("lists what e-invoices lack and sends the Peppol fields", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "preview_branding") return { fileName: "preview.pdf", pdfBase64: "x" };
      if (cmd === "update_branding") return { branding: (args as { input: BrandingInput }).input, logo: null, saved: true, eInvoiceGaps: [] };
    });
    const user = userEvent.setup();
    const gaps = ["the seller has no Peppol participant identifier (e.g. 0192:995525828): set it in Settings → Branding"];
    const { container } = renderWithProviders(<BrandingCard branding={{ ...saved, eInvoiceGaps: gaps }} />);
    expect(screen.getByTestId("branding-e-invoice-gaps")).toHaveTextContent("E-invoices (UBL) cannot be produced until:");
    expect(screen.getByTestId("branding-e-invoice-gaps")).toHaveTextContent("no Peppol participant identifier");
    const peppol = container.querySelector<HTMLInputElement>('input[name="peppolId"]')!;
    await user.type(peppol, "995525828");
    await user.click(screen.getByRole("button", { name: "Save branding" }));
    expect(container.querySelector('[data-field-error="peppolId"]')).toHaveTextContent("0192:995525828");
    expect(calls.some(([c]) => c === "update_branding")).toBe(false);
    await user.clear(peppol);
    await user.type(peppol, " 0192:995525828 ");
    await user.type(container.querySelector<HTMLInputElement>('input[name="bankIban"]')!, "NO93 8601 1117 947");
    await user.click(screen.getByRole("button", { name: "Save branding" }));
    await waitFor(() => expect(calls.some(([c]) => c === "update_branding")).toBe(true));
    const sent = calls.find(([c]) => c === "update_branding")![1] as { input: BrandingInput };
    expect(sent.input).toMatchObject({ peppolId: "0192:995525828", bankIban: "NO93 8601 1117 947" });
  }, 20_000);

  it("refuses a file that is not an image before uploading, and shows the backend's field errors", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "preview_branding") return { fileName: "preview.pdf", pdfBase64: "x" };
      if (cmd === "update_branding") throw { code: "validation", message: "bad", fields: [{ field: "taxId", message: "A tax id has at most 40 characters" }] };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<BrandingCard branding={saved} />);
    fireEvent.change(container.querySelector('input[name="logo"]')!, { target: { files: [new File([new TextEncoder().encode("GIF89a")], "logo.png")] } });
    await waitFor(() => expect(container.querySelector('[data-field-error="logo"]')).toHaveTextContent("not a PNG or JPEG"));
    expect(calls).not.toContain("upload_logo");

    const accent = container.querySelector<HTMLInputElement>('input[name="accent"]')!;
    await user.clear(accent);
    await user.type(accent, "blue");
    await user.click(screen.getByRole("button", { name: "Save branding" }));
    expect(container.querySelector('[data-field-error="accent"]')).toHaveTextContent("#rrggbb");
    expect(calls).not.toContain("update_branding");

    await user.clear(accent);
    await user.type(accent, "#123456");
    await user.click(screen.getByRole("button", { name: "Save branding" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="taxId"]')).toHaveTextContent("at most 40"));
  }, 20_000);
});

describe("ExportPage", () => {
  it("plans, exports with progress and shows the result", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "plan_export") return { documents: 3, ledgerTransactions: 412, suggestedFileName: "containerstacks-documents.zip" };
      if (cmd === "plugin:event|listen") return 1;
      if (cmd === "plugin:event|unlisten") return null;
      if (cmd === "export_documents")
        return {
          path: "/tmp/out/containerstacks-documents.zip",
          sizeBytes: "20480",
          documents: 3,
          eInvoices: 1,
          eInvoicesNotWritten: 2,
          journalEntries: 830,
          payments: 2,
          journalBalanced: true,
          ledgerTransactions: 412,
          reconciledDocuments: 3,
          reconciledOrganizations: 2,
          reconciliationDifference: "0.00 EUR",
          files: [],
        };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ExportPage />);
    await user.type(container.querySelector('input[name="folder"]')!, "/tmp/out");
    await waitFor(() => expect(screen.getByTestId("export-count")).toHaveTextContent("3 documents and 412 ledger transactions in this period."));
    await waitFor(() => expect(container.querySelector<HTMLInputElement>('input[name="fileName"]')!.value).toBe("containerstacks-documents.zip"));
    await user.click(screen.getByRole("button", { name: "Export" }));
    expect(await screen.findByTestId("export-result")).toHaveTextContent("/tmp/out/containerstacks-documents.zip");
    expect(screen.getByTestId("export-size")).toHaveTextContent("20.0 KB");
    expect(screen.getByTestId("export-journal")).toHaveTextContent("830 entries from the ledger, balances to zero");
    expect(screen.getByTestId("export-e-invoices-not-written")).toHaveTextContent("2 invoices and credit notes have no e-invoice: seller or customer data is missing");
    expect(screen.getByTestId("export-reconciliation")).toHaveTextContent("Journal matches the ledger: 412 transactions, 0.00 EUR difference");
    expect(screen.getByTestId("export-reconciliation")).toHaveTextContent("3 documents of 2 customers checked against it");
    const sent = calls.find(([c]) => c === "export_documents")![1] as { input: { folder: string; fileName: string } };
    expect(sent.input).toMatchObject({ folder: "/tmp/out", fileName: "containerstacks-documents.zip" });
  });

  it("shows field errors and offers a free name when the file exists", async () => {
    let plans = 0;
    mockIPC((cmd) => {
      if (cmd === "plan_export") return { documents: 3, ledgerTransactions: 9, suggestedFileName: plans++ < 1 ? "a.zip" : "a-2.zip" };
      if (cmd === "plugin:event|listen") return 1;
      if (cmd === "plugin:event|unlisten") return null;
      if (cmd === "export_documents") throw { code: "validation", message: "exists", fields: [{ field: "fileName", message: "a.zip already exists in /tmp/out: it is not overwritten" }] };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ExportPage />);
    await user.click(screen.getByRole("button", { name: "Export" }));
    expect(container.querySelector('[data-field-error="folder"]')).toHaveTextContent("Choose the folder");
    await user.type(container.querySelector('input[name="folder"]')!, "/tmp/out");
    await waitFor(() => expect(container.querySelector<HTMLInputElement>('input[name="fileName"]')!.value).toBe("a.zip"));
    await user.click(screen.getByRole("button", { name: "Export" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="fileName"]')).toHaveTextContent("already exists"));
    await user.click(screen.getByRole("button", { name: "Use a free name" }));
    await waitFor(() => expect(container.querySelector<HTMLInputElement>('input[name="fileName"]')!.value).toBe("a-2.zip"));
  });

  it("shows what does not match the ledger and writes nothing", async () => {
    const message =
      "The documents of 2026-02-01 to 2026-02-28 do not match the ledger, so nothing was exported: Zoë Ødegård: invoice INV-2026-000001 bills 0.32 USD but the ledger charged the wallet 1.32 USD for the usage of 2026-01 and the invoice's rounding and tax (difference 1.00 USD); Zoë Ødegård: ledger transaction 9 of 2026-02-01 (\"Payment by cash, ref STRAY-1\", 5.00 USD on the wallet) has no receipt: every payment must come with a receipt (difference 5.00 USD). Correct the books (a credit note for a wrong document, a documented adjustment for a wrong balance) and export again.";
    mockIPC((cmd) => {
      if (cmd === "plan_export") return { documents: 3, ledgerTransactions: 9, suggestedFileName: "a.zip" };
      if (cmd === "plugin:event|listen") return 1;
      if (cmd === "plugin:event|unlisten") return null;
      if (cmd === "export_documents") throw { code: "conflict", message, fields: [] };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ExportPage />);
    await user.type(container.querySelector('input[name="folder"]')!, "/tmp/out");
    await waitFor(() => expect(container.querySelector<HTMLInputElement>('input[name="fileName"]')!.value).toBe("a.zip"));
    await user.click(screen.getByRole("button", { name: "Export" }));
    const card = await screen.findByTestId("export-mismatch");
    expect(card).toHaveTextContent("The documents do not match the ledger");
    const items = screen.getByTestId("export-mismatch-items").querySelectorAll("li");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("invoice INV-2026-000001 bills 0.32 USD");
    expect(items[1]).toHaveTextContent("ledger transaction 9 of 2026-02-01");
    expect(card).toHaveTextContent("export again");
    expect(screen.queryByTestId("export-result")).toBeNull();
  });
});

describe("export reconciliation texts", () => {
  it("says what the period holds", () => {
    expect(planLabel({ documents: 0, ledgerTransactions: 0 })).toBe("No documents were issued and nothing was booked in this period.");
    expect(planLabel({ documents: 0, ledgerTransactions: 1 })).toBe("No documents, 1 ledger transaction in this period.");
    expect(planLabel({ documents: 1, ledgerTransactions: 2 })).toBe("1 document and 2 ledger transactions in this period.");
  });

  it("states the reconciliation outcome", () => {
    expect(reconciliationLabel({ ledgerTransactions: 412, reconciliationDifference: "0.00 EUR" })).toBe("Journal matches the ledger: 412 transactions, 0.00 EUR difference");
    expect(reconciliationLabel({ ledgerTransactions: 1, reconciliationDifference: "0 JPY" })).toBe("Journal matches the ledger: 1 transaction, 0 JPY difference");
    expect(reconciliationDetail({ reconciledDocuments: 1, reconciledOrganizations: 1 })).toBe("1 document of 1 customer checked against it");
  });

  it("splits a mismatch refusal and ignores other errors", () => {
    const m = parseMismatch({ code: "conflict", message: "The documents of 2026-02-01 to 2026-02-28 do not match the ledger, so nothing was exported: A (difference 1.00 EUR); B (difference 2.00 EUR) (and 3 more). Correct the books and export again." });
    expect(m).toEqual({
      summary: "The documents of 2026-02-01 to 2026-02-28 do not match the ledger, so nothing was exported",
      items: ["A (difference 1.00 EUR)", "B (difference 2.00 EUR) (and 3 more)"],
      advice: "Correct the books and export again.",
    });
    expect(parseMismatch({ code: "conflict", message: "The export was cancelled: the partial file was removed" })).toBeNull();
    expect(parseMismatch({ code: "validation", message: "do not match the ledger" })).toBeNull();
  });
});
