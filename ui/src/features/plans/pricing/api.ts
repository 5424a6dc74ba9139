// Prices and add-ons: the commands and their TanStack Query hooks. Kept in
// this feature folder (the shared client.ts/queries.ts stay untouched); the
// error handling is the shared `unwrap`.
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { unwrap } from "@/api/client";
import { commands } from "@/bindings";
import { keys } from "@/api/queries";
import type * as T from "@/bindings";

export type {
  AppliedPriceChangesDto,
  BillingProgressDto,
  ItemPricingDto,
  PendingPriceChangeDto,
  PendingPriceChangesDto,
  PlanPricingDto,
  PriceRuleDto,
  PriceVersionDto,
  PriceVersionInput,
  RegionPricingDto,
  ServerAddonDto,
  UnitPriceDto,
} from "@/bindings";

export const pricingKeys = {
  planPricing: (planId: string) => ["planPricing", planId] as const,
  pendingAll: ["pendingPriceChanges"] as const,
  pending: (planId: string | null) => ["pendingPriceChanges", planId] as const,
  addons: (serverId: string) => ["serverAddons", serverId] as const,
};

export const pricingApi = {
  planPricing: (planId: string) => unwrap(commands.planPricing(planId)),
  addPriceVersion: (planId: string, input: T.PriceVersionInput) => unwrap(commands.addPriceVersion(planId, input)),
  pendingPriceChanges: (planId: string | null) => unwrap(commands.pendingPriceChanges(planId)),
  applyPriceChanges: (planId: string | null) => unwrap(commands.applyPriceChanges(planId)),
  serverAddons: (serverId: string) => unwrap(commands.serverAddons(serverId)),
  setServerAddon: (serverId: string, item: string, enabled: boolean) => unwrap(commands.setServerAddon(serverId, item, enabled)),
};

export const usePlanPricing = (planId: string) => useQuery({ queryKey: pricingKeys.planPricing(planId), queryFn: () => pricingApi.planPricing(planId) });
export const usePendingPriceChanges = (planId: string | null) =>
  useQuery({ queryKey: pricingKeys.pending(planId), queryFn: () => pricingApi.pendingPriceChanges(planId) });
export const useServerAddons = (serverId: string) => useQuery({ queryKey: pricingKeys.addons(serverId), queryFn: () => pricingApi.serverAddons(serverId) });

function invalidatePrices(qc: QueryClient, planId: string) {
  qc.invalidateQueries({ queryKey: pricingKeys.planPricing(planId) });
  qc.invalidateQueries({ queryKey: pricingKeys.pendingAll });
  // A server's add-ons show what enabling them costs now.
  qc.invalidateQueries({ queryKey: ["serverAddons"] });
  qc.invalidateQueries({ queryKey: keys.activityAll });
}

export function useAddPriceVersion(planId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: T.PriceVersionInput) => pricingApi.addPriceVersion(planId, input),
    onSuccess: (p) => {
      qc.setQueryData(pricingKeys.planPricing(planId), p);
      invalidatePrices(qc, planId);
    },
  });
}

export function useApplyPriceChanges(planId: string | null) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => pricingApi.applyPriceChanges(planId),
    onSuccess: () => {
      if (planId) invalidatePrices(qc, planId);
      qc.invalidateQueries({ queryKey: ["planPricing"] });
      qc.invalidateQueries({ queryKey: pricingKeys.pendingAll });
      qc.invalidateQueries({ queryKey: ["serverAddons"] });
      qc.invalidateQueries({ queryKey: keys.activityAll });
    },
  });
}

export function useSetServerAddon(serverId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ item, enabled }: { item: string; enabled: boolean }) => pricingApi.setServerAddon(serverId, item, enabled),
    onSuccess: (addons) => {
      qc.setQueryData(pricingKeys.addons(serverId), addons);
      qc.invalidateQueries({ queryKey: keys.server(serverId) });
      qc.invalidateQueries({ queryKey: keys.activityAll });
    },
  });
}
