import { commands } from "@/bindings";

/**
 * Tells the backend once the window has painted its first frame, so that
 * its start-up work (the background loops: Sandbox adoption, billing
 * catch-up, the first reconciliation) begins after it rather than competing
 * with it for the CPU. Without a word the backend starts them after 10 s.
 */
export function reportFirstPaint(): void {
  let told = false;
  const tell = () => {
    if (told) return;
    told = true;
    void commands.firstPaint().catch(() => {});
  };
  if (typeof PerformanceObserver !== "undefined" && PerformanceObserver.supportedEntryTypes?.includes("paint")) {
    const observer = new PerformanceObserver((list) => {
      if (list.getEntriesByName("first-contentful-paint").length > 0) {
        observer.disconnect();
        tell();
      }
    });
    observer.observe({ type: "paint", buffered: true });
  }
  // Where paint entries are missing: two frames after the first render.
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(tell, 50)));
}
