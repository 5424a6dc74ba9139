/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { fileURLToPath, URL } from "node:url";

// Tauri serves the built files from ui/dist and, in development, expects the
// dev server on a fixed port (tauri.conf.json's devUrl).
export default defineConfig({
  plugins: [react(), tailwindcss()],
  clearScreen: false,
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: { port: 1420, strictPort: true },
  // `vite preview` serves the build under the CSP the desktop app uses, so
  // screenshots and manual checks catch anything that needs inline code.
  preview: {
    headers: {
      "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
    },
  },
  build: {
    outDir: "dist",
    target: "es2021",
    sourcemap: false,
    // A desktop app loads its bundle from disk: one ~0.5 MB chunk is fine.
    chunkSizeWarningLimit: 1000,
  },
  test: {
    environment: "jsdom",
    globals: false,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
