import { Link } from "react-router";
import { CircleAlert, SearchX } from "lucide-react";
import { ApiError } from "@/api/client";
import { EmptyState } from "@/components/ui/empty-state";
import { Button } from "@/components/ui/button";

/** A failed query, shown in place of the content it was loading. */
export function QueryError({ error, retry, what = "item" }: { error: unknown; retry?: () => void; what?: string }) {
  const e = ApiError.from(error);
  if (e.code === "not_found") return <NotFound what={what} />;
  return (
    <EmptyState
      icon={<CircleAlert />}
      title="Could not load this"
      description={e.message}
      action={retry && <Button variant="outline" onClick={retry}>Try again</Button>}
    />
  );
}

export function NotFound({ what }: { what: string }) {
  return (
    <EmptyState
      icon={<SearchX />}
      title={`This ${what} does not exist`}
      description="It may have been removed, or the link is wrong."
      action={
        <Button asChild variant="outline">
          <Link to="/dashboard">Go to the dashboard</Link>
        </Button>
      }
    />
  );
}
