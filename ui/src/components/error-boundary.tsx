import * as React from "react";
import { CircleAlert } from "lucide-react";
import { EmptyState } from "@/components/ui/empty-state";
import { Button } from "@/components/ui/button";

/** Keeps a crash in one screen from blanking the whole window; the sidebar stays usable. */
const DESKTOP_HINT = "Try again, or go to another screen. If it keeps happening, the log folder in Settings → About has the details.";

export class RouteErrorBoundary extends React.Component<{ children: React.ReactNode; hint?: string }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: React.ErrorInfo) {
    console.error("Screen crashed", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <EmptyState
        icon={<CircleAlert />}
        title="This screen ran into a problem"
        description={this.props.hint ?? DESKTOP_HINT}
        action={<Button variant="outline" onClick={() => this.setState({ error: null })}>Try again</Button>}
      />
    );
  }
}
