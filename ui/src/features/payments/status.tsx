import { Badge } from "@/components/ui/badge";

export const PAYMENT_STATUSES = ["created", "approved", "completed", "partially_refunded", "refunded", "failed"] as const;

const LABELS: Record<string, string> = {
  created: "Waiting for payer",
  approved: "Approved",
  completed: "Completed",
  partially_refunded: "Partly refunded",
  refunded: "Refunded",
  failed: "Failed",
};

export function paymentStatusLabel(status: string): string {
  return LABELS[status] ?? status;
}

const TONES: Record<string, "green" | "amber" | "red" | "grey" | "blue"> = {
  created: "blue",
  approved: "amber",
  completed: "green",
  partially_refunded: "grey",
  refunded: "grey",
  failed: "red",
};

export function PaymentStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONES[status] ?? "grey"} dot pulse={status === "created" || status === "approved"} data-testid="payment-status" data-status={status}>
      {paymentStatusLabel(status)}
    </Badge>
  );
}
