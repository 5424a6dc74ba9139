import type { ColumnDef, Row } from "@tanstack/react-table";
import { compareDecimal, parseDecimal } from "./money";

/** TanStack sortingFn for columns whose value is a decimal string (money): compares with BigInt, never floats. */
export function decimalSort<T>(a: Row<T>, b: Row<T>, columnId: string): number {
  const x = parseDecimal(String(a.getValue(columnId) ?? ""));
  const y = parseDecimal(String(b.getValue(columnId) ?? ""));
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  return compareDecimal(x, y);
}

/**
 * A column of a table of `T`. TanStack types each column by its value, which
 * differs from column to column; a table's column list is therefore typed
 * with `any` there, in this one place.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Column<T> = ColumnDef<T, any>;
