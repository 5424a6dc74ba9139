// TanStack Query keys and hooks over the API client. Live events (live.ts)
// write into the same keys, so screens update without refetching.
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { patchRow, usePagedList, type PagedData } from "./paged";
import { api, type ActivityDto, type ActivityKindFilter, type AdjustmentInput, type BillingSettingsDto, type DocumentListInput, type OrganizationListInput, type ServerListInput, type PaymentInput, type WalletDetail, type OrganizationInput, type PlanInput, type ServerAction, type ServerDto, type ServerInput, type CreateOptionsInput, type SettingsInput } from "./client";

export const keys = {
  appInfo: ["appInfo"] as const,
  dashboard: ["dashboard"] as const,
  /** Every customer, for the select boxes that choose one. */
  organizations: ["organizations"] as const,
  /** Pages of the Customers list. */
  customerPagesAll: ["customerPages"] as const,
  customerPages: (input: OrganizationListInput) => ["customerPages", input] as const,
  organization: (id: string) => ["organization", id] as const,
  plans: ["plans"] as const,
  catalogue: (provider: string) => ["catalogue", provider] as const,
  /** Every paged servers list (the Servers screen, a plan's servers). */
  servers: ["servers"] as const,
  serverPages: (input: ServerListInput) => ["servers", input] as const,
  server: (id: string) => ["server", id] as const,
  serverStats: (id: string) => ["serverStats", id] as const,
  activityAll: ["activity"] as const,
  activity: (limit: number, subject: string | null) => ["activity", limit, subject] as const,
  /** The Activity screen, a page at a time. */
  activityPages: (kind: ActivityKindFilter) => ["activity", "pages", kind] as const,
  settings: ["settings"] as const,
  billingOverview: ["billingOverview"] as const,
  wallets: ["wallets"] as const,
  wallet: (organizationId: string) => ["wallet", organizationId] as const,
  /** A wallet's transactions, a page at a time. */
  walletEntries: (organizationId: string) => ["wallet", organizationId, "entries"] as const,
  documentsAll: ["documents"] as const,
  documents: (input: DocumentListInput) => ["documents", input] as const,
  document: (id: string) => ["document", id] as const,
  billingSettings: ["billingSettings"] as const,
};

export const useAppInfo = () => useQuery({ queryKey: keys.appInfo, queryFn: api.appInfo, staleTime: Infinity });
export const useDashboard = () => useQuery({ queryKey: keys.dashboard, queryFn: api.dashboard });
/** One customer with its servers and recent activity; nothing is asked while `id` is "". */
export const useOrganization = (id: string) => useQuery({ queryKey: keys.organization(id), queryFn: () => api.getOrganization(id), enabled: Boolean(id) });
export const usePlans = () => useQuery({ queryKey: keys.plans, queryFn: api.listPlans });
export const useCatalogue = (provider: string | null) =>
  useQuery({ queryKey: keys.catalogue(provider ?? ""), queryFn: () => api.catalogue(provider!), enabled: Boolean(provider), staleTime: 5 * 60_000 });
/** The Servers list, a page at a time. */
export const useServerPages = (input: ServerListInput) => usePagedList(keys.serverPages(input), (p) => api.listServers({ ...input, ...p }));
/** The Customers list, a page at a time. */
export const useCustomerPages = (input: OrganizationListInput) => usePagedList(keys.customerPages(input), (p) => api.listOrganizationsPage({ ...input, ...p }));
export const useServer = (id: string) => useQuery({ queryKey: keys.server(id), queryFn: () => api.getServer(id) });
export const useServerStats = (id: string, enabled: boolean) =>
  useQuery({ queryKey: keys.serverStats(id), queryFn: () => api.serverStats(id), enabled, refetchInterval: 30_000 });
export const useSettings = () => useQuery({ queryKey: keys.settings, queryFn: api.getSettings });

