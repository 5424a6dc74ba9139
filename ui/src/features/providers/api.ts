// Settings → Providers: the Linode and DigitalOcean accounts and the
// catalogues cached per account: commands, query keys and hooks.
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type * as T from "@/bindings";
import { unwrap } from "@/api/client";
import { keys as appKeys } from "@/api/queries";

export const providerApi = {
  linodeAccounts: () => unwrap(commands.linodeAccounts()),
  addLinodeAccount: (input: T.AddLinodeAccountInput) => unwrap(commands.addLinodeAccount(input)),
  removeLinodeAccount: (id: string) => unwrap(commands.removeLinodeAccount(id)),
  testLinodeAccount: (id: string) => unwrap(commands.testLinodeAccount(id)),
  replaceLinodeToken: (id: string, token: string) => unwrap(commands.replaceLinodeToken(id, token)),
  digitalOceanAccounts: () => unwrap(commands.digitaloceanAccounts()),
  addDigitalOceanAccount: (input: T.AddDigitalOceanAccountInput) => unwrap(commands.addDigitaloceanAccount(input)),
  removeDigitalOceanAccount: (id: string) => unwrap(commands.removeDigitaloceanAccount(id)),
  testDigitalOceanAccount: (id: string) => unwrap(commands.testDigitaloceanAccount(id)),
  replaceDigitalOceanToken: (id: string, token: string) => unwrap(commands.replaceDigitaloceanToken(id, token)),
  refreshCatalogue: (provider: string) => unwrap(commands.refreshCatalogue(provider)),
  refreshAccountCatalogue: (accountId: string) => unwrap(commands.refreshAccountCatalogue(accountId)),
};

export const providerKeys = {
  linodeAccounts: ["linodeAccounts"] as const,
  digitalOceanAccounts: ["digitalOceanAccounts"] as const,
};


export const useLinodeAccounts = () => useQuery({ queryKey: providerKeys.linodeAccounts, queryFn: providerApi.linodeAccounts });
export const useDigitalOceanAccounts = () => useQuery({ queryKey: providerKeys.digitalOceanAccounts, queryFn: providerApi.digitalOceanAccounts });

/** The account changed: everything that depends on which providers exist refetches. */
function invalidateProviders(qc: QueryClient) {
  qc.invalidateQueries({ queryKey: providerKeys.linodeAccounts });
  qc.invalidateQueries({ queryKey: providerKeys.digitalOceanAccounts });
  qc.invalidateQueries({ queryKey: appKeys.appInfo });
  qc.invalidateQueries({ queryKey: ["catalogue"] });
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


export function useAddDigitalOceanAccount() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.addDigitalOceanAccount, onSuccess: () => invalidateProviders(qc) });
}

export function useRemoveDigitalOceanAccount() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.removeDigitalOceanAccount, onSuccess: () => invalidateProviders(qc) });
}

export function useTestDigitalOceanAccount() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: providerApi.testDigitalOceanAccount, onSettled: () => invalidateProviders(qc) });
}

export function useReplaceDigitalOceanToken() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (v: { id: string; token: string }) => providerApi.replaceDigitalOceanToken(v.id, v.token), onSuccess: () => invalidateProviders(qc) });
}
