import { commands } from "@/bindings";
import { preloadPages } from "@/pages";

/**
 * Tells the backend once the window has painted its first frame, so that
 * its start-up work (the background loops: Sandbox adoption, billing
 * catch-up, the first reconciliation) begins after it rather than competing
 * with it for the CPU. Without a word the backend starts them after 10 s.
 */
export function reportFirstPaint(): void {
  // The second frame's callback runs once the first frame (the first render)
  // has been painted.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      void commands.firstPaint().catch(() => {});
      // Then the other screens' code, while the user looks at this one.
      void preloadPages();
    }),
  );
}