export const useBillingOverview = () => useQuery({ queryKey: keys.billingOverview, queryFn: api.billingOverview });
export const useWallets = () => useQuery({ queryKey: keys.wallets, queryFn: api.listWallets });
export const useWallet = (organizationId: string) => useQuery({ queryKey: keys.wallet(organizationId), queryFn: () => api.getWallet(organizationId) });
/** A wallet's transactions, newest first, a page at a time. */
export const useWalletEntries = (organizationId: string) =>
  usePagedList(keys.walletEntries(organizationId), (p) => api.listWalletEntries({ ...p, organizationId }));
/** The Documents list, a page at a time. */
export const useDocumentPages = (input: DocumentListInput) => usePagedList(keys.documents(input), (p) => api.listDocuments({ ...input, ...p }));
export const useDocument = (id: string) => useQuery({ queryKey: keys.document(id), queryFn: () => api.getDocument(id) });
export const useBillingSettings = () => useQuery({ queryKey: keys.billingSettings, queryFn: api.getBillingSettings });

/** Billing changed something: every billing view refetches. */
function invalidateBilling(qc: QueryClient) {
  qc.invalidateQueries({ queryKey: keys.billingOverview });
  qc.invalidateQueries({ queryKey: keys.wallets });
  qc.invalidateQueries({ queryKey: keys.documentsAll });
  qc.invalidateQueries({ queryKey: ["wallet"] });
}

export function useRunBillingNow() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: () => api.runBillingNow(), onSuccess: () => invalidateBilling(qc) });
}

function onWalletChanged(qc: QueryClient, d: WalletDetail) {
  qc.setQueryData(keys.wallet(d.wallet.organizationId), d);
  qc.invalidateQueries({ queryKey: keys.walletEntries(d.wallet.organizationId) });
  qc.invalidateQueries({ queryKey: keys.billingOverview });
  qc.invalidateQueries({ queryKey: keys.wallets });
  qc.invalidateQueries({ queryKey: keys.documentsAll });
}

export function useRecordPayment() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (input: PaymentInput) => api.recordPayment(input), onSuccess: (d) => onWalletChanged(qc, d) });
}

export function useRecordAdjustment() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (input: AdjustmentInput) => api.recordAdjustment(input), onSuccess: (d) => onWalletChanged(qc, d) });
}

export function useVoidInvoice() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, reason }: { id: string; reason: string }) => api.voidInvoice(id, reason),
    onSuccess: (_, { id }) => {
      qc.invalidateQueries({ queryKey: keys.document(id) });
      invalidateBilling(qc);
    },
  });
}

export function useSaveDocumentPdf() {
  return useMutation({ mutationFn: (id: string) => api.saveDocumentPdf(id) });
}

export function useUpdateBillingSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: BillingSettingsDto) => api.updateBillingSettings(input),
    onSuccess: (s) => {
      qc.setQueryData(keys.billingSettings, s);
      invalidateBilling(qc);
    },
  });
}

export function useCreateOrganization() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: OrganizationInput) => api.createOrganization(input),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: keys.organizations });
      qc.invalidateQueries({ queryKey: keys.customerPagesAll });
      qc.invalidateQueries({ queryKey: keys.dashboard });
    },
  });
}

export function useUpdateOrganization() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string; input: OrganizationInput }) => api.updateOrganization(id, input),
    onSuccess: (org) => {
      qc.invalidateQueries({ queryKey: keys.organizations });
      qc.invalidateQueries({ queryKey: keys.customerPagesAll });
      qc.invalidateQueries({ queryKey: keys.organization(org.id) });
      qc.invalidateQueries({ queryKey: keys.servers });
    },
  });
}

export function useSavePlan() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string | null; input: PlanInput }) => (id ? api.updatePlan(id, input) : api.createPlan(input)),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: keys.plans });
      qc.invalidateQueries({ queryKey: keys.dashboard });
      qc.invalidateQueries({ queryKey: keys.settings });
    },
  });
}

/** Creates a server with the options the form offers (StackScript, user data, firewall, account). */
export function useCreateServer() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { input: ServerInput; options: CreateOptionsInput }) => api.createServer(v.input, v.options),
    onSuccess: (server) => {
      upsertServer(qc, server);
      // A new row: the lists read their pages again (once, on the user's action).
      qc.invalidateQueries({ queryKey: keys.servers });
      qc.invalidateQueries({ queryKey: keys.dashboard });
      qc.invalidateQueries({ queryKey: keys.customerPagesAll });
    },
  });
}

