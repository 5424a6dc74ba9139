import * as React from "react";
import { Link, Navigate, NavLink, Outlet, useLocation } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { FileText, LayoutDashboard, LogOut, Menu, Server, UserRound, Wallet, X } from "lucide-react";
import { cn } from "@/lib/utils";
import { Skeleton } from "@/components/ui/skeleton";
import { ThemeToggle } from "@/components/theme-toggle";
import { QueryError } from "@/components/query-state";
import { RouteErrorBoundary } from "@/components/error-boundary";
import { useToast } from "@/components/ui/toast";
import { portalApi } from "../api/client";
import { keys, useLiveUpdates, useSession } from "../api/queries";
import type { Session, SignedInSession } from "../api/types";
import { BrandContact, BrandMark, useBrand, useTenant } from "../branding";
import { canSee, type Area } from "../lib/roles";

const SessionContext = React.createContext<SignedInSession | null>(null);

export function isSignedIn(s: Session | null | undefined): s is SignedInSession {
  return Boolean(s && s.stage === "signed_in" && s.account && s.organization);
}

/** The signed-in session (inside the shell only). */
export function useSignedIn(): SignedInSession {
  const s = React.useContext(SessionContext);
  if (!s) throw new Error("useSignedIn needs <PortalShell> above it");
  return s;
}

type NavItem = { to: string; label: string; icon: typeof Server; area?: Area; end?: boolean };
const NAV: NavItem[] = [
  { to: "", label: "Dashboard", icon: LayoutDashboard, end: true },
  { to: "servers", label: "Servers", icon: Server, area: "servers" },
  { to: "documents", label: "Documents", icon: FileText, area: "billing" },
  { to: "wallet", label: "Wallet", icon: Wallet, area: "billing" },
];

/** Where to go after signing in: only a path of this tenant, never another site. */
export function safeNext(next: string | null, tenant: string): string {
  const home = `/${tenant}/`;
  if (!next || !next.startsWith(`/${tenant}/`) || next.startsWith("//") || next.includes("\\")) return home;
  return next;
}

function withTenant(path: string, slug: string): string {
  const [, , ...rest] = path.split("/");
  return `/${slug}/${rest.join("/")}`;
}

/**
 * The frame of every signed-in page: the session guard (signed out → sign-in,
 * second factor pending → its step), the reseller's header with the
 * navigation the account's role may use, and the live updates.
 */
export function PortalShell() {
  const tenant = useTenant();
  const location = useLocation();
  const qc = useQueryClient();
  const q = useSession();
  const signedIn = q.data?.stage === "signed_in" && q.data.tenant.slug === tenant;
  useLiveUpdates(signedIn);

  if (q.isPending) return <ShellSkeleton />;
  if (q.isError) {
    return (
      <div className="mx-auto max-w-md p-6 pt-24">
        <QueryError error={q.error} retry={() => q.refetch()} what="session" />
      </div>
    );
  }
  const here = location.pathname + location.search;
  const s = q.data;
  if (!s) {
    // After "Sign out" the sign-in page says so, and does not send the user back here.
    if (qc.getQueryData(keys.signedOut)) return <Navigate to={`/${tenant}/sign-in`} replace state={{ signedOut: true }} />;
    return <Navigate to={`/${tenant}/sign-in?next=${encodeURIComponent(here)}`} replace />;
  }
  if (s.tenant.slug !== tenant) return <Navigate to={withTenant(here, s.tenant.slug)} replace />;
  if (!isSignedIn(s)) return <Navigate to={`/${tenant}/sign-in/verify?next=${encodeURIComponent(here)}`} replace />;
  return (
    <SessionContext.Provider value={s}>
      <Frame session={s} />
    </SessionContext.Provider>
  );
}

