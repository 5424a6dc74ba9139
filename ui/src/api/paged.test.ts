import { describe, expect, it } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { patchRow, type PagedData } from "./paged";

type Row = { id: string; status: string };
const page = (rows: Row[]): PagedData<Row> => ({ pages: [{ rows, total: rows.length, next: null, prev: null }], pageParams: [{ after: null, before: null }] }) as unknown as PagedData<Row>;

describe("patchRow", () => {
  it("patches the lists holding the row and leaves the others stale, so they read their pages again", async () => {
    const qc = new QueryClient();
    qc.setQueryData(["servers", "with"], page([{ id: "a", status: "booting" }]));
    qc.setQueryData(["servers", "without"], page([]));
    await qc.invalidateQueries({ queryKey: ["servers"], refetchType: "none" });

    expect(patchRow(qc, ["servers"], { id: "a", status: "running" })).toBe(true);
    expect(qc.getQueryData<PagedData<Row>>(["servers", "with"])!.pages[0].rows[0].status).toBe("running");
    // The list that did not hold the row is still waiting to be read again.
    expect(qc.getQueryState(["servers", "without"])!.isInvalidated).toBe(true);
  });
});
