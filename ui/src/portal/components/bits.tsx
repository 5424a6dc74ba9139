import * as React from "react";
import { Check, Copy } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SignedMoney } from "@/components/wallet-state";
import { dateTimeFormat, formatDate, formatDateTime } from "@/lib/format";
import { formatMinor, minorToAmount, type MinorMoney } from "@/lib/money";
import type { Tone } from "@/lib/status";
import type { Branding, DocumentStatus, Period, Wallet } from "../api/types";

/** `{minor, currency}` money, red when negative. */
export function MoneyText({ m, className, testId, signed = true }: { m: MinorMoney; className?: string; testId?: string; signed?: boolean }) {
  const a = minorToAmount(m);
  if (!a) return <span className={className} data-testid={testId}>{formatMinor(m)}</span>;
  if (!signed) return <span className={className} data-testid={testId}>{formatMinor(m)}</span>;
  return <SignedMoney m={a} className={className} testId={testId} />;
}

const DOC_STATUS: Record<string, { label: string; tone: Tone }> = {
  paid: { label: "Paid", tone: "green" },
  unpaid: { label: "Unpaid", tone: "amber" },
  voided: { label: "Voided", tone: "muted" },
};

export function DocumentStatusBadge({ status }: { status: DocumentStatus | string }) {
  const s = DOC_STATUS[status] ?? { label: status, tone: "grey" as Tone };
  return (
    <Badge tone={s.tone} data-testid="document-status" data-status={status}>
      {s.label}
    </Badge>
  );
}

/** A document's period: "March 2026" for a whole month, else "1 Mar 2026 – 15 Mar 2026". */
export function formatPeriod(p: Period | null | undefined): string {
  if (!p) return "";
  if (typeof p === "string") {
    const m = /^(\d{4})-(\d{2})$/.exec(p);
    if (m) return dateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" }).format(Date.UTC(+m[1], +m[2] - 1, 1));
    return p;
  }
  const start = new Date(`${p.start}T00:00:00Z`);
  const end = new Date(`${p.end}T00:00:00Z`);
  if (!Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime()) && start.getUTCDate() === 1) {
    const lastOfMonth = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0));
    const dayAfter = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    // A month, whether the end is inclusive (the 31st) or exclusive (the 1st of the next).
    if (end.getTime() === lastOfMonth.getTime() || end.getTime() === dayAfter.getTime()) {
      return dateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" }).format(start);
    }
  }
  return `${formatDay(p.start)} – ${formatDay(p.end)}`;
}

/** A calendar date ("2026-03-01") shown as that day wherever the browser is. */
export function formatDay(date: string): string {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : new Date(date);
  if (Number.isNaN(d.getTime())) return date;
  return dateTimeFormat(undefined, { dateStyle: "medium", timeZone: /^\d{4}-\d{2}-\d{2}$/.test(date) ? "UTC" : undefined }).format(d);
}

/** What a wallet's state means for the customer, in plain words. */
export function walletStateText(w: Wallet, brand: Branding): { tone: "success" | "info" | "warning" | "error"; title: string; body: string } {
  const threshold = formatMinor(w.lowBalanceThreshold);
  const contact = brand.email ? `${brand.name} (${brand.email})` : brand.name;
  switch (w.state) {
    case "good":
      return { tone: "success", title: "All good", body: `Your balance is above ${threshold}, the level at which we warn you. Nothing to do.` };
    case "low":
      return {
        tone: "warning",
        title: "Your balance is low",
        body: `Your balance is at or under ${threshold}. Top up soon so your servers keep running: contact ${contact}.`,
      };
    case "grace":
      return {
        tone: "warning",
        title: "Your wallet has run out of money",
        body: `Your servers still run for a short grace period${w.stateSince ? ` that began ${formatDateTime(w.stateSince)}` : ""}. Top up now to keep them running: contact ${contact}.`,
      };
    case "suspended":
      return {
        tone: "error",
        title: "Your servers are suspended",
        body:
          `Your servers are powered off because the wallet stayed unpaid. They start again once you top up: contact ${contact}.` +
          (w.terminatesAt ? ` If it stays unpaid, they will be deleted on ${formatDateTime(w.terminatesAt)}.` : ""),
      };
    case "terminated":
      return {
        tone: "error",
        title: "Your servers were deleted",
        body: `The wallet stayed unpaid for too long, so your servers were deleted. Contact ${contact} to start again.`,
      };
    default:
      return { tone: "info", title: String(w.state), body: "" };
  }
}

export function WalletStateNotice({ wallet, brand, className }: { wallet: Wallet; brand: Branding; className?: string }) {
  const t = walletStateText(wallet, brand);
  return (
    <Alert tone={t.tone} title={t.title} className={className} data-testid="wallet-notice" data-state={wallet.state}>
      {t.body}
    </Alert>
  );
}

/** Copies `text`, and says so for a moment. */
export function CopyButton({ text, label = "Copy", className, size = "sm" }: { text: string; label?: string; className?: string; size?: "sm" | "icon" }) {
  const [copied, setCopied] = React.useState(false);
  const [failed, setFailed] = React.useState(false);
  React.useEffect(() => {
    if (!copied) return;
    const t = window.setTimeout(() => setCopied(false), 2000);
    return () => window.clearTimeout(t);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setFailed(false);
      setCopied(true);
    } catch {
      setFailed(true);
    }
  };
  if (size === "icon") {
    return (
      <button
        type="button"
        onClick={copy}
        className={"inline-flex size-7 items-center justify-center rounded text-muted-foreground hover:bg-accent hover:text-foreground " + (className ?? "")}
        aria-label={copied ? "Copied" : label}
        title={failed ? "The browser did not allow copying: select the text and copy it" : copied ? "Copied" : label}
      >
        {copied ? <Check className="size-3.5" aria-hidden="true" /> : <Copy className="size-3.5" aria-hidden="true" />}
      </button>
    );
  }
  return (
    <span className="inline-flex items-center gap-2">
      <Button type="button" variant="outline" size="sm" onClick={copy} className={className}>
        {copied ? <Check aria-hidden="true" /> : <Copy aria-hidden="true" />}
        {copied ? "Copied" : label}
      </Button>
      {failed && <span className="text-xs text-destructive">The browser did not allow copying: select the text and copy it</span>}
    </span>
  );
}

/** A date and, for those who hover, its time. */
export function When({ iso, dateOnly }: { iso: string; dateOnly?: boolean }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)} className="whitespace-nowrap">
      {dateOnly ? formatDate(iso) : formatDateTime(iso)}
    </time>
  );
}