function Frame({ session }: { session: SignedInSession }) {
  const tenant = useTenant();
  const brand = useBrand();
  const location = useLocation();
  const [open, setOpen] = React.useState(false);
  const signOut = useSignOut();
  const items = NAV.filter((i) => !i.area || canSee(session.account.role, i.area));

  // The phone menu closes when a link is followed.
  React.useEffect(() => setOpen(false), [location.pathname]);

  const link = (i: NavItem, phone: boolean) => (
    <NavLink
      key={i.to}
      to={`/${tenant}/${i.to}`}
      end={i.end}
      data-nav={i.to || "dashboard"}
      className={({ isActive }) =>
        cn(
          "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium text-muted-foreground transition-colors hover:bg-accent hover:text-foreground",
          isActive && "bg-accent text-foreground",
          phone && "py-2.5 text-base",
        )
      }
    >
      <i.icon className="size-4" aria-hidden="true" />
      {i.label}
    </NavLink>
  );

  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:m-2 focus:rounded focus:bg-card focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-card/95 backdrop-blur supports-[backdrop-filter]:bg-card/80">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-4 sm:px-6">
          <Link to={`/${tenant}/`} className="flex min-w-0 items-center gap-2.5 rounded-md" aria-label={`${brand.name}: dashboard`}>
            <BrandMark brand={brand} />
            {/* A logo may be an icon without the name: the name stays beside it where there is room. */}
            <span className={cn("truncate text-sm font-semibold tracking-tight", brand.logoUrl && "hidden lg:inline")} data-testid="brand-name">
              {brand.name}
            </span>
          </Link>
          <nav aria-label="Main" className="ml-4 hidden items-center gap-1 md:flex">
            {items.map((i) => link(i, false))}
          </nav>
          <div className="ml-auto flex items-center gap-1">
            <ThemeToggle />
            <NavLink
              to={`/${tenant}/account`}
              data-nav="account"
              className={({ isActive }) =>
                cn(
                  "hidden items-center gap-2 rounded-md px-2.5 py-1.5 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-foreground md:flex",
                  isActive && "bg-accent text-foreground",
                )
              }
            >
              <UserRound className="size-4" aria-hidden="true" />
              <span className="max-w-[10rem] truncate" data-testid="account-name">{session.account.name}</span>
            </NavLink>
            <button
              type="button"
              onClick={signOut}
              className="hidden size-8 items-center justify-center rounded-md text-muted-foreground hover:bg-accent hover:text-foreground md:inline-flex"
              aria-label="Sign out"
              title="Sign out"
              data-testid="sign-out"
            >
              <LogOut className="size-4" aria-hidden="true" />
            </button>
            <button
              type="button"
              onClick={() => setOpen((o) => !o)}
              className="inline-flex size-9 items-center justify-center rounded-md text-muted-foreground hover:bg-accent hover:text-foreground md:hidden"
              aria-expanded={open}
              aria-controls="phone-nav"
              aria-label={open ? "Close the menu" : "Open the menu"}
              data-testid="menu-toggle"
            >
              {open ? <X className="size-5" aria-hidden="true" /> : <Menu className="size-5" aria-hidden="true" />}
            </button>
          </div>
        </div>
        {open && (
          <nav id="phone-nav" aria-label="Main" className="border-t px-3 pt-2 pb-3 md:hidden">
            <div className="grid gap-0.5">
              {items.map((i) => link(i, true))}
              {link({ to: "account", label: "Account", icon: UserRound }, true)}
            </div>
            <div className="mt-2 flex items-center justify-between border-t px-3 pt-3">
              <div className="min-w-0 text-sm">
                <p className="truncate font-medium">{session.account.name}</p>
                <p className="truncate text-xs text-muted-foreground">{session.account.email}</p>
              </div>
              <button
                type="button"
                onClick={signOut}
                className="inline-flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-foreground"
              >
                <LogOut className="size-4" aria-hidden="true" /> Sign out
              </button>
            </div>
          </nav>
        )}
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 lg:py-8">
        <RouteErrorBoundary key={location.pathname} hint="Try again, or go to another page. If it keeps happening, reload the page.">
          <Outlet />
        </RouteErrorBoundary>
      </main>
      <footer className="border-t">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-4 sm:px-6">
          <p className="text-xs text-muted-foreground">
            {session.organization.name} · {brand.name}
          </p>
          <BrandContact brand={brand} />
        </div>
      </footer>
    </div>
  );
}

function useSignOut() {
  const qc = useQueryClient();
  const toast = useToast();
  return React.useCallback(async () => {
    try {
      await portalApi.signOut();
    } catch (e) {
      // Already signed out is what we wanted; anything else the user should know.
      if (!(e instanceof Error && "code" in e && (e as { code: string }).code === "signed_out")) {
        toast.error("Could not sign out", (e as Error).message);
        return;
      }
    }
    // The guard above sees the session gone and goes to sign-in (a navigation
    // from here would lose to the guard's: the cache updates render first).
    qc.setQueryData(keys.signedOut, true);
    qc.setQueryData(keys.session, null);
    qc.removeQueries({ predicate: (q) => !["branding", "session", "signed-out"].includes(String(q.queryKey[0])) });
  }, [qc, toast]);
}

function ShellSkeleton() {
  return (
    <div className="min-h-screen" role="status" aria-label="Loading">
      <div className="h-14 border-b bg-card" />
      <div className="mx-auto grid max-w-6xl gap-4 px-6 py-8">
        <Skeleton className="h-8 w-48" />
        <div className="grid gap-4 sm:grid-cols-3">
          <Skeleton className="h-28" />
          <Skeleton className="h-28" />
          <Skeleton className="h-28" />
        </div>
        <Skeleton className="h-64" />
      </div>
    </div>
  );
}
