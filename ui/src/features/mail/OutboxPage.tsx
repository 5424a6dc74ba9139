import * as React from "react";
import { Link } from "react-router";
import type { ColumnDef } from "@tanstack/react-table";
import { Inbox, MailWarning, Paperclip, RotateCcw } from "lucide-react";
import { ApiError } from "@/api/client";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { TableSkeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";
import { type OutboxFilter, type OutboxItemDto, useOutbox, useOutboxMessage, useRetryMail } from "./api";
import { templateLabel } from "./labels";

const FILTERS: { id: OutboxFilter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "pending", label: "Queued" },
  { id: "sent", label: "Sent" },
  { id: "failed", label: "Failed" },
];

export function stateBadge(item: Pick<OutboxItemDto, "state" | "attempts">) {
  switch (item.state) {
    case "sent":
      return <Badge tone="green" dot>Sent</Badge>;
    case "failed":
      return <Badge tone="red" dot>Failed</Badge>;
    case "sending":
      return <Badge tone="blue" dot pulse>Sending</Badge>;
    default:
      return item.attempts > 0 ? <Badge tone="amber" dot>Retrying</Badge> : <Badge tone="grey" dot>Queued</Badge>;
  }
}

/** The relay's last word on a mail: its acceptance once sent, otherwise the last error. */
export function relayAnswer(item: OutboxItemDto): string {
  if (item.state === "sent") return item.relayResponse ?? "";
  return item.lastError ?? (item.attempts === 0 ? "Not tried yet" : "");
}

