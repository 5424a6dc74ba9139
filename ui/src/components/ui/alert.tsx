import * as React from "react";
import { CircleAlert, CircleCheck, Info, TriangleAlert } from "lucide-react";
import { cn } from "@/lib/utils";

type Tone = "error" | "warning" | "info" | "success";

const tones: Record<Tone, string> = {
  error: "border-destructive/40 bg-destructive/5 text-foreground [&>svg]:text-destructive",
  warning: "border-amber-500/40 bg-amber-50 text-foreground dark:bg-amber-500/10 [&>svg]:text-amber-600 dark:[&>svg]:text-amber-400",
  info: "border-primary/30 bg-primary/5 text-foreground [&>svg]:text-primary",
  success: "border-emerald-500/40 bg-emerald-50 text-foreground dark:bg-emerald-500/10 [&>svg]:text-emerald-600 dark:[&>svg]:text-emerald-400",
};

const icons: Record<Tone, typeof Info> = { error: CircleAlert, warning: TriangleAlert, info: Info, success: CircleCheck };

/**
 * A message in the flow of the page, next to what it is about: a form's
 * error, a warning about an account's state. Errors are announced
 * (`role="alert"`), the rest politely (`role="status"`).
 */
export function Alert({
  tone = "error",
  title,
  children,
  className,
  ...props
}: { tone?: Tone; title?: React.ReactNode; children?: React.ReactNode } & Omit<React.HTMLAttributes<HTMLDivElement>, "title">) {
  const Icon = icons[tone];
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      data-tone={tone}
      className={cn("flex items-start gap-3 rounded-lg border p-3.5 text-sm", tones[tone], className)}
      {...props}
    >
      <Icon className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
      <div className="min-w-0 flex-1 break-words">
        {title && <p className="font-medium">{title}</p>}
        {children && <div className={cn(title && "mt-0.5 text-muted-foreground")}>{children}</div>}
      </div>
    </div>
  );
}