export function useServerAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: ServerAction | "delete" }) =>
      action === "delete" ? api.deleteServer(id) : api.serverAction(id, action),
    onSuccess: (server) => upsertServer(qc, server),
  });
}

export function useUpdateSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: SettingsInput) => api.updateSettings(input),
    onSuccess: (s) => {
      qc.setQueryData(keys.settings, s);
      qc.invalidateQueries({ queryKey: keys.appInfo });
      qc.invalidateQueries({ queryKey: keys.dashboard });
    },
  });
}

/**
 * Puts a server's new state everywhere it is shown: the rows of the loaded
 * list pages (patched in place, never refetched), its detail page, its
 * customer's page.
 */
export function upsertServer(qc: QueryClient, server: ServerDto) {
  patchRow(qc, keys.servers, server);
  qc.setQueryData(keys.server(server.id), (d: { server: ServerDto; activity: ActivityDto[] } | undefined) => (d ? { ...d, server } : d));
  qc.setQueryData(keys.organization(server.organizationId), (d: { servers: ServerDto[] } | undefined) => {
    if (!d) return d;
    const i = d.servers.findIndex((s) => s.id === server.id);
    const servers = i === -1 ? [server, ...d.servers] : d.servers.map((s) => (s.id === server.id ? server : s));
    return { ...d, servers };
  });
}

/** Whether an entry is of a kind the Activity screen filters on (as the backend decides). */
export function activityOfKind(a: ActivityDto, kind: ActivityKindFilter): boolean {
  if (kind === "all") return true;
  if (kind === "other") return !["server", "organization", "plan"].includes(a.subjectKind);
  return a.subjectKind === kind;
}

/** The Activity screen, newest first, a page at a time. */
export const useActivityPages = (kind: ActivityKindFilter) =>
  usePagedList(keys.activityPages(kind), (p) => api.listActivityPage({ ...p, kind }));

/** Prepends a new activity entry to every cached list it belongs to. */
export function prependActivity(qc: QueryClient, entry: ActivityDto) {
  const add = (list: ActivityDto[] | undefined, limit?: number) => {
    if (!list || list.some((a) => a.seq === entry.seq)) return list;
    const next = [entry, ...list];
    return limit ? next.slice(0, limit) : next;
  };
  // The Activity screen: a new entry goes on top when the top is on screen.
  for (const [key] of qc.getQueriesData<PagedData<ActivityDto>>({ queryKey: ["activity", "pages"] })) {
    if (!activityOfKind(entry, key[2] as ActivityKindFilter)) continue;
    qc.setQueryData<PagedData<ActivityDto>>(key, (d) => {
      if (!d?.pages.length || d.pages.some((p) => p.rows.some((a) => a.seq === entry.seq))) return d;
      const [first, ...rest] = d.pages;
      const atTop = first.prev === null;
      const pages = [{ ...first, rows: atTop ? [entry, ...first.rows] : first.rows, total: first.total + 1 }, ...rest];
      return { ...d, pages };
    });
  }
  for (const [key] of qc.getQueriesData<ActivityDto[]>({ queryKey: keys.activityAll })) {
    if (key[1] === "pages") continue;
    const [, limit, subject] = key as [string, number, string | null];
    if (subject === null || subject === entry.subjectId) qc.setQueryData<ActivityDto[]>(key, (l) => add(l, limit));
  }
  if (entry.subjectId) {
    qc.setQueryData(keys.server(entry.subjectId), (d: { activity: ActivityDto[] } | undefined) => (d ? { ...d, activity: add(d.activity)! } : d));
  }
  if (entry.organizationId) {
    qc.setQueryData(keys.organization(entry.organizationId), (d: { activity: ActivityDto[] } | undefined) => (d ? { ...d, activity: add(d.activity)! } : d));
  }
  qc.setQueryData(keys.dashboard, (d: { recentActivity: ActivityDto[] } | undefined) =>
    d ? { ...d, recentActivity: add(d.recentActivity, d.recentActivity.length || 10)! } : d,
  );
}
