import * as React from "react";
import { cn } from "@/lib/utils";
import type { Tone } from "@/lib/status";

const tones: Record<Tone | "blue", string> = {
  green: "bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-400/25",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-400/25",
  red: "bg-red-50 text-red-700 ring-red-600/20 dark:bg-red-500/10 dark:text-red-300 dark:ring-red-400/25",
  grey: "bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-400/10 dark:text-slate-300 dark:ring-slate-400/25",
  muted: "bg-transparent text-muted-foreground ring-border line-through decoration-muted-foreground/40",
  blue: "bg-blue-50 text-blue-700 ring-blue-600/20 dark:bg-blue-500/10 dark:text-blue-300 dark:ring-blue-400/25",
};

const dots: Record<Tone | "blue", string> = {
  green: "bg-emerald-500",
  amber: "bg-amber-500",
  red: "bg-red-500",
  grey: "bg-slate-400",
  muted: "bg-muted-foreground/50",
  blue: "bg-blue-500",
};

export type BadgeProps = React.HTMLAttributes<HTMLSpanElement> & { tone?: Tone | "blue"; dot?: boolean; pulse?: boolean };

export function Badge({ tone = "grey", dot = false, pulse = false, className, children, ...props }: BadgeProps) {
  return (
    <span
      className={cn(
        "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset",
        tones[tone],
        className,
      )}
      {...props}
    >
      {dot && (
        <span className="relative flex size-1.5" aria-hidden="true">
          {pulse && <span className={cn("absolute inline-flex size-full animate-ping rounded-full opacity-75", dots[tone])} />}
          <span className={cn("relative inline-flex size-1.5 rounded-full", dots[tone])} />
        </span>
      )}
      {children}
    </span>
  );
}
