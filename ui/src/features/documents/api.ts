// Documents for accountants: branding, PDF previews, e-invoices and the
// period export. Calls go through `unwrap` (errors become ApiError).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands, events } from "@/bindings";
import type * as T from "@/bindings";
import { unwrap } from "@/api/client";

export type { BrandingDto, BrandingInput, ExportInput, ExportPlanDto, ExportProgressDto, ExportResultDto, LogoDto, PdfDto } from "@/bindings";

export const docsApi = {
  getBranding: () => unwrap(commands.getBranding()),
  updateBranding: (input: T.BrandingInput) => unwrap(commands.updateBranding(input)),
  uploadLogo: (input: T.LogoUploadInput) => unwrap(commands.uploadLogo(input)),
  previewBranding: (input: T.BrandingInput) => unwrap(commands.previewBranding(input)),
  documentPdfData: (id: string) => unwrap(commands.documentPdfData(id)),
  saveDocumentUbl: (id: string) => unwrap(commands.saveDocumentUbl(id)),
  planExport: (from: string, to: string, folder: string) => unwrap(commands.planExport(from, to, folder)),
  exportDocuments: (input: T.ExportInput) => unwrap(commands.exportDocuments(input)),
  cancelExport: () => unwrap(commands.cancelExport()),
  pickFolder: (title: string) => unwrap(commands.pickFolder(title)),
  onExportProgress: (f: (p: T.ExportProgressDto) => void) => events.exportProgress.listen((e) => f(e.payload.progress)),
};

export const docsKeys = {
  branding: ["branding"] as const,
  documentPdf: (id: string) => ["document-pdf", id] as const,
};

export const useBranding = () => useQuery({ queryKey: docsKeys.branding, queryFn: docsApi.getBranding });

export function useUpdateBranding() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: docsApi.updateBranding,
    onSuccess: (b) => qc.setQueryData(docsKeys.branding, b),
  });
}

export const useUploadLogo = () => useMutation({ mutationFn: docsApi.uploadLogo });

/** The document's own PDF, for the preview pane. Issued documents never change. */
export const useDocumentPdf = (id: string, enabled: boolean) =>
  useQuery({ queryKey: docsKeys.documentPdf(id), queryFn: () => docsApi.documentPdfData(id), enabled, staleTime: Infinity });

export const useSaveDocumentUbl = () => useMutation({ mutationFn: docsApi.saveDocumentUbl });
