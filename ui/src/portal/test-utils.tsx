// Unit-test helpers of the portal: a fetch stand-in that answers like the
// portal's API from a table of routes, and the portal rendered at a URL.
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import { ToastProvider } from "@/components/ui/toast";
import { makePortalQueryClient } from "./api/queries";
import { PortalRoutes } from "./App";
import type * as T from "./api/types";

export type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };
// Request bodies are read field by field in tests, whatever their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = Answer | ((req: { method: string; path: string; body: any; headers: Record<string, string> }) => Answer);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Call = { method: string; path: string; body: any; headers: Record<string, string> };

/** Installs a fetch that answers `"METHOD /path"` from `routes` (404 otherwise) and records every call. */
export function mockApi(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://portal.test");
    const method = (init.method ?? "GET").toUpperCase();
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    const call = { method, path: url.pathname + url.search, body, headers };
    calls.push(call);
    const h = routes[`${method} ${url.pathname + url.search}`] ?? routes[`${method} ${url.pathname}`];
    const a: Answer = !h ? { status: 404, body: { code: "not_found", message: "No such thing" } } : typeof h === "function" ? h(call) : h;
    const status = a.status ?? 200;
    const text = a.body === undefined ? "" : JSON.stringify(a.body);
    return new Response(status === 204 ? null : text, { status, headers: { "Content-Type": "application/json", ...(a.headers ?? {}) } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

export function renderPortal(route: string) {
  const queryClient = makePortalQueryClient();
  queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false, refetchOnWindowFocus: false } });
  const result = render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <MemoryRouter initialEntries={[route]}>
          <PortalRoutes />
        </MemoryRouter>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}

export const branding: T.Branding = { tenant: "acme", name: "Acme Cloud", accent: "#0f766e", logoUrl: null, email: "help@acme.test", website: "https://acme.test" };

export function session(patch: Partial<T.Session["account"]> = {}, stage: T.Stage = "signed_in"): T.Session {
  return {
    stage,
    csrfToken: "csrf-session",
    account: { id: "acc_1", name: "Ada Lovelace", email: "ada@example.com", role: "admin", twoFactor: true, ...patch },
    organization: { id: "org_1", name: "Analytical Engines Ltd" },
    tenant: { slug: "acme", name: "Acme Cloud" },
  };
}

export const eur = (minor: string): T.Money => ({ minor, currency: "EUR" });

export function server(patch: Partial<T.Server> = {}): T.Server {
  return {
    id: "srv_1", label: "web-01", status: "running", plan: "Standard 2 GB", region: "Frankfurt, DE", image: "Debian 12",
    ipv4: "203.0.113.10", ipv6: "2001:db8::10", createdAt: "2026-02-01T09:30:00Z", ...patch,
  };
}

/** `GET /api/v1/servers/{id}`: a server with no actions yet, its reseller's desktop online. */
export function serverDetail(patch: Partial<T.ServerDetail> = {}): T.ServerDetail {
  return { ...server(), actions: [], desktop: { online: true, holdMinutes: 60 }, ...patch };
}

export function serverAction(patch: Partial<T.ServerAction> = {}): T.ServerAction {
  return { id: "act_1", action: "reboot", state: "requested", requestedAt: "2026-03-02T08:00:00Z", requestedBy: "Ada Lovelace", ...patch };
}

export function wallet(patch: Partial<T.Wallet> = {}): T.Wallet {
  return { balance: eur("4250"), lowBalanceThreshold: eur("1000"), state: "good", stateSince: null, terminatesAt: null, asOf: "2026-03-01T10:00:00Z", ...patch };
}

export function doc(patch: Partial<T.DocumentSummary> = {}): T.DocumentSummary {
  return { id: "doc_1", kind: "invoice", number: "INV-2026-000042", issueDate: "2026-03-01", period: { start: "2026-02-01", end: "2026-02-28" }, total: eur("12100"), status: "unpaid", ...patch };
}

/** A stand-in for EventSource that tests drive by hand. */
export class FakeEventSource {
  static instances: FakeEventSource[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState = 1;
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(public url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  removeEventListener() {}
  close() {
    this.readyState = 2;
  }
  emit(type: string, data: unknown) {
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
}
