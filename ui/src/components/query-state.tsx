import { Link } from "react-router";
import { CircleAlert, SearchX } from "lucide-react";
import { EmptyState } from "@/components/ui/empty-state";
import { Button } from "@/components/ui/button";

// Shared by the desktop and the portal, so it knows neither's client: an error
// is anything with a `message`, and a `code` of "not_found" means a missing
// thing (both clients throw errors of that shape).

/** Where "not found" sends the user back to. */
export type HomeLink = { to: string; label: string };
const DASHBOARD: HomeLink = { to: "/dashboard", label: "Go to the dashboard" };

export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string") {
    return (error as { code: string }).code;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  if (typeof error === "string" && error) return error;
  return "Something went wrong: try again";
}

/** A failed query, shown in place of the content it was loading. */
export function QueryError({ error, retry, what = "item", home = DASHBOARD }: { error: unknown; retry?: () => void; what?: string; home?: HomeLink }) {
  if (errorCode(error) === "not_found") return <NotFound what={what} home={home} />;
  return (
    <EmptyState
      icon={<CircleAlert />}
      title="Could not load this"
      description={errorMessage(error)}
      action={retry && <Button variant="outline" onClick={retry}>Try again</Button>}
    />
  );
}

export function NotFound({ what, home = DASHBOARD }: { what: string; home?: HomeLink }) {
  return (
    <EmptyState
      icon={<SearchX />}
      title={`This ${what} does not exist`}
      description="It may have been removed, or the link is wrong."
      action={
        <Button asChild variant="outline">
          <Link to={home.to}>{home.label}</Link>
        </Button>
      }
    />
  );
}
