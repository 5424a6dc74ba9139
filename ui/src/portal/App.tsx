import { BrowserRouter, Navigate, Outlet, Route, Routes } from "react-router";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { ToastProvider } from "@/components/ui/toast";
import { EmptyState } from "@/components/ui/empty-state";
import { NotFound } from "@/components/query-state";
import { ThemeToggle } from "@/components/theme-toggle";
import { makePortalQueryClient } from "./api/queries";
import { TenantBranding, useTenant } from "./branding";
import { PortalShell } from "./layout/PortalShell";
import { SecondFactorPage, SignInPage } from "./pages/SignInPage";
import { AcceptInvitationPage, ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage } from "./pages/TokenPages";
import { DashboardPage } from "./pages/DashboardPage";
import { ServerPage, ServersPage } from "./pages/ServersPages";
import { DocumentPage, DocumentsPage } from "./pages/DocumentsPages";
import { WalletPage } from "./pages/WalletPage";
import { AccountLayout, ProfilePage, SecurityPage, SessionsPage } from "./pages/AccountPages";

function Tenant() {
  return (
    <TenantBranding>
      <Outlet />
    </TenantBranding>
  );
}

function PageNotFound() {
  const tenant = useTenant();
  return <NotFound what="page" home={{ to: `/${tenant}/`, label: "Go to the dashboard" }} />;
}

function NoTenant() {
  return (
    <div className="flex min-h-screen flex-col">
      <div className="flex justify-end p-3">
        <ThemeToggle />
      </div>
      <main className="mx-auto flex w-full max-w-md flex-1 items-start px-4 pt-16">
        <EmptyState
          className="w-full"
          title="Customer portal"
          description="Open the link your provider sent you: its address names your provider's portal, like /your-provider/sign-in."
        />
      </main>
    </div>
  );
}

/** The portal's routes: every page lives under its tenant's short name. */
export function PortalRoutes() {
  return (
    <Routes>
      <Route path="/" element={<NoTenant />} />
      <Route path="/:tenant" element={<Tenant />}>
        <Route path="sign-in" element={<SignInPage />} />
        <Route path="sign-in/verify" element={<SecondFactorPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="reset-password/:token" element={<ResetPasswordPage />} />
        <Route path="accept-invitation" element={<AcceptInvitationPage />} />
        <Route path="accept-invitation/:token" element={<AcceptInvitationPage />} />
        <Route path="confirm-email" element={<ConfirmEmailPage />} />
        <Route path="confirm-email/:token" element={<ConfirmEmailPage />} />
        <Route element={<PortalShell />}>
          <Route index element={<DashboardPage />} />
          <Route path="dashboard" element={<Navigate to=".." replace />} />
          <Route path="servers" element={<ServersPage />} />
          <Route path="servers/:id" element={<ServerPage />} />
          <Route path="documents" element={<DocumentsPage />} />
          <Route path="documents/:id" element={<DocumentPage />} />
          <Route path="wallet" element={<WalletPage />} />
          <Route path="account" element={<AccountLayout />}>
            <Route index element={<ProfilePage />} />
            <Route path="security" element={<SecurityPage />} />
            <Route path="sessions" element={<SessionsPage />} />
          </Route>
          <Route path="*" element={<PageNotFound />} />
        </Route>
      </Route>
    </Routes>
  );
}

export function PortalApp({ queryClient = makePortalQueryClient() }: { queryClient?: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <BrowserRouter>
          <PortalRoutes />
        </BrowserRouter>
      </ToastProvider>
    </QueryClientProvider>
  );
}
