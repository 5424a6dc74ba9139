import * as React from "react";
import { Moon, Sun } from "lucide-react";
import { cn } from "@/lib/utils";
import { applyTheme, currentTheme, saveTheme, storedTheme, type Theme } from "@/lib/theme";

/** The theme in force, following the system until the user picks one, and a toggle that remembers the pick. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = React.useState<Theme>(currentTheme);
  React.useEffect(() => {
    // Follow the system while the user has not chosen.
    const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
    if (!mq) return;
    const onChange = () => {
      if (!storedTheme()) {
        const t: Theme = mq.matches ? "dark" : "light";
        applyTheme(t);
        setTheme(t);
      }
    };
    mq.addEventListener("change", onChange);
    return () => mq.removeEventListener("change", onChange);
  }, []);
  const toggle = () => {
    const next: Theme = theme === "dark" ? "light" : "dark";
    saveTheme(next);
    setTheme(next);
  };
  return [theme, toggle];
}

/** The light/dark switch (`data-testid="theme-toggle"`). */
export function ThemeToggle({ className }: { className?: string }) {
  const [theme, toggle] = useTheme();
  return (
    <button
      type="button"
      onClick={toggle}
      className={cn("inline-flex size-8 items-center justify-center rounded-md text-muted-foreground hover:bg-accent hover:text-foreground", className)}
      aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
      title={theme === "dark" ? "Light theme" : "Dark theme"}
      data-testid="theme-toggle"
      data-theme={theme}
    >
      {theme === "dark" ? <Sun className="size-4" aria-hidden="true" /> : <Moon className="size-4" aria-hidden="true" />}
    </button>
  );
}
