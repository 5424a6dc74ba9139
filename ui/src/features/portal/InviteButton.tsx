import { Send } from "lucide-react";
import { ApiError } from "@/api/client";
import { Button } from "@/components/ui/button";
import { useToast } from "@/components/ui/toast";
import { useInviteToPortal, usePortalStatus } from "./api";

/** "Invite to portal" on a customer: the portal mails the contact a link to set a password. */
export function InviteToPortalButton({ organizationId, contactEmail }: { organizationId: string; contactEmail: string }) {
  const status = usePortalStatus();
  const invite = useInviteToPortal();
  const toast = useToast();
  const paired = status.data?.paired ?? false;
  return (
    <Button
      variant="outline"
      data-testid="invite-to-portal"
      disabled={!paired || invite.isPending}
      title={paired ? `Mail ${contactEmail} an invitation to the customer portal` : "Pair with a portal first, in Settings → Customer portal"}
      onClick={() =>
        invite.mutate(organizationId, {
          onSuccess: (r) => toast.success("Invitation on its way", `The portal mails ${r.email} a link to ${r.portalUrl}`),
          onError: (e) => toast.error("Could not invite", ApiError.from(e).message),
        })
      }
    >
      <Send /> {invite.isPending ? "Inviting…" : "Invite to portal"}
    </Button>
  );
}
