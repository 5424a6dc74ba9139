// The email screens' backend calls and TanStack Query hooks (Settings → Email,
// the Outbox, the template editor). Errors arrive as ApiError via `unwrap`.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { unwrap } from "@/api/client";
import { commands } from "@/bindings";
import type * as T from "@/bindings";

export type EmailSettingsDto = T.EmailSettingsDto;
export type EmailSettingsInput = T.EmailSettingsInput;
export type OutboxItemDto = T.OutboxItemDto;
export type OutboxListDto = T.OutboxListDto;
export type OutboxMessageDto = T.OutboxMessageDto;
export type MailTemplateDto = T.MailTemplateDto;
export type MailTemplateInput = T.MailTemplateInput;
export type MailPreviewDto = T.MailPreviewDto;
export type OutboxFilter = "all" | "pending" | "sent" | "failed";

export const mailApi = {
  emailSettings: () => unwrap(commands.getEmailSettings()),
  updateEmailSettings: (input: T.EmailSettingsInput) => unwrap(commands.updateEmailSettings(input)),
  sendTestMail: (to: string) => unwrap(commands.sendTestMail(to)),
  listOutbox: (filter: OutboxFilter, cursor: string | null = null, limit: number | null = null) => unwrap(commands.listOutbox(filter, cursor, limit)),
  getOutboxMessage: (id: string) => unwrap(commands.getOutboxMessage(id)),
  retryMail: (id: string) => unwrap(commands.retryMail(id)),
  listTemplates: () => unwrap(commands.listMailTemplates()),
  saveTemplate: (kind: string, input: T.MailTemplateInput) => unwrap(commands.saveMailTemplate(kind, input)),
  resetTemplate: (kind: string) => unwrap(commands.resetMailTemplate(kind)),
  previewTemplate: (kind: string, input: T.MailTemplateInput) => unwrap(commands.previewMailTemplate(kind, input)),
};

export const mailKeys = {
  settings: ["email-settings"] as const,
  outbox: (filter: OutboxFilter) => ["outbox", filter] as const,
  outboxAll: ["outbox"] as const,
  message: (id: string) => ["outbox-message", id] as const,
  templates: ["mail-templates"] as const,
  preview: (kind: string, input: T.MailTemplateInput) => ["mail-preview", kind, input.subject, input.text, input.html] as const,
};

/** How often the Outbox refreshes itself while open (the worker sends in the background). */
export const OUTBOX_REFRESH_MS = 2_000;
/** Mails per page of the Outbox ("Show more" loads the next). */
export const OUTBOX_PAGE = 50;

export function useEmailSettings() {
  return useQuery({ queryKey: mailKeys.settings, queryFn: mailApi.emailSettings });
}

export function useUpdateEmailSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: mailApi.updateEmailSettings,
    onSuccess: (s) => {
      qc.setQueryData(mailKeys.settings, s);
      void qc.invalidateQueries({ queryKey: mailKeys.outboxAll });
    },
  });
}

export function useSendTestMail() {
  return useMutation({ mutationFn: mailApi.sendTestMail });
}

/** The Outbox a page at a time, newest first; every loaded page refreshes. */
export function useOutbox(filter: OutboxFilter) {
  return useInfiniteQuery({
    queryKey: mailKeys.outbox(filter),
    queryFn: ({ pageParam }) => mailApi.listOutbox(filter, pageParam, OUTBOX_PAGE),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: OUTBOX_REFRESH_MS,
    staleTime: 0,
  });
}

export function useOutboxMessage(id: string | null) {
  return useQuery({ queryKey: mailKeys.message(id ?? ""), queryFn: () => mailApi.getOutboxMessage(id!), enabled: Boolean(id) });
}

export function useRetryMail() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: mailApi.retryMail,
    onSettled: () => void qc.invalidateQueries({ queryKey: mailKeys.outboxAll }),
  });
}

export function useMailTemplates() {
  return useQuery({ queryKey: mailKeys.templates, queryFn: mailApi.listTemplates });
}

export function useSaveTemplate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ kind, input }: { kind: string; input: T.MailTemplateInput }) => mailApi.saveTemplate(kind, input),
    onSuccess: (t) => qc.setQueryData<T.MailTemplateDto[]>(mailKeys.templates, (list) => list?.map((x) => (x.kind === t.kind ? t : x))),
  });
}

export function useResetTemplate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (kind: string) => mailApi.resetTemplate(kind),
    onSuccess: (t) => qc.setQueryData<T.MailTemplateDto[]>(mailKeys.templates, (list) => list?.map((x) => (x.kind === t.kind ? t : x))),
  });
}

/** The backend's rendering of an unsaved template with sample data. */
export function usePreview(kind: string, input: T.MailTemplateInput) {
  return useQuery({
    queryKey: mailKeys.preview(kind, input),
    queryFn: () => mailApi.previewTemplate(kind, input),
    placeholderData: (prev) => prev,
    staleTime: 60_000,
  });
}
