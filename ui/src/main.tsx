import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "./index.css";
import { applyTheme, currentTheme } from "./lib/theme";
import { App } from "./App";

applyTheme(currentTheme());

async function start() {
  // Dev/preview only: outside Tauri, `?mock` fakes the backend with sample data.
  // The condition is static in a production build, so the mock is not bundled.
  if ((import.meta.env.DEV || import.meta.env.VITE_IPC_MOCK === "1") && !("__TAURI_INTERNALS__" in window && (window as any).__TAURI_INTERNALS__?.invoke) && new URLSearchParams(location.search).has("mock")) {
    const { installMockBackend } = await import("./dev/mock");
    installMockBackend();
  }
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void start();
