// Runs before the first paint (a classic script in index.html's head): the
// dark theme's class goes on before the static shell is drawn, so a dark
// window never flashes light. The same rule as src/lib/theme.ts, which
// takes over once the app runs.
try {
  var theme = localStorage.getItem("cs-theme");
  if (theme === "dark" || (theme !== "light" && window.matchMedia("(prefers-color-scheme: dark)").matches)) {
    document.documentElement.classList.add("dark");
  }
} catch (e) {
  /* no storage: the app decides once it runs */
}
