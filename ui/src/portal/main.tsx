// The customer portal's entry (portal.html → dist-portal/), built apart from
// the desktop app: `npm run build:portal`.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@/index.css";
import { applyTheme, currentTheme } from "@/lib/theme";
import { PortalApp } from "./App";

applyTheme(currentTheme());

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <PortalApp />
  </StrictMode>,
);
