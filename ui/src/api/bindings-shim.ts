// TEMPORARY stand-in with the shape tauri-specta generates for
// ui/src/bindings.ts (`commands.*` returning a Result, typed `events.*`).
// When the generated file lands, client.ts imports from "../bindings" and this
// file and types.ts are deleted.
import { invoke as TAURI_INVOKE } from "@tauri-apps/api/core";
import * as TAURI_API_EVENT from "@tauri-apps/api/event";
import type * as T from "./types";

export type Result<D, E> = { status: "ok"; data: D } | { status: "error"; error: E };

async function call<D>(cmd: string, args?: Record<string, unknown>): Promise<Result<D, T.ErrorDto>> {
  try {
    return { status: "ok", data: await TAURI_INVOKE<D>(cmd, args) };
  } catch (e) {
    if (e instanceof Error) throw e;
    return { status: "error", error: e as T.ErrorDto };
  }
}

export const commands = {
  appInfo: () => call<T.AppInfo>("app_info"),
  dashboard: () => call<T.Dashboard>("dashboard"),
  listOrganizations: () => call<T.OrganizationDto[]>("list_organizations"),
  getOrganization: (id: string) => call<T.OrganizationDetail>("get_organization", { id }),
  createOrganization: (input: T.OrganizationInput) => call<T.OrganizationDto>("create_organization", { input }),
  updateOrganization: (id: string, input: T.OrganizationInput) =>
    call<T.OrganizationDto>("update_organization", { id, input }),
  listPlans: () => call<T.PlanDto[]>("list_plans"),
  createPlan: (input: T.PlanInput) => call<T.PlanDto>("create_plan", { input }),
  updatePlan: (id: string, input: T.PlanInput) => call<T.PlanDto>("update_plan", { id, input }),
  catalog: (provider: string) => call<T.CatalogDto>("catalog", { provider }),
  listServers: () => call<T.ServerDto[]>("list_servers"),
  getServer: (id: string) => call<T.ServerDetail>("get_server", { id }),
  createServer: (input: T.ServerInput) => call<T.ServerDto>("create_server", { input }),
  serverAction: (id: string, action: T.ServerAction) => call<T.ServerDto>("server_action", { id, action }),
  deleteServer: (id: string) => call<T.ServerDto>("delete_server", { id }),
  serverStats: (id: string) => call<T.ServerStatsDto>("server_stats", { id }),
  listActivity: (limit: number, subject: string | null) =>
    call<T.ActivityDto[]>("list_activity", { limit, subject }),
  getSettings: () => call<T.SettingsDto>("get_settings"),
  updateSettings: (input: T.SettingsInput) => call<T.SettingsDto>("update_settings", { input }),
};

function makeEvent<P>(name: string) {
  return {
    listen: (cb: TAURI_API_EVENT.EventCallback<P>) => TAURI_API_EVENT.listen<P>(name, cb),
    once: (cb: TAURI_API_EVENT.EventCallback<P>) => TAURI_API_EVENT.once<P>(name, cb),
    emit: (payload: P) => TAURI_API_EVENT.emit(name, payload),
  };
}

export const events = {
  serverChanged: makeEvent<T.ServerChanged>("server-changed"),
  activityRecorded: makeEvent<T.ActivityRecorded>("activity-recorded"),
};
