/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { fileURLToPath, URL } from "node:url";

// The customer portal: its own entry (portal.html → src/portal/main.tsx) and
// its own output (dist-portal/, which containerstacks-portal embeds), so the
// desktop bundle never carries portal code and the other way round. They share
// src/components and src/lib.
//
// Every page of the portal is /{tenant}/…: the server answers each with
// dist-portal/index.html and the assets from /assets/.

const PORTAL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** In `vite dev`, any path that is not a file gets the portal's page, as the server does. */
function portalFallback(): Plugin {
  return {
    name: "portal-fallback",
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const url = req.url ?? "/";
        if (req.method === "GET" && !url.startsWith("/api/") && !url.startsWith("/@") && !url.startsWith("/src/") && !url.startsWith("/node_modules/") && !/\.[a-z0-9]+(\?|$)/i.test(url)) {
          req.url = "/portal.html";
        }
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), portalFallback()],
  clearScreen: false,
  publicDir: false,
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    port: 1421,
    strictPort: true,
    // `npm run dev:portal` against a running containerstacks-portal.
    proxy: { "/api": { target: process.env.CS_PORTAL_URL ?? "http://127.0.0.1:8080", changeOrigin: false } },
  },
  preview: { headers: { "Content-Security-Policy": PORTAL_CSP } },
  build: {
    outDir: "dist-portal",
    emptyOutDir: true,
    target: "es2021",
    sourcemap: false,
    assetsDir: "assets",
    rollupOptions: { input: fileURLToPath(new URL("./portal.html", import.meta.url)) },
  },
});