export function OutboxPage() {
  const [filter, setFilter] = React.useState<OutboxFilter>("all");
  const [open, setOpen] = React.useState<string | null>(null);
  const q = useOutbox(filter);
  const items = React.useMemo(() => q.data?.pages.flatMap((p) => p.items) ?? [], [q.data]);
  const configured = q.data?.pages[0]?.configured ?? true;
  const retry = useRetryMail();
  const toast = useToast();

  const doRetry = (item: OutboxItemDto) =>
    retry.mutate(item.id, {
      onSuccess: () => toast.success("Queued again", `The mail to ${item.to.join(", ")} will be sent in a moment`),
      onError: (e) => toast.error("Could not retry", ApiError.from(e).message),
    });

  const columns = React.useMemo<ColumnDef<OutboxItemDto>[]>(
    () => [
      { id: "state", header: "Status", accessorFn: (r) => r.state, cell: ({ row }) => <span data-testid="mail-state" data-state={row.original.state}>{stateBadge(row.original)}</span> },
      { id: "to", header: "Recipient", accessorFn: (r) => r.to.join(", "), cell: ({ getValue }) => <span className="break-all">{getValue<string>()}</span> },
      {
        id: "subject",
        header: "Subject",
        accessorFn: (r) => r.subject,
        cell: ({ row }) => (
          <span className="inline-flex items-center gap-1.5">
            {row.original.subject}
            {row.original.attachmentCount > 0 && <Paperclip className="size-3.5 shrink-0 text-muted-foreground" aria-label={`${row.original.attachmentCount} attachment(s)`} />}
          </span>
        ),
      },
      { id: "template", header: "Template", accessorFn: (r) => templateLabel(r.template) },
      { id: "attempts", header: "Attempts", accessorFn: (r) => r.attempts, meta: { align: "right" } },
      {
        id: "next",
        header: "Next attempt",
        accessorFn: (r) => (r.state === "queued" ? r.nextAttemptAt : r.state === "sent" ? r.sentAt ?? "" : ""),
        cell: ({ row }) => {
          const r = row.original;
          if (r.state === "sent") return <span className="text-muted-foreground">Sent {r.sentAt ? formatDateTime(r.sentAt) : ""}</span>;
          if (r.state === "queued") return formatDateTime(r.nextAttemptAt);
          return <span className="text-muted-foreground">—</span>;
        },
      },
      {
        id: "answer",
        header: "Relay's answer",
        accessorFn: relayAnswer,
        cell: ({ row }) => (
          <span className={cn("line-clamp-2 max-w-80 font-mono text-xs", row.original.state === "failed" ? "text-destructive" : "text-muted-foreground")} title={relayAnswer(row.original)} data-testid="relay-answer">
            {relayAnswer(row.original)}
          </span>
        ),
      },
      {
        id: "actions",
        header: "",
        enableSorting: false,
        cell: ({ row }) =>
          row.original.state === "failed" ? (
            <Button size="sm" variant="outline" onClick={(e) => { e.stopPropagation(); doRetry(row.original); }} disabled={retry.isPending}>
              <RotateCcw className="size-3.5" /> Retry
            </Button>
          ) : null,
      },
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [retry.isPending],
  );

  return (
    <>
      <PageHeader
        title="Outbox"
        description="Every email the app sends: queued, sent, or failed with the relay's answer. Refreshes by itself."
        actions={<Button asChild variant="outline"><Link to="/email-templates">Email templates</Link></Button>}
      />
      {q.data && !configured && (
        <div role="note" data-testid="email-not-configured" className="mb-4 flex flex-wrap items-center gap-3 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-500/10 dark:text-amber-200">
          <MailWarning className="size-4 shrink-0" />
          <span className="flex-1">Email is not set up — mail waits in the outbox.</span>
          <Link to="/settings" className="font-medium underline underline-offset-4">Set up email in Settings</Link>
        </div>
      )}
      <div className="mb-4 inline-flex rounded-lg bg-muted p-1" role="group" aria-label="Show">
        {FILTERS.map((f) => (
          <button
            key={f.id}
            type="button"
            aria-pressed={filter === f.id}
            data-filter={f.id}
            onClick={() => setFilter(f.id)}
            className={cn("h-7 rounded-md px-3 text-sm font-medium text-muted-foreground transition-colors hover:text-foreground", filter === f.id && "bg-card text-foreground shadow-xs")}
          >
            {f.label}
          </button>
        ))}
      </div>
      {q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : !q.data ? (
        <TableSkeleton rows={5} columns={6} />
      ) : items.length === 0 ? (
        <EmptyState
          icon={<Inbox />}
          title={filter === "all" ? "No mail yet" : filter === "failed" ? "No failed mail" : filter === "sent" ? "Nothing sent yet" : "Nothing waiting"}
          description={filter === "all" ? "Welcome mails, invoices, receipts and billing notices appear here as they are queued." : "Mail in this state appears here."}
        />
      ) : (
        <>
          <DataTable testId="outbox-table" data={items} columns={columns} getRowId={(r) => r.id} searchPlaceholder="Search recipient, subject…" onRowClick={(r) => setOpen(r.id)} />
          {q.hasNextPage && (
            <div className="mt-3 flex justify-center">
              <Button variant="outline" data-testid="outbox-more" disabled={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                {q.isFetchingNextPage ? "Loading…" : "Show older mail"}
              </Button>
            </div>
          )}
        </>
      )}
      <MessageDialog id={open} onClose={() => setOpen(null)} />
    </>
  );
}

function MessageDialog({ id, onClose }: { id: string | null; onClose: () => void }) {
  const q = useOutboxMessage(id);
  const [view, setView] = React.useState<"html" | "text">("html");
  return (
    <Dialog open={Boolean(id)} onOpenChange={(o) => !o && onClose()}>
      <DialogContent wide className="max-w-4xl">
        {q.isError ? (
          <QueryError error={q.error} what="mail" />
        ) : !q.data ? (
          <div className="h-64 animate-pulse rounded bg-muted" />
        ) : (
          <div className="grid gap-3" data-testid="mail-message">
            <DialogHeader>
              <DialogTitle>{q.data.item.subject}</DialogTitle>
              <DialogDescription>
                <span className="block">From {q.data.from || "(the sender set up in Settings → Email)"} to {q.data.item.to.join(", ")}{q.data.replyTo ? `, replies to ${q.data.replyTo}` : ""}</span>
                <span className="block font-mono text-xs">Message-ID &lt;{q.data.messageId}&gt;</span>
                {q.data.attachments.length > 0 && <span className="mt-1 flex items-center gap-1"><Paperclip className="size-3.5" /> {q.data.attachments.join(", ")}</span>}
                {q.data.item.attachmentsPrunedAt && <span className="mt-1 block" data-testid="attachments-pruned">The attachments were removed on {formatDateTime(q.data.item.attachmentsPrunedAt)}, 30 days after delivery; the documents stay in the app.</span>}
                {q.data.item.possiblyDuplicated && <span className="mt-1 block text-amber-700 dark:text-amber-300">An attempt was interrupted mid-send: the recipient may have received this twice (same Message-ID).</span>}
              </DialogDescription>
            </DialogHeader>
            <div className="inline-flex w-fit rounded-lg bg-muted p-1" role="group" aria-label="Body">
              {(["html", "text"] as const).map((b) => (
                <button key={b} type="button" aria-pressed={view === b} onClick={() => setView(b)} className={cn("h-7 rounded-md px-3 text-sm font-medium text-muted-foreground", view === b && "bg-card text-foreground shadow-xs")}>
                  {b === "html" ? "HTML" : "Plain text"}
                </button>
              ))}
            </div>
            {view === "html" ? (
              // No scripts, no same-origin, no forms: the mail is only looked at.
              <iframe title="The mail as HTML" sandbox="" srcDoc={q.data.html} className="h-[28rem] w-full rounded-md border bg-white" data-testid="mail-html" />
            ) : (
              <pre className="max-h-[28rem] overflow-auto rounded-md border bg-muted/40 p-3 text-sm whitespace-pre-wrap" data-testid="mail-text">{q.data.text}</pre>
            )}
          </div>
        )}
      </DialogContent>
    </Dialog>
  );
}
