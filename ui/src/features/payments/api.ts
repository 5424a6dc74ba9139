// PayPal payments: queries and mutations over the generated commands.
import * as React from "react";
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type { PaymentDetail, PaymentFilterInput, PaymentLinkInput, PayPalSettingsInput, RefundInput } from "@/bindings";
import { unwrap } from "@/api/client";
import { usePagedList } from "@/api/paged";

export const paymentKeys = {
  all: ["payments"] as const,
  /** A customer's newest payments (their page's card). */
  list: (f: PaymentFilterInput) => ["payments", "list", "card", f] as const,
  /** The Payments screen, a page at a time. */
  pages: (f: PaymentFilterInput) => ["payments", "list", "pages", f] as const,
  detail: (id: string) => ["payments", "detail", id] as const,
  settings: ["paypal-settings"] as const,
};

export const paymentsApi = {
  settings: () => unwrap(commands.getPaypalSettings()),
  saveSettings: (input: PayPalSettingsInput) => unwrap(commands.savePaypalSettings(input)),
  testConnection: () => unwrap(commands.testPaypalConnection()),
  createLink: (input: PaymentLinkInput) => unwrap(commands.createPaymentLink(input)),
  list: (filter: PaymentFilterInput) => unwrap(commands.listPayments(filter)),
  get: (id: string) => unwrap(commands.getPayment(id)),
  check: (id: string) => unwrap(commands.checkPayment(id)),
  send: (id: string) => unwrap(commands.sendPaymentLink(id)),
  refund: (input: RefundInput) => unwrap(commands.refundPayment(input)),
};

/** A payment that still waits for PayPal: its views refresh on their own. */
export function isOpen(status: string): boolean {
  return status === "created" || status === "approved";
}

export const usePayPalSettings = () => useQuery({ queryKey: paymentKeys.settings, queryFn: paymentsApi.settings });

export function useSavePayPalSettings() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: paymentsApi.saveSettings, onSuccess: (s) => qc.setQueryData(paymentKeys.settings, s) });
}

export const useTestPayPal = () => useMutation({ mutationFn: paymentsApi.testConnection });

/** The newest 100 payments of a filter (a customer's card). */
export function usePayments(filter: PaymentFilterInput) {
  const input = { ...filter, limit: 100 };
  return useQuery({
    queryKey: paymentKeys.list(input),
    queryFn: () => paymentsApi.list(input),
    refetchInterval: (q) => ((q.state.data?.rows ?? []).some((p) => isOpen(p.status)) ? 3000 : false),
  });
}

/** The Payments screen, a page at a time; the pages held refresh while a payment on them waits for PayPal. */
export function usePaymentPages(filter: PaymentFilterInput) {
  return usePagedList(paymentKeys.pages(filter), (p) => paymentsApi.list({ ...filter, ...p }), {
    refetchInterval: (rows) => (rows.some((p) => isOpen(p.status)) ? 3000 : false),
  });
}

export function usePayment(id: string) {
  return useQuery({
    queryKey: paymentKeys.detail(id),
    queryFn: () => paymentsApi.get(id),
    refetchInterval: (q) => {
      const d = q.state.data;
      return d && (isOpen(d.payment.status) || d.refunds.some((r) => r.status === "pending")) ? 3000 : false;
    },
  });
}

/** A payment moved: its lists, and the wallet and documents it may have changed. */
function onPaymentChanged(qc: QueryClient, d: PaymentDetail) {
  qc.setQueryData(paymentKeys.detail(d.payment.id), d);
  qc.invalidateQueries({ queryKey: ["payments", "list"] });
  qc.invalidateQueries({ queryKey: ["wallet"] });
  qc.invalidateQueries({ queryKey: ["wallets"] });
  qc.invalidateQueries({ queryKey: ["documents"] });
  qc.invalidateQueries({ queryKey: ["billingOverview"] });
  qc.invalidateQueries({ queryKey: ["organization"] });
  qc.invalidateQueries({ queryKey: ["activity"] });
}

export function useCreatePaymentLink() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: paymentsApi.createLink, onSuccess: (d) => onPaymentChanged(qc, d) });
}

export function useCheckPayment() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: paymentsApi.check, onSuccess: (d) => onPaymentChanged(qc, d) });
}

export function useSendPaymentLink() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: paymentsApi.send, onSuccess: (d) => onPaymentChanged(qc, d) });
}

export function useRefundPayment() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: paymentsApi.refund, onSuccess: (d) => onPaymentChanged(qc, d) });
}

/** The poller or a webhook moved a payment in the background: when what a
 * view shows of it changes, refetch the wallet and documents it affects. */
export function useSyncWalletOn(signature: string | undefined) {
  const qc = useQueryClient();
  const last = React.useRef(signature);
  React.useEffect(() => {
    if (signature !== undefined && last.current !== undefined && signature !== last.current) {
      qc.invalidateQueries({ queryKey: ["wallet"] });
      qc.invalidateQueries({ queryKey: ["wallets"] });
      qc.invalidateQueries({ queryKey: ["documents"] });
      qc.invalidateQueries({ queryKey: ["billingOverview"] });
      qc.invalidateQueries({ queryKey: ["payments", "list"] });
    }
    last.current = signature;
  }, [qc, signature]);
}
