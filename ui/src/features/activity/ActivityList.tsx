import { Link } from "react-router";
import type { ActivityDto } from "@/api/client";
import { formatDateTime, formatRelative } from "@/lib/format";
import { parseActor } from "@/lib/actor";

export function subjectHref(a: ActivityDto): string | null {
  if (!a.subjectId) return null;
  switch (a.subjectKind) {
    case "server":
      return `/servers/${a.subjectId}`;
    case "organization":
      return `/customers/${a.subjectId}`;
    case "plan":
      return `/plans`;
    default:
      return null;
  }
}

/** A compact feed of activity entries (dashboard, detail pages). */
export function ActivityList({ items, empty = "Nothing has happened yet" }: { items: ActivityDto[]; empty?: string }) {
  if (items.length === 0) return <p className="py-6 text-center text-sm text-muted-foreground">{empty}</p>;
  return (
    <ol className="divide-y">
      {items.map((a) => {
        const href = subjectHref(a);
        return (
          <li key={a.seq} className="flex items-start gap-3 py-2.5 text-sm">
            <span className="mt-1.5 size-1.5 shrink-0 rounded-full bg-primary/60" aria-hidden="true" />
            <div className="min-w-0 flex-1">
              <p className="break-words">{href ? <Link to={href} className="hover:underline">{a.summary}</Link> : a.summary}</p>
              <p className="mt-0.5 text-xs text-muted-foreground">
                {parseActor(a.actor).name} · <time dateTime={a.at} title={formatDateTime(a.at)}>{formatRelative(a.at)}</time>
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
