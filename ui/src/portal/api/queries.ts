// TanStack Query keys and hooks of the portal. `useLiveUpdates` refetches
// what the server's event stream says changed.
import * as React from "react";
import { QueryCache, QueryClient, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { PortalError, portalApi } from "./client";
import type { ChangeEvent, ServerAction, ServerActionKind, ServerDetail } from "./types";

export const keys = {
  branding: (tenant: string) => ["branding", tenant] as const,
  session: ["session"] as const,
  /** Set by "Sign out", so the sign-in page can say so. */
  signedOut: ["signed-out"] as const,
  sessions: ["sessions"] as const,
  invitation: (token: string) => ["invitation", token] as const,
  dashboard: ["dashboard"] as const,
  servers: ["servers"] as const,
  server: (id: string) => ["servers", id] as const,
  documents: ["documents"] as const,
  document: (id: string) => ["documents", id] as const,
  wallet: ["wallet"] as const,
  walletTransactions: ["wallet", "transactions"] as const,
};

export function makePortalQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      // A session that ended (expired, revoked elsewhere) sends every page
      // back to sign-in: the session guard watches this query.
      onError: (e) => {
        if (!(e instanceof PortalError)) return;
        if (e.code === "signed_out") client.setQueryData(keys.session, null);
        // The session went back to needing its second factor: the guard sends the user there.
        if (e.code === "second_factor") void client.invalidateQueries({ queryKey: keys.session });
      },
    }),
    defaultOptions: {
      queries: {
        retry: (count, e) => count < 2 && e instanceof PortalError && e.code === "unavailable",
        refetchOnWindowFocus: true,
        staleTime: 15_000,
      },
      mutations: { retry: false },
    },
  });
  return client;
}

export const useBranding = (tenant: string) =>
  useQuery({ queryKey: keys.branding(tenant), queryFn: () => portalApi.branding(tenant), staleTime: 5 * 60_000, retry: false });

export const useSession = () => useQuery({ queryKey: keys.session, queryFn: portalApi.session, staleTime: 60_000, retry: false });

export const useSessions = () => useQuery({ queryKey: keys.sessions, queryFn: portalApi.sessions });
export const useDashboard = () => useQuery({ queryKey: keys.dashboard, queryFn: portalApi.dashboard });
export const useServers = () => useQuery({ queryKey: keys.servers, queryFn: portalApi.servers });
/**
 * A server's detail. The event stream tells when the desktop answers a
 * request, but not when the desktop comes or goes, nor when a held request
 * runs out of time (the portal finds that out on reading): so while the
 * desktop is away or a request waits, the page also looks again now and then.
 */
export const useServer = (id: string) =>
  useQuery({
    queryKey: keys.server(id),
    queryFn: () => portalApi.server(id),
    refetchInterval: (q) => (q.state.data && needsWatching(q.state.data) ? 30_000 : false),
  });

function needsWatching(d: ServerDetail): boolean {
  return d.desktop?.online === false || d.actions?.[0]?.state === "requested";
}

/**
 * Asks for a power action on server `id`. The answer is only the request
 * (state `requested`): it shows at once in the server's actions, and the
 * desktop's verdict arrives later through the event stream (`what: server`).
 * Whatever the answer, the server is refetched: a refusal (409) usually means
 * the page showed an older state.
 */
export function useServerAction(id: string) {
  return useMutation({
    mutationFn: (action: ServerActionKind) => portalApi.requestServerAction(id, action),
    ...useRequestRecording(id),
  });
}

/**
 * Asks for server `id` to be deleted, with its label as the customer typed it
 * to confirm. A request like the power actions: recorded and refetched the
 * same way, carried out (or refused) by the reseller's desktop later.
 */
export function useServerDelete(id: string) {
  return useMutation({
    mutationFn: (label: string) => portalApi.requestServerDelete(id, label),
    ...useRequestRecording(id),
  });
}

/**
 * What a request of server `id` does to the cache: the answered `Action` goes
 * at the head of the server's actions at once, then the server (and the list)
 * are refetched whatever the answer.
 */
function useRequestRecording(id: string) {
  const qc = useQueryClient();
  return {
    onSuccess: (action: ServerAction | undefined) => {
      if (!action?.id) return;
      qc.setQueryData<ServerDetail>(keys.server(id), (d) =>
        d && !(d.actions ?? []).some((a) => a.id === action.id) ? { ...d, actions: [action, ...(d.actions ?? [])].slice(0, 10) } : d,
      );
    },
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: keys.server(id) }),
        qc.invalidateQueries({ queryKey: keys.servers, exact: true }),
      ]),
  };
}

export const useDocument = (id: string) => useQuery({ queryKey: keys.document(id), queryFn: () => portalApi.document(id) });
export const useWallet = () => useQuery({ queryKey: keys.wallet, queryFn: portalApi.wallet });

export const useDocuments = () =>
  useInfiniteQuery({
    queryKey: keys.documents,
    queryFn: ({ pageParam }) => portalApi.documents(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next ?? undefined,
  });

export const useWalletTransactions = () =>
  useInfiniteQuery({
    queryKey: keys.walletTransactions,
    queryFn: ({ pageParam }) => portalApi.walletTransactions(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next ?? undefined,
  });

/** The queries a change of `what` makes stale. */
export function staleKeys(what: string): readonly (readonly string[])[] {
  switch (what) {
    case "server":
      // ["servers"] covers each server's detail, with its actions.
      return [keys.servers, keys.dashboard];
    case "document":
      return [keys.documents, keys.dashboard, keys.walletTransactions];
    case "wallet":
      // ["wallet"] covers its transactions too.
      return [keys.wallet, keys.dashboard];
    case "branding":
      return [["branding"]];
    case "session":
      return [keys.session, keys.sessions];
    default:
      // "all" (the desktop re-sent everything), or a change this UI does not know yet.
      return [];
  }
}

/**
 * Keeps the pages live: listens to `GET /api/v1/events` while signed in and
 * refetches what each `change` names. After the stream drops and comes back,
 * everything is refetched (changes may have been missed meanwhile).
 */
export function useLiveUpdates(enabled: boolean) {
  const qc = useQueryClient();
  React.useEffect(() => {
    if (!enabled || typeof EventSource === "undefined") return;
    let source: EventSource | null = null;
    let retry: number | undefined;
    let dropped = false;
    const refetchAll = () => void qc.invalidateQueries();
    const onChange = (ev: MessageEvent) => {
      let what = "";
      try {
        what = (JSON.parse(String(ev.data)) as ChangeEvent).what ?? "";
      } catch {
        /* a change we cannot read: refetch everything below */
      }
      const stale = staleKeys(what);
      if (stale.length === 0) return refetchAll();
      for (const key of stale) void qc.invalidateQueries({ queryKey: key });
    };
    const connect = () => {
      source = new EventSource(portalApi.eventsUrl, { withCredentials: true });
      source.addEventListener("change", onChange as EventListener);
      source.onopen = () => {
        if (dropped) {
          dropped = false;
          refetchAll();
        }
      };
      source.onerror = () => {
        dropped = true;
        // The stream is refused once the session has ended: find out.
        void qc.invalidateQueries({ queryKey: keys.session });
        // The browser reconnects by itself after a network error, but not
        // after an HTTP error (a portal restarting behind a proxy): then we do.
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          retry = window.setTimeout(connect, 5_000);
        }
      };
    };
    connect();
    return () => {
      window.clearTimeout(retry);
      source?.close();
    };
  }, [enabled, qc]);
}
