import type { Row } from "@tanstack/react-table";
import { compareDecimal, parseDecimal } from "./money";

/** TanStack sortingFn for columns whose value is a decimal string (money): compares with BigInt, never floats. */
export function decimalSort<T>(a: Row<T>, b: Row<T>, columnId: string): number {
  const x = parseDecimal(String(a.getValue(columnId) ?? ""));
  const y = parseDecimal(String(b.getValue(columnId) ?? ""));
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  return compareDecimal(x, y);
}
