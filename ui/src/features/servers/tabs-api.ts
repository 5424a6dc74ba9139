// The server tabs (backups, network, firewalls, lifecycle) of the server
// page: commands, query keys and hooks.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type * as T from "@/bindings";
import { unwrap } from "@/api/client";
import { upsertServer } from "@/api/queries";

export const tabsApi = {
  createServerFirewall: (id: string, input: T.NewFirewallInput) => unwrap(commands.createServerFirewall(id, input)),
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

export const tabKeys = {
  backups: (id: string) => ["serverBackups", id] as const,
  network: (id: string) => ["serverNetwork", id] as const,
  firewalls: (id: string) => ["serverFirewalls", id] as const,
};

// Provider-side state can change outside the app (Linode's console): the tabs
// ask again each time they are shown, and while a backup is in progress.
export const useServerBackups = (id: string, enabled = true) =>
  useQuery({
    queryKey: tabKeys.backups(id),
    queryFn: () => tabsApi.serverBackups(id),
    enabled,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data?.backups.some((b) => b.status === "pending" || b.status === "running") ? 5_000 : false),
  });
export const useServerNetwork = (id: string, enabled = true) => useQuery({ queryKey: tabKeys.network(id), queryFn: () => tabsApi.serverNetwork(id), enabled, staleTime: 0 });
export const useServerFirewalls = (id: string, enabled = true) => useQuery({ queryKey: tabKeys.firewalls(id), queryFn: () => tabsApi.serverFirewalls(id), enabled, staleTime: 0 });

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

