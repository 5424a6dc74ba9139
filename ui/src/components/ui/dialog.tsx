import * as React from "react";
import { X } from "lucide-react";
import { cn } from "@/lib/utils";

// Dialogs on the native <dialog> element: showModal() gives the top layer, an
// inert background, focus containment and Escape for free, and needs no
// injected <style> (a scroll-lock library would, and the app's CSP forbids
// inline styles).

type Ctx = { open: boolean; close: () => void; titleId: string; descriptionId: string };
const DialogContext = React.createContext<Ctx | null>(null);

function useDialog(): Ctx {
  const ctx = React.useContext(DialogContext);
  if (!ctx) throw new Error("Dialog parts must be inside <Dialog>");
  return ctx;
}

export function Dialog({ open, onOpenChange, children }: { open: boolean; onOpenChange: (open: boolean) => void; children: React.ReactNode }) {
  const id = React.useId();
  const ctx = React.useMemo<Ctx>(
    () => ({ open, close: () => onOpenChange(false), titleId: `${id}-title`, descriptionId: `${id}-desc` }),
    [open, onOpenChange, id],
  );
  return <DialogContext.Provider value={ctx}>{children}</DialogContext.Provider>;
}

/** Alert dialogs: same element, role="alertdialog", and a click on the backdrop does not dismiss. */
export const AlertDialog = Dialog;

function ModalPanel({
  className,
  children,
  role = "dialog",
  dismissOnBackdrop = true,
}: {
  className?: string;
  children: React.ReactNode;
  role?: "dialog" | "alertdialog";
  dismissOnBackdrop?: boolean;
}) {
  const { open, close, titleId, descriptionId } = useDialog();
  const ref = React.useRef<HTMLDialogElement>(null);

  React.useLayoutEffect(() => {
    const d = ref.current;
    if (!open || !d) return;
    const opener = document.activeElement as HTMLElement | null;
    if (typeof d.showModal === "function") {
      if (!d.open) d.showModal();
    } else {
      d.setAttribute("open", ""); // environments without <dialog> support (jsdom)
    }
    d.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    return () => {
      if (typeof d.close === "function" && d.open) d.close();
      // Give focus back to what opened the dialog.
      if (opener && document.contains(opener)) opener.focus();
    };
  }, [open]);

  if (!open) return null;
  return (
    <dialog
      ref={ref}
      role={role === "alertdialog" ? "alertdialog" : undefined}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      // Closed by other means (dialog.close(), a method="dialog" form): tell React.
      onClose={() => close()}
      onCancel={(e) => {
        e.preventDefault(); // Escape: let React state close it, so the two never disagree
        close();
      }}
      onMouseDown={(e) => {
        // A press on the backdrop lands on the <dialog> element itself.
        if (dismissOnBackdrop && e.target === e.currentTarget) {
          const r = e.currentTarget.getBoundingClientRect();
          const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
          if (!inside) close();
        }
      }}
      className={cn(
        "animate-dialog-in m-auto max-h-[calc(100vh-2rem)] w-[calc(100vw-2rem)] overflow-y-auto rounded-xl border bg-card p-0 text-card-foreground shadow-xl backdrop:bg-black/45",
        className,
      )}
    >
      <div className="relative grid gap-4 p-6">{children}</div>
    </dialog>
  );
}

export function DialogContent({ className, children, wide }: { className?: string; children: React.ReactNode; wide?: boolean }) {
  const { close } = useDialog();
  return (
    <ModalPanel className={cn(wide ? "max-w-2xl" : "max-w-lg", className)}>
      {children}
      <button
        type="button"
        onClick={close}
        className="absolute top-4 right-4 rounded-sm p-1 text-muted-foreground hover:bg-accent hover:text-foreground"
      >
        <X className="size-4" aria-hidden="true" />
        <span className="sr-only">Close</span>
      </button>
    </ModalPanel>
  );
}

export function AlertDialogContent({ className, children }: { className?: string; children: React.ReactNode }) {
  return (
    <ModalPanel role="alertdialog" dismissOnBackdrop={false} className={cn("max-w-md", className)}>
      {children}
    </ModalPanel>
  );
}

export function DialogHeader({ className, ...props }: React.HTMLAttributes<HTMLDivElement>) {
  return <div className={cn("flex flex-col gap-1.5 pr-6", className)} {...props} />;
}

export function DialogFooter({ className, ...props }: React.HTMLAttributes<HTMLDivElement>) {
  return <div className={cn("flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end", className)} {...props} />;
}

export function DialogTitle({ className, ...props }: React.HTMLAttributes<HTMLHeadingElement>) {
  const { titleId } = useDialog();
  return <h2 id={titleId} className={cn("text-lg font-semibold tracking-tight", className)} {...props} />;
}

export function DialogDescription({ className, ...props }: React.HTMLAttributes<HTMLDivElement>) {
  const { descriptionId } = useDialog();
  return <div id={descriptionId} className={cn("text-sm text-muted-foreground", className)} {...props} />;
}

export const AlertDialogTitle = DialogTitle;
export const AlertDialogDescription = DialogDescription;
