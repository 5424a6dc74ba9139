// The hosted portal: Settings → Portal and "Invite to portal", over the generated commands.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type { PortalPairInput, PortalStatusDto } from "@/bindings";
import { unwrap } from "@/api/client";

export const portalKeys = { status: ["portal-status"] as const };

export const portalApi = {
  status: () => unwrap(commands.getPortalStatus()),
  pair: (input: PortalPairInput) => unwrap(commands.pairPortal(input)),
  unpair: () => unwrap(commands.unpairPortal()),
  syncNow: () => unwrap(commands.syncPortalNow()),
  invite: (organizationId: string) => unwrap(commands.inviteToPortal(organizationId)),
  setIntentHold: (minutes: number) => unwrap(commands.setPortalIntentHold(minutes)),
};

/** The status refreshes every few seconds while records wait or the portal is paired. */
export const usePortalStatus = () =>
  useQuery({
    queryKey: portalKeys.status,
    queryFn: portalApi.status,
    refetchInterval: (q) => (q.state.data?.paired ? 3000 : false),
  });

function useStatusMutation<A>(fn: (a: A) => Promise<PortalStatusDto>) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: (s) => qc.setQueryData(portalKeys.status, s) });
}

export const usePairPortal = () => useStatusMutation(portalApi.pair);
export const useUnpairPortal = () => useStatusMutation(() => portalApi.unpair());
export const useSyncPortalNow = () => useStatusMutation(() => portalApi.syncNow());
/** How long customers' requests wait at the portal while this desktop is offline (0 refuses them). */
export const useSetPortalIntentHold = () => useStatusMutation(portalApi.setIntentHold);

export function useInviteToPortal() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: portalApi.invite, onSuccess: () => qc.invalidateQueries({ queryKey: portalKeys.status }) });
}
