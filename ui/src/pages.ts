// The screens other than the dashboard, each in a chunk of its own: the
// window's first paint parses and runs only the shell and the dashboard.
// Once it has painted, `preloadPages` fetches the rest in the background, so
// opening a screen does not wait for its code either.
import * as React from "react";

type Loader = () => Promise<Record<string, unknown>>;

const loaders: Loader[] = [];

/** A screen loaded from `load`'s export `name`, on first render or by `preloadPages`. */
function page<M extends Record<string, unknown>, K extends keyof M & string>(load: () => Promise<M>, name: K) {
  loaders.push(load);
  return React.lazy(async () => ({ default: (await load())[name] as React.ComponentType }));
}

export const CustomersPage = page(() => import("@/features/customers/CustomersPage"), "CustomersPage");
export const CustomerDetailPage = page(() => import("@/features/customers/CustomerDetailPage"), "CustomerDetailPage");
export const PlansPage = page(() => import("@/features/plans/PlansPage"), "PlansPage");
export const PlanPricingPage = page(() => import("@/features/plans/pricing/PlanPricingPage"), "PlanPricingPage");
export const ServersPage = page(() => import("@/features/servers/ServersPage"), "ServersPage");
export const NewServerPage = page(() => import("@/features/servers/NewServerPage"), "NewServerPage");
export const ServerDetailPage = page(() => import("@/features/servers/ServerDetailPage"), "ServerDetailPage");
export const BillingPage = page(() => import("@/features/billing/BillingPage"), "BillingPage");
export const DocumentsPage = page(() => import("@/features/billing/DocumentsPage"), "DocumentsPage");
export const DocumentDetailPage = page(() => import("@/features/billing/DocumentDetailPage"), "DocumentDetailPage");
export const ExportPage = page(() => import("@/features/documents/ExportPage"), "ExportPage");
export const PaymentsPage = page(() => import("@/features/payments/PaymentsPage"), "PaymentsPage");
export const PaymentDetailPage = page(() => import("@/features/payments/PaymentDetailPage"), "PaymentDetailPage");
export const ActivityPage = page(() => import("@/features/activity/ActivityPage"), "ActivityPage");
export const OutboxPage = page(() => import("@/features/mail/OutboxPage"), "OutboxPage");
export const TemplatesPage = page(() => import("@/features/mail/TemplatesPage"), "TemplatesPage");
export const SettingsPage = page(() => import("@/features/settings/SettingsPage"), "SettingsPage");

/** Fetches every screen's code, one after the other (a failure is left to the screen's own load). */
export async function preloadPages(): Promise<void> {
  for (const load of loaders) await load().catch(() => {});
}
