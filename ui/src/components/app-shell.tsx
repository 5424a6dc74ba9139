import * as React from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { CatchUpBanner } from "@/features/plans/pricing/catch-up";
import { LoopHealthBanner } from "@/components/loop-health-banner";
import { UpdateBanner } from "@/features/updates/UpdateBanner";
import { Activity, Boxes, CreditCard, FileText, LayoutDashboard, Mail, Server, Settings, Tags, Users, Wallet } from "lucide-react";
import { cn } from "@/lib/utils";
import { ThemeToggle } from "@/components/theme-toggle";
import { useAppInfo, useSettings } from "@/api/queries";
import { useLiveUpdates } from "@/api/live";
import { useToast } from "@/components/ui/toast";
import { RouteErrorBoundary } from "@/components/error-boundary";

const NAV = [
  { to: "/dashboard", label: "Dashboard", icon: LayoutDashboard },
  { to: "/customers", label: "Customers", icon: Users },
  { to: "/plans", label: "Plans", icon: Tags },
  { to: "/servers", label: "Servers", icon: Server },
  { to: "/billing", label: "Billing", icon: CreditCard },
  { to: "/invoices", label: "Documents", icon: FileText },
  { to: "/payments", label: "Payments", icon: Wallet },
  { to: "/activity", label: "Activity", icon: Activity },
  { to: "/outbox", label: "Outbox", icon: Mail },
  { to: "/settings", label: "Settings", icon: Settings },
] as const;

export function AppShell() {
  const toast = useToast();
  const location = useLocation();
  useLiveUpdates({
    onServerFailed: (s) => toast.error(`${s.label} failed`, `The provider could not build or run the server of ${s.organizationName}. See the server's activity for details`),
  });
  const settings = useSettings();
  const info = useAppInfo();

  // index.html draws the top of this frame (the sidebar and its brand)
  // before the script runs: keep the two in step.
  return (
    <div className="flex h-screen min-h-0 overflow-hidden">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:m-2 focus:rounded focus:bg-card focus:px-3 focus:py-2">
        Skip to content
      </a>
      <aside className="flex w-56 shrink-0 flex-col border-r bg-sidebar">
        <div className="flex h-14 items-center gap-2.5 px-4">
          <div className="flex size-8 items-center justify-center rounded-lg bg-primary text-primary-foreground shadow-sm">
            <Boxes className="size-4.5" aria-hidden="true" />
          </div>
          <div className="min-w-0 leading-tight">
            <div className="truncate text-sm font-semibold tracking-tight">ContainerStacks</div>
            <div className="truncate text-[11px] text-muted-foreground">{settings.data?.resellerName || "Reseller console"}</div>
          </div>
        </div>
        <nav aria-label="Main" className="flex-1 px-2 py-3">
          <ul className="grid gap-0.5">
            {NAV.map(({ to, label, icon: Icon }) => (
              <li key={to}>
                <NavLink
                  to={to}
                  className={({ isActive }) =>
                    cn(
                      "flex items-center gap-2.5 rounded-md px-2.5 py-2 text-sm font-medium text-muted-foreground transition-colors hover:bg-accent hover:text-foreground",
                      isActive && "bg-card text-foreground shadow-xs ring-1 ring-border",
                    )
                  }
                >
                  <Icon className="size-4" aria-hidden="true" />
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="flex items-center justify-between gap-2 border-t px-3 py-3">
          <span className="text-[11px] text-muted-foreground tabular-nums">{info.data ? `v${info.data.version}` : ""}</span>
          <ThemeToggle />
        </div>
      </aside>
      <main id="main" className="min-w-0 flex-1 overflow-y-auto">
        <div className="mx-auto max-w-6xl px-6 py-6 lg:px-8 lg:py-7">
          <LoopHealthBanner />
          <CatchUpBanner />
          <UpdateBanner />
          <RouteErrorBoundary key={location.pathname}>
            {/* A screen's code may still be on its way (src/pages.ts). */}
            <React.Suspense fallback={<p className="text-sm text-muted-foreground">Loading…</p>}>
              <Outlet />
            </React.Suspense>
          </RouteErrorBoundary>
        </div>
      </main>
    </div>
  );
}
