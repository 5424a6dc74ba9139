import { describe, expect, it } from "vitest";
import { renderHook, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import * as React from "react";
import { events, type ActivityDto, type ServerDto } from "./client";
import { useLiveUpdates } from "./live";
import { keys } from "./queries";
import type { PagedData } from "./paged";

const server = (status: string): ServerDto => ({
  id: "srv_1", label: "web-01", organizationId: "org_1", organizationName: "Acme", planId: "plan_1", planName: "Starter",
  provider: "sandbox", providerId: null, accountLabel: null, providerType: "sb-nano", region: "eu-west", image: "sandbox/debian12", status,
  ipv4: null, ipv6: null, monthly: { minor: "800", currency: "USD", amount: "8.00" }, hourly: { micros: "12000", currency: "USD", amount: "0.012" },
  createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", deletedAt: null,
});

describe("live updates", () => {
  it("patches serverChanged events into the loaded list pages and the detail, without reading the list again", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return null;
    }, { shouldMockEvents: true });
    const qc = new QueryClient();
    const listKey = keys.serverPages({ sort: "created", desc: true });
    const other = { ...server("running"), id: "srv_2" };
    qc.setQueryData<PagedData<ServerDto>>(listKey, {
      pages: [{ rows: [other, server("provisioning")], next: null, prev: null, total: 2 }],
      pageParams: [{ after: null, before: null }],
    });
    qc.setQueryData(keys.server("srv_1"), { server: server("provisioning"), activity: [] });
    const wrapper = ({ children }: { children: React.ReactNode }) => <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
    renderHook(() => useLiveUpdates(), { wrapper });
    // Give the listeners a moment to register, then emit as the backend would.
    await new Promise((r) => setTimeout(r, 10));
    await events.serverChanged.emit({ server: { ...server("running"), ipv4: "203.0.113.5" } });
    await waitFor(() => expect(qc.getQueryData<PagedData<ServerDto>>(listKey)?.pages[0].rows[1].status).toBe("running"));
    expect(qc.getQueryData<PagedData<ServerDto>>(listKey)?.pages[0].rows.map((s) => s.id)).toEqual(["srv_2", "srv_1"]);
    expect(calls).not.toContain("list_servers");
    expect(qc.getQueryData<{ server: ServerDto }>(keys.server("srv_1"))?.server.ipv4).toBe("203.0.113.5");

    await events.activityRecorded.emit({ activity: { seq: "7", at: "2026-01-01T00:00:00Z", actor: "owner", action: "server.booted", subjectKind: "server", subjectId: "srv_1", organizationId: "org_1", summary: "Booted web-01" } });
    await waitFor(() => expect(qc.getQueryData<{ activity: unknown[] }>(keys.server("srv_1"))?.activity).toHaveLength(1));
  });

  it("puts a new activity entry on top of the Activity screen's pages of its kind, and counts it", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const qc = new QueryClient();
    const old: ActivityDto = { seq: "6", at: "2026-01-01T00:00:00Z", actor: "owner", action: "server.created", subjectKind: "server", subjectId: "srv_1", organizationId: "org_1", summary: "Created web-01" };
    const page = { pages: [{ rows: [old], next: null, prev: null, total: 1 }], pageParams: [{ after: null, before: null }] };
    for (const kind of ["all", "server", "organization"] as const) qc.setQueryData<PagedData<ActivityDto>>(keys.activityPages(kind), page);
    const wrapper = ({ children }: { children: React.ReactNode }) => <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
    renderHook(() => useLiveUpdates(), { wrapper });
    await new Promise((r) => setTimeout(r, 10));
    await events.activityRecorded.emit({ activity: { ...old, seq: "7", action: "server.booted", summary: "Booted web-01" } });
    const seqs = (kind: "all" | "server" | "organization") => qc.getQueryData<PagedData<ActivityDto>>(keys.activityPages(kind))?.pages[0];
    await waitFor(() => expect(seqs("server")?.rows.map((a) => a.seq)).toEqual(["7", "6"]));
    expect(seqs("server")?.total).toBe(2);
    expect(seqs("all")?.rows.map((a) => a.seq)).toEqual(["7", "6"]);
    expect(seqs("organization")?.rows.map((a) => a.seq)).toEqual(["6"]);
    expect(seqs("organization")?.total).toBe(1);
  });
});
