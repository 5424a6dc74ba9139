import { HashRouter, Navigate, Route, Routes } from "react-router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ToastProvider } from "@/components/ui/toast";
import { AppShell } from "@/components/app-shell";
import { ApiError } from "@/api/client";
import { DashboardPage } from "@/features/dashboard/DashboardPage";
import { NotFound } from "@/components/query-state";
import {
  ActivityPage,
  BillingPage,
  CustomerDetailPage,
  CustomersPage,
  DocumentDetailPage,
  DocumentsPage,
  ExportPage,
  NewServerPage,
  OutboxPage,
  PaymentDetailPage,
  PaymentsPage,
  PlanPricingPage,
  PlansPage,
  ServerDetailPage,
  ServersPage,
  SettingsPage,
  TemplatesPage,
} from "@/pages";

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The backend is in-process: retrying a not_found or validation error is pointless.
        retry: (count, err) => count < 2 && ApiError.from(err).code === "unavailable",
        refetchOnWindowFocus: false,
        staleTime: 10_000,
      },
    },
  });
}

const queryClient = makeQueryClient();

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<AppShell />}>
        <Route index element={<Navigate to="/dashboard" replace />} />
        <Route path="dashboard" element={<DashboardPage />} />
        <Route path="customers" element={<CustomersPage />} />
        <Route path="customers/:id" element={<CustomerDetailPage />} />
        <Route path="plans" element={<PlansPage />} />
        <Route path="plans/:id/pricing" element={<PlanPricingPage />} />
        <Route path="servers" element={<ServersPage />} />
        <Route path="servers/new" element={<NewServerPage />} />
        <Route path="servers/:id" element={<ServerDetailPage />} />
        <Route path="billing" element={<BillingPage />} />
        <Route path="invoices" element={<DocumentsPage />} />
        <Route path="invoices/export" element={<ExportPage />} />
        <Route path="invoices/:id" element={<DocumentDetailPage />} />
        <Route path="payments" element={<PaymentsPage />} />
        <Route path="payments/:id" element={<PaymentDetailPage />} />
        <Route path="activity" element={<ActivityPage />} />
        <Route path="outbox" element={<OutboxPage />} />
        <Route path="email-templates" element={<TemplatesPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFound what="page" />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <HashRouter>
          <AppRoutes />
        </HashRouter>
      </ToastProvider>
    </QueryClientProvider>
  );
}
