import { Badge } from "@/components/ui/badge";
import type { Tone } from "@/lib/status";
import { cn } from "@/lib/utils";
import { formatMoneyDto } from "@/lib/money";

// Wallet states (cs-billing's dunning): good → grace → suspended → terminated;
// the portal also shows "low" (at or under the low-balance threshold).
const STATE: Record<string, { label: string; tone: Tone }> = {
  good: { label: "Good", tone: "green" },
  low: { label: "Low", tone: "amber" },
  grace: { label: "Grace", tone: "amber" },
  suspended: { label: "Suspended", tone: "red" },
  terminated: { label: "Terminated", tone: "muted" },
};

export function WalletStateBadge({ state }: { state: string }) {
  const s = STATE[state] ?? { label: state, tone: "grey" as Tone };
  return (
    <Badge tone={s.tone} dot data-testid="wallet-state" data-state={state}>
      {s.label}
    </Badge>
  );
}

/** Money that is red when negative (a wallet in debt, a debit). */
export function SignedMoney({ m, className, testId }: { m: { amount: string; currency: string }; className?: string; testId?: string }) {
  const negative = m.amount.trim().startsWith("-");
  return (
    <span className={cn("tabular-nums", negative && "text-destructive", className)} data-testid={testId} data-negative={negative ? "true" : undefined}>
      {formatMoneyDto(m)}
    </span>
  );
}

const KIND: Record<string, string> = { invoice: "Invoice", receipt: "Receipt", credit_note: "Credit note" };
export function documentKindLabel(kind: string): string {
  return KIND[kind] ?? kind.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}
export const DOCUMENT_KINDS = Object.keys(KIND);

/** Ledger entry kinds ("usage", "payment", "adjustment" …) as words. */
export function entryKindLabel(kind: string): string {
  return kind.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}
