import * as React from "react";
import { useParams } from "react-router";
import { Globe, Mail, SearchX } from "lucide-react";
import { cn } from "@/lib/utils";
import { Skeleton } from "@/components/ui/skeleton";
import { QueryError } from "@/components/query-state";
import { EmptyState } from "@/components/ui/empty-state";
import { ThemeToggle } from "@/components/theme-toggle";
import { useBranding } from "./api/queries";
import { PortalError } from "./api/client";
import type { Branding } from "./api/types";
import { accentColours } from "./lib/accent";

const BrandingContext = React.createContext<Branding | null>(null);

/** The tenant of the page: the first segment of the path. */
export function useTenant(): string {
  return useParams().tenant ?? "";
}

export function useBrand(): Branding {
  const b = React.useContext(BrandingContext);
  if (!b) throw new Error("useBrand needs <TenantBranding> above it");
  return b;
}

/** `Page · Reseller` in the tab's title. */
export function useDocumentTitle(title: string) {
  const brand = React.useContext(BrandingContext);
  React.useEffect(() => {
    document.title = brand ? `${title} · ${brand.name}` : title;
  }, [title, brand]);
}

function currentThemeClass(): "light" | "dark" {
  return document.documentElement.classList.contains("dark") ? "dark" : "light";
}

/** The accent as the theme's primary colour, recomputed when the theme changes. */
function useAccent(accent: string | undefined) {
  const [theme, setTheme] = React.useState(currentThemeClass);
  React.useEffect(() => {
    const obs = new MutationObserver(() => setTheme(currentThemeClass()));
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => obs.disconnect();
  }, []);
  React.useEffect(() => {
    const root = document.documentElement.style;
    const c = accent ? accentColours(accent, theme) : null;
    if (!c) return;
    // Through the CSSOM, which the portal's CSP allows (inline style attributes it does not).
    root.setProperty("--primary", c.primary);
    root.setProperty("--primary-foreground", c.primaryForeground);
    root.setProperty("--ring", c.ring);
    return () => {
      root.removeProperty("--primary");
      root.removeProperty("--primary-foreground");
      root.removeProperty("--ring");
    };
  }, [accent, theme]);
}

function useFavicon(url: string | null | undefined) {
  React.useEffect(() => {
    if (!url) return;
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) {
      link = document.createElement("link");
      link.rel = "icon";
      document.head.appendChild(link);
    }
    link.type = "image/png";
    link.href = url;
  }, [url]);
}

/**
 * Loads the tenant's branding (which also gives the browser its CSRF cookie)
 * before any page of the tenant renders, and applies its accent colour.
 */
export function TenantBranding({ children }: { children: React.ReactNode }) {
  const tenant = useTenant();
  const q = useBranding(tenant);
  useAccent(q.data?.accent);
  useFavicon(q.data?.logoUrl);
  if (q.isPending) {
    return (
      <div className="flex min-h-screen items-center justify-center p-6" role="status" aria-label="Loading">
        <div className="grid w-full max-w-sm gap-3">
          <Skeleton className="mx-auto size-12 rounded-xl" />
          <Skeleton className="mx-auto h-5 w-40" />
          <Skeleton className="h-48 rounded-xl" />
        </div>
      </div>
    );
  }
  if (q.isError) {
    const e = PortalError.from(q.error);
    return (
      <div className="mx-auto flex min-h-screen max-w-md items-center p-6">
        {e.code === "not_found" ? (
          <EmptyState
            className="w-full"
            icon={<SearchX />}
            title="There is no customer portal here"
            description="Check the address in the mail or link your provider gave you: its first part names your provider's portal."
          />
        ) : (
          <div className="w-full">
            <QueryError error={e} retry={() => q.refetch()} what="portal" />
          </div>
        )}
      </div>
    );
  }
  return <BrandingContext.Provider value={q.data}>{children}</BrandingContext.Provider>;
}

/** The reseller's logo (on a light chip in the dark theme, where a dark logo would vanish), or its initial. */
export function BrandMark({ brand, size = "md", className }: { brand: Branding; size?: "md" | "lg"; className?: string }) {
  const [broken, setBroken] = React.useState(false);
  if (brand.logoUrl && !broken) {
    return (
      <img
        src={brand.logoUrl}
        alt={brand.name}
        onError={() => setBroken(true)}
        data-testid="brand-logo"
        className={cn(
          "w-auto object-contain dark:rounded-md dark:bg-white dark:p-1",
          size === "lg" ? "h-12 max-w-[14rem]" : "h-8 max-w-[9rem]",
          className,
        )}
      />
    );
  }
  return (
    <span
      aria-hidden="true"
      className={cn(
        "flex shrink-0 items-center justify-center rounded-lg bg-primary font-semibold text-primary-foreground shadow-sm",
        size === "lg" ? "size-12 text-xl" : "size-8 text-sm",
        className,
      )}
    >
      {[...brand.name.trim()][0]?.toUpperCase() ?? "?"}
    </span>
  );
}

/** Only http(s) links of the reseller's are made clickable. */
export function safeWebsite(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url.includes("://") ? url : `https://${url}`);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

/** The reseller's contact details, for footers and "contact us" hints. */
export function BrandContact({ brand, className }: { brand: Branding; className?: string }) {
  const site = safeWebsite(brand.website);
  if (!brand.email && !site) return null;
  return (
    <div className={cn("flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-muted-foreground", className)}>
      {brand.email && (
        <a href={`mailto:${brand.email}`} className="inline-flex items-center gap-1.5 hover:text-foreground hover:underline">
          <Mail className="size-3.5" aria-hidden="true" />
          {brand.email}
        </a>
      )}
      {site && (
        <a href={site} target="_blank" rel="noreferrer noopener" className="inline-flex items-center gap-1.5 hover:text-foreground hover:underline">
          <Globe className="size-3.5" aria-hidden="true" />
          {new URL(site).host}
        </a>
      )}
    </div>
  );
}

/** The frame of the pages before signing in: the reseller's mark above one card. */
export function AuthLayout({ title, description, children, wide }: { title: string; description?: React.ReactNode; children: React.ReactNode; wide?: boolean }) {
  const brand = useBrand();
  useDocumentTitle(title);
  return (
    <div className="flex min-h-screen flex-col">
      <div className="flex justify-end p-3">
        <ThemeToggle />
      </div>
      <main id="main" className="flex flex-1 flex-col items-center px-4 pb-10 sm:pt-6">
        <div className={cn("w-full", wide ? "max-w-lg" : "max-w-sm")}>
          <div className="mb-6 flex flex-col items-center gap-3 text-center">
            <BrandMark brand={brand} size="lg" />
            <p className="text-sm font-medium text-muted-foreground" data-testid="brand-name">{brand.name}</p>
          </div>
          <div className="rounded-xl border bg-card p-6 shadow-sm sm:p-7">
            <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
            {description && <div className="mt-1.5 text-sm text-muted-foreground">{description}</div>}
            <div className="mt-5">{children}</div>
          </div>
          <BrandContact brand={brand} className="mt-6 justify-center" />
        </div>
      </main>
    </div>
  );
}
