// Linode account, provider catalogue and the server tabs (backups, network,
// firewalls, lifecycle): commands, query keys and hooks.
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type * as T from "@/bindings";
import { unwrap } from "@/api/client";
import { keys as appKeys, upsertServer } from "@/api/queries";

export const providerApi = {
  linodeAccounts: () => unwrap(commands.linodeAccounts()),
  addLinodeAccount: (input: T.AddLinodeAccountInput) => unwrap(commands.addLinodeAccount(input)),
  removeLinodeAccount: (id: string) => unwrap(commands.removeLinodeAccount(id)),
  testLinodeAccount: (id: string) => unwrap(commands.testLinodeAccount(id)),
  replaceLinodeToken: (id: string, token: string) => unwrap(commands.replaceLinodeToken(id, token)),
  refreshCatalogue: (provider: string) => unwrap(commands.refreshCatalogue(provider)),
  refreshAccountCatalogue: (accountId: string) => unwrap(commands.refreshAccountCatalogue(accountId)),
  createServerFirewall: (id: string, input: T.NewFirewallInput) => unwrap(commands.createServerFirewall(id, input)),
  createServerWithOptions: (input: T.ServerInput, options: T.CreateOptionsInput) => unwrap(commands.createServerWithOptions(input, options)),
  serverBackups: (id: string) => unwrap(commands.serverBackups(id)),
  enableBackups: (id: string) => unwrap(commands.enableServerBackups(id)),
  cancelBackups: (id: string) => unwrap(commands.cancelServerBackups(id)),
  takeSnapshot: (id: string, label: string) => unwrap(commands.takeServerSnapshot(id, label)),
  restoreBackup: (id: string, backupId: string) => unwrap(commands.restoreServerBackup(id, backupId)),
  serverNetwork: (id: string) => unwrap(commands.serverNetwork(id)),
  addIpv4: (id: string) => unwrap(commands.addServerIpv4(id)),
  setRdns: (id: string, address: string, rdns: string | null) => unwrap(commands.setServerRdns(id, address, rdns)),
  serverFirewalls: (id: string) => unwrap(commands.serverFirewalls(id)),
  attachFirewall: (id: string, firewallId: string) => unwrap(commands.attachServerFirewall(id, firewallId)),
  detachFirewall: (id: string, firewallId: string) => unwrap(commands.detachServerFirewall(id, firewallId)),
  setFirewallRules: (id: string, firewallId: string, rules: T.FirewallRulesDto) => unwrap(commands.setFirewallRules(id, firewallId, rules)),
  resizeServer: (id: string, planId: string) => unwrap(commands.resizeServer(id, planId)),
  rebuildServer: (id: string, input: T.RebuildInput) => unwrap(commands.rebuildServer(id, input)),
  rescueServer: (id: string) => unwrap(commands.rescueServer(id)),
  resetRootPassword: (id: string, password: string) => unwrap(commands.resetServerRootPassword(id, password)),
  firewalls: (provider: string) => unwrap(commands.providerFirewalls(provider)),
};

export const providerKeys = {
  linodeAccounts: ["linodeAccounts"] as const,
  backups: (id: string) => ["serverBackups", id] as const,
  network: (id: string) => ["serverNetwork", id] as const,
  firewalls: (id: string) => ["serverFirewalls", id] as const,
};

export const useLinodeAccounts = () => useQuery({ queryKey: providerKeys.linodeAccounts, queryFn: providerApi.linodeAccounts });

/** The account changed: everything that depends on which providers exist refetches. */
function invalidateProviders(qc: QueryClient) {
  qc.invalidateQueries({ queryKey: providerKeys.linodeAccounts });
  qc.invalidateQueries({ queryKey: appKeys.appInfo });
  qc.invalidateQueries({ queryKey: ["catalog"] });
  qc.invalidateQueries({ queryKey: appKeys.plans });
}

export function useAddLinodeAccount() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.addLinodeAccount, onSuccess: () => invalidateProviders(qc) });
}

export function useRemoveLinodeAccount() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.removeLinodeAccount, onSuccess: () => invalidateProviders(qc) });
}

export function useTestLinodeAccount() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.testLinodeAccount, onSettled: () => invalidateProviders(qc) });
}

export function useReplaceLinodeToken() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (v: { id: string; token: string }) => providerApi.replaceLinodeToken(v.id, v.token), onSuccess: () => invalidateProviders(qc) });
}

export function useRefreshAccountCatalogue() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.refreshAccountCatalogue, onSettled: () => invalidateProviders(qc) });
}

// Provider-side state can change outside the app (Linode's console): the tabs
// ask again each time they are shown, and while a backup is in progress.
export const useServerBackups = (id: string, enabled = true) =>
  useQuery({
    queryKey: providerKeys.backups(id),
    queryFn: () => providerApi.serverBackups(id),
    enabled,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data?.backups.some((b) => b.status === "pending" || b.status === "running") ? 5_000 : false),
  });
export const useServerNetwork = (id: string, enabled = true) => useQuery({ queryKey: providerKeys.network(id), queryFn: () => providerApi.serverNetwork(id), enabled, staleTime: 0 });
export const useServerFirewalls = (id: string, enabled = true) => useQuery({ queryKey: providerKeys.firewalls(id), queryFn: () => providerApi.serverFirewalls(id), enabled, staleTime: 0 });

/** A mutation on one server's tab that refreshes that tab (and the server, when it returns one). */
export function useServerMutation<V, R>(key: readonly unknown[], fn: (v: V) => Promise<R>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (r) => {
      if (r && typeof r === "object" && "status" in r && "planId" in r) upsertServer(qc, r as unknown as T.ServerDto);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

/** Creates a server with the optional create settings (StackScript, user data, firewall). */
export function useCreateServerWithOptions() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { input: T.ServerInput; options: T.CreateOptionsInput }) => providerApi.createServerWithOptions(v.input, v.options),
    onSuccess: (server) => {
      upsertServer(qc, server);
      qc.invalidateQueries({ queryKey: appKeys.dashboard });
      qc.invalidateQueries({ queryKey: appKeys.organizations });
    },
  });
}
