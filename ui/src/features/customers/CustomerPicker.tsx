import * as React from "react";
import { useQuery } from "@tanstack/react-query";
import { Check, ChevronsUpDown, X } from "lucide-react";
import { api } from "@/api/client";
import { keys, useOrganization } from "@/api/queries";
import type { OrganizationDto } from "@/bindings";
import { formatCount } from "@/lib/format";
import { useDebounced } from "@/lib/use-debounced";
import { cn } from "@/lib/utils";
import { Input } from "@/components/ui/input";

/** How many matches the list shows: enough to pick from, few enough to read. */
const MATCHES = 20;

type Props = {
  id?: string;
  /** The form field's name; the text box is `<name>-search`. */
  name: string;
  /** The chosen customer's id, or "" for none. */
  value: string;
  onChange: (id: string, customer: OrganizationDto | null) => void;
  /** Offered first when set: choosing it clears the value (a filter's "All customers"). */
  clearLabel?: string;
  placeholder?: string;
  className?: string;
  "aria-invalid"?: boolean;
  "aria-describedby"?: string;
};

/**
 * Chooses one customer out of any number: a search box over the paged
 * customers command (name or contact email prefix, in SQLite), showing the
 * first matches by name. The webview never loads the whole customer list.
 */
export function CustomerPicker({ id, name, value, onChange, clearLabel, placeholder = "Search customers…", className, ...aria }: Props) {
  const listId = React.useId();
  const [open, setOpen] = React.useState(false);
  const [text, setText] = React.useState("");
  const [active, setActive] = React.useState(0);
  const search = useDebounced(text.trim(), 150);
  const chosen = useOrganization(value);
  const matches = useQuery({
    queryKey: [...keys.customerPagesAll, "picker", search],
    queryFn: () => api.listOrganizationsPage({ search: search || null, sort: "name", desc: false, limit: MATCHES }),
    enabled: open,
    staleTime: 10_000,
  });
  const rows = matches.data?.rows ?? [];
  const options: (OrganizationDto | null)[] = clearLabel ? [null, ...rows] : rows;
  const chosenName = value ? (chosen.data?.organization.name ?? "") : "";

  const pick = (o: OrganizationDto | null) => {
    onChange(o?.id ?? "", o);
    setOpen(false);
    setText("");
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!open) return setOpen(true);
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (options.length ? (a + step + options.length) % options.length : 0));
    } else if (e.key === "Enter" && open) {
      e.preventDefault();
      if (active < options.length) pick(options[active]);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      setOpen(false);
      setText("");
    }
  };
  React.useEffect(() => setActive(0), [search]);

  const optionId = (i: number) => `${listId}-o${i}`;
  return (
    <div className={cn("relative", className)}>
      <Input
        id={id}
        name={`${name}-search`}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && options.length ? optionId(active) : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder={value ? undefined : placeholder}
        value={open ? text : chosenName || (value ? "…" : "")}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onClick={() => setOpen(true)}
        onBlur={() => {
          setOpen(false);
          setText("");
        }}
        onKeyDown={onKeyDown}
        className="pr-8"
        {...aria}
      />
      <input type="hidden" name={name} value={value} />
      {value && clearLabel && !open ? (
        <button
          type="button"
          aria-label={clearLabel}
          title={clearLabel}
          className="absolute inset-y-0 right-0 grid w-8 place-items-center text-muted-foreground hover:text-foreground"
          onClick={() => pick(null)}
        >
          <X className="size-3.5" aria-hidden />
        </button>
      ) : (
        <ChevronsUpDown className="pointer-events-none absolute top-1/2 right-2.5 size-3.5 -translate-y-1/2 text-muted-foreground" aria-hidden />
      )}
      {open && (
        <ul
          id={listId}
          role="listbox"
          aria-label="Customers"
          data-testid={`${name}-options`}
          className="absolute z-30 mt-1 max-h-72 w-full min-w-64 overflow-auto rounded-md border bg-card p-1 text-sm shadow-md"
        >
          {options.map((o, i) => (
            <li
              key={o?.id ?? "all"}
              id={optionId(i)}
              role="option"
              aria-selected={(o?.id ?? "") === value}
              data-value={o?.id ?? ""}
              // Chosen before the text box's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(o);
              }}
              onMouseEnter={() => setActive(i)}
              className={cn("flex cursor-pointer items-center gap-2 rounded px-2 py-1.5", i === active && "bg-accent text-accent-foreground")}
            >
              <Check className={cn("size-3.5 shrink-0", (o?.id ?? "") === value ? "opacity-100" : "opacity-0")} aria-hidden />
              {o ? (
                <span className="min-w-0">
                  <span className="block truncate">{o.name}</span>
                  <span className="block truncate text-xs text-muted-foreground">{o.contactEmail}</span>
                </span>
              ) : (
                <span>{clearLabel}</span>
              )}
            </li>
          ))}
          {matches.isPending ? (
            <li className="px-2 py-1.5 text-muted-foreground">Searching…</li>
          ) : matches.isError ? (
            <li className="px-2 py-1.5 text-destructive">Could not search the customers: {String(matches.error.message ?? matches.error)}</li>
          ) : rows.length === 0 ? (
            <li className="px-2 py-1.5 text-muted-foreground">{search ? `No customer's name or email starts with “${search}”` : "No customers yet"}</li>
          ) : (matches.data?.total ?? 0) > rows.length ? (
            <li className="px-2 py-1.5 text-xs text-muted-foreground">
              The first {rows.length} of {formatCount(matches.data!.total)}: type more of the name to narrow it down
            </li>
          ) : null}
        </ul>
      )}
    </div>
  );
}
