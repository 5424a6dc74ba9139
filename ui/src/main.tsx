import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "./index.css";
import { applyTheme, currentTheme } from "./lib/theme";
import { App } from "./App";
import { reportFirstPaint } from "./lib/first-paint";

applyTheme(currentTheme());

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
reportFirstPaint();
